// Strict JSON parsing for every document Sigil reads from the network or a file (SEC-03):
// UTF-8 only, duplicate member names refused, nesting depth and input size bounded. The error
// message names the problem and the byte offset; it never quotes the input, which may be a
// token.
#ifndef SIGIL_STRICT_JSON_H_
#define SIGIL_STRICT_JSON_H_

#include <cstddef>
#include <string_view>

#include "absl/status/statusor.h"
#include <nlohmann/json.hpp>

namespace sigil {

struct JsonLimits {
  size_t max_bytes = 1024 * 1024;
  size_t max_depth = 32;
};

// Parses one JSON value (surrounding whitespace allowed, nothing else trailing). `what` names
// the document in errors ("JWT header", "SPIFFE bundle").
absl::StatusOr<nlohmann::json> ParseStrictJson(std::string_view text, std::string_view what,
                                               const JsonLimits& limits = {});

}  // namespace sigil

#endif  // SIGIL_STRICT_JSON_H_
