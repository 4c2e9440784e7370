// PEM trust bundles: X.509 authorities only, as operators and Envoy exchange them.
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

#include "jwk_set.h"
#include "sigil/bundle.h"
#include "sigil/certificate.h"

namespace sigil {

absl::StatusOr<TrustBundle> ParsePemBundle(const TrustDomain& td, std::string_view pem) {
  absl::StatusOr<std::vector<Certificate>> certs =
      ParsePemCertificates(pem, kMaxBundleCertificates);
  if (!certs.ok()) {
    return bundle_internal::WithContext(certs.status(), "PEM bundle");
  }
  TrustBundle bundle(td);
  for (size_t i = 0; i < certs->size(); ++i) {
    Certificate& cert = (*certs)[i];
    if (!cert.IsCa()) {
      return absl::InvalidArgumentError(
          absl::StrCat("PEM bundle: certificate ", i, " (serial ", cert.SerialHex(),
                       ") is not a CA certificate; a trust bundle holds CA certificates only"));
    }
    bundle.AddX509Authority(std::move(cert));
  }
  return bundle;
}

std::string EncodePemBundle(const TrustBundle& bundle) {
  return ConcatPem(bundle.x509_authorities());
}

}  // namespace sigil
