// Error-propagation helpers shared by every Sigil module. Fallible functions return
// absl::Status or absl::StatusOr<T>; these macros keep the guard clauses one line long.
#ifndef SIGIL_STATUS_H_
#define SIGIL_STATUS_H_

#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace sigil {

// Debian's abseil is built with its own absl::string_view (ABSL_OPTION_USE_STD_STRING_VIEW is
// 0), so a std::string_view does not convert to absl::StrCat arguments, Status messages or
// heterogeneous hash-map lookups. AsAbsl bridges without copying.
inline absl::string_view AsAbsl(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}
inline std::string_view AsStd(absl::string_view s) { return std::string_view(s.data(), s.size()); }

}  // namespace sigil

#define SIGIL_STATUS_CONCAT_INNER_(a, b) a##b
#define SIGIL_STATUS_CONCAT_(a, b) SIGIL_STATUS_CONCAT_INNER_(a, b)

// Returns the status of `expr` from the enclosing function when it is not OK.
#define SIGIL_RETURN_IF_ERROR(expr)                                 \
  do {                                                              \
    if (absl::Status sigil_status_ = (expr); !sigil_status_.ok()) { \
      return sigil_status_;                                         \
    }                                                               \
  } while (false)

// Evaluates `expr` (a StatusOr), returns its status when not OK, else moves its value into
// `lhs`, which may be a declaration: SIGIL_ASSIGN_OR_RETURN(PrivateKey key, Generate(...));
#define SIGIL_ASSIGN_OR_RETURN(lhs, expr) \
  SIGIL_ASSIGN_OR_RETURN_IMPL_(SIGIL_STATUS_CONCAT_(sigil_statusor_, __LINE__), lhs, expr)
#define SIGIL_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) {                                   \
    return std::move(tmp).status();                  \
  }                                                  \
  lhs = std::move(tmp).value()

#endif  // SIGIL_STATUS_H_
