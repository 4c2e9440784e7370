// Base64 in the two RFC 4648 alphabets Sigil meets: standard with padding (section 4; x5c
// certificates in bundles) and URL-safe without padding (section 5; JWS segments, JWK members).
// Decoding is strict so that one text has exactly one meaning: bytes outside the alphabet,
// whitespace and line breaks are refused, as are padding in the wrong place (or, for URL-safe,
// at all) and non-zero unused bits in the last character. Error messages give the byte offset
// and never quote the input, which may be a token. All functions are pure and thread-safe.
#ifndef SIGIL_BASE64_H_
#define SIGIL_BASE64_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace sigil {

// Standard alphabet ("+/"), padded with "=" to a multiple of 4 characters.
std::string Base64Encode(std::string_view bytes);
// URL-safe alphabet ("-_"), no padding.
std::string Base64UrlEncode(std::string_view bytes);

// Decodes standard, padded base64. Fails with kInvalidArgument when the length is not a
// multiple of 4, padding is missing, misplaced or longer than two characters, a byte is not in
// the alphabet, or the unused low bits of the last character are not zero.
absl::StatusOr<std::string> Base64Decode(std::string_view text);
// Decodes URL-safe base64 without padding. Fails with kInvalidArgument when any "=" is
// present, the length leaves a single dangling character (length % 4 == 1), a byte is not in
// the URL-safe alphabet, or the unused low bits of the last character are not zero.
absl::StatusOr<std::string> Base64UrlDecode(std::string_view text);

}  // namespace sigil

#endif  // SIGIL_BASE64_H_
