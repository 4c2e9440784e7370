// Internal to sigil_x509: the fields of a certificate that the SPIFFE profile rules look at,
// read once so that parsing, verification and inspection apply the same reading.
#ifndef SIGIL_X509_X509_FACTS_H_
#define SIGIL_X509_X509_FACTS_H_

#include <cstdint>
#include <string>
#include <vector>

#include <openssl/x509.h>

namespace sigil::x509_internal {

// Key usage bits as X509_get_key_usage reports them (KU_DIGITAL_SIGNATURE, KU_KEY_CERT_SIGN...).
struct CertFacts {
  // An extension OpenSSL could not decode, or a profile extension that appears twice.
  bool malformed_extensions = false;

  bool has_basic_constraints = false;
  bool basic_constraints_critical = false;
  bool is_ca = false;
  // pathLenConstraint, -1 when absent.
  long path_len = -1;

  bool has_key_usage = false;
  bool key_usage_critical = false;
  uint32_t key_usage = 0;

  bool has_extended_key_usage = false;
  bool server_auth = false;
  bool client_auth = false;

  int san_extension_count = 0;
  bool san_critical = false;
  // Every URI SAN, whatever its scheme, in order.
  std::vector<std::string> uris;
  std::vector<std::string> dns_names;

  bool subject_empty = false;
};

// `cert` is borrowed; reading may fill OpenSSL's extension cache, which OpenSSL guards with a
// lock, so concurrent calls on one certificate are safe.
CertFacts ReadCertFacts(X509* cert);

// "digitalSignature, keyCertSign" for messages.
std::string DescribeKeyUsage(uint32_t key_usage);

}  // namespace sigil::x509_internal

#endif  // SIGIL_X509_X509_FACTS_H_
