// An immutable, parsed X.509 certificate together with its DER bytes. Copies share the parsed
// object (X509_up_ref), so passing certificates around never re-parses them.
#ifndef SIGIL_CERTIFICATE_H_
#define SIGIL_CERTIFICATE_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "sigil/keys.h"
#include "sigil/ossl.h"

namespace sigil {

inline constexpr size_t kMaxCertificateDerSize = 64 * 1024;
inline constexpr size_t kMaxChainLength = 16;
// Authorities one trust bundle may hold.
inline constexpr size_t kMaxBundleCertificates = 512;

class Certificate {
 public:
  // One DER certificate, nothing trailing. At most kMaxCertificateDerSize bytes.
  static absl::StatusOr<Certificate> FromDer(std::string_view der);
  // Takes ownership of `x509`. Serialises it once to DER and parses that back, because an
  // in-memory-built certificate can fail path validation until it is re-read from DER.
  static absl::StatusOr<Certificate> FromX509(X509Ptr x509);

  X509* get() const { return x509_.get(); }
  const std::string& der() const { return *der_; }
  std::string ToPem() const;

  absl::Time not_before() const;
  absl::Time not_after() const;
  // Serial number as lowercase hex of its big-endian bytes (BN_bn2hex: whole bytes, so an
  // even number of digits; "0" for zero).
  std::string SerialHex() const;
  absl::StatusOr<PublicKey> public_key() const;
  // URI SANs in the order they appear.
  std::vector<std::string> UriSans() const;
  std::vector<std::string> DnsSans() const;
  bool IsCa() const;
  // Hex SHA-256 of the DER.
  std::string Sha256Fingerprint() const;

  friend bool operator==(const Certificate& a, const Certificate& b) { return a.der() == b.der(); }

 private:
  Certificate(std::shared_ptr<X509> x509, std::shared_ptr<const std::string> der)
      : x509_(std::move(x509)), der_(std::move(der)) {}
  std::shared_ptr<X509> x509_;
  std::shared_ptr<const std::string> der_;
};

// Concatenated DER certificates (the Workload API's encoding), at most `max_count` of them.
absl::StatusOr<std::vector<Certificate>> ParseDerCertificates(std::string_view der,
                                                              size_t max_count = kMaxChainLength);
// One or more "CERTIFICATE" PEM blocks; other block types are refused. At most `max_count`
// certificates and 4 MiB of text.
absl::StatusOr<std::vector<Certificate>> ParsePemCertificates(std::string_view pem,
                                                              size_t max_count = kMaxChainLength);
// Either encoding, told apart by a leading "-----BEGIN" (after leading whitespace).
absl::StatusOr<std::vector<Certificate>> ParseCertificates(std::string_view der_or_pem,
                                                           size_t max_count = kMaxChainLength);
std::string ConcatDer(const std::vector<Certificate>& certs);
std::string ConcatPem(const std::vector<Certificate>& certs);

}  // namespace sigil

#endif  // SIGIL_CERTIFICATE_H_
