// Reading what `sigil` is given: files (or standard input as "-"), with a size bound, and
// token arguments that may be literal, "-" or "@FILE".
#ifndef SIGIL_TOOLS_SIGIL_INPUT_H_
#define SIGIL_TOOLS_SIGIL_INPUT_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

#include "sigil/secret_bytes.h"

namespace sigil::cli {

// Larger than any certificate chain (16 x 64 KiB DER, as PEM) or SPIFFE bundle (4 MiB) sigil
// accepts, so the parsers, not this bound, name what is too large.
inline constexpr size_t kMaxInputFileSize = 8 * 1024 * 1024;

// The contents of `path`, or of standard input when `path` is "-". Fails with kNotFound /
// kPermissionDenied / kInvalidArgument naming the path and the system's reason, or
// kInvalidArgument when there are more than `max_bytes` bytes.
absl::StatusOr<std::string> ReadInput(std::string_view path, size_t max_bytes = kMaxInputFileSize);

// How messages name a file argument: "standard input" for "-", else the escaped path.
std::string InputName(std::string_view path);

// A token argument: "-" reads standard input, "@path" reads that file, anything else is the
// token itself. Surrounding whitespace (a trailing newline, typically) is dropped. The bytes
// go straight into SecretBytes; no other copy is left behind. Errors name the file, never the
// token.
absl::StatusOr<SecretBytes> ReadTokenArgument(std::string_view arg);

}  // namespace sigil::cli

#endif  // SIGIL_TOOLS_SIGIL_INPUT_H_
