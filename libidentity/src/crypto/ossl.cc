#include "sigil/ossl.h"

#include <string>

#include "absl/strings/str_cat.h"
#include <openssl/err.h>

#include "sigil/status.h"

namespace sigil {

absl::Status CryptoError(absl::StatusCode code, std::string_view what) {
  std::string detail;
  // Only the reason strings are kept: they name the failing check ("wrong tag", "bad
  // signature") and never carry key or token bytes.
  while (unsigned long err = ERR_get_error()) {
    const char* reason = ERR_reason_error_string(err);
    absl::StrAppend(&detail, detail.empty() ? "" : "; ",
                    reason != nullptr ? reason : absl::StrCat("error ", err));
  }
  if (detail.empty()) {
    return absl::Status(code, AsAbsl(what));
  }
  return absl::Status(code, absl::StrCat(AsAbsl(what), ": ", detail));
}

absl::Status CryptoError(std::string_view what) {
  return CryptoError(absl::StatusCode::kInternal, what);
}

void ClearCryptoErrors() { ERR_clear_error(); }

}  // namespace sigil
