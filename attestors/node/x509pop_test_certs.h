// Test-only: plain (non-SPIFFE) CA and node certificates of the kind an organisation's PKI
// issues to machines, made in memory so that x509pop tests need no fixture files that expire.
#ifndef SIGIL_ATTESTORS_NODE_X509POP_TEST_CERTS_H_
#define SIGIL_ATTESTORS_NODE_X509POP_TEST_CERTS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "sigil/certificate.h"
#include "sigil/keys.h"

namespace sigil::attestors::testing {

struct TestCa {
  Certificate cert;
  PrivateKey key;
};

struct TestNode {
  // Leaf first, then the intermediates that issued it (not the root).
  std::vector<Certificate> chain;
  PrivateKey key;
};

struct NodeCertOptions {
  std::string common_name = "node-1.example.org";
  std::vector<std::string> dns_names = {"node-1.example.org"};
  KeyType key_type = KeyType::kEcP256;
  // Validity window around `now` given to the maker.
  absl::Duration valid_before = absl::Hours(1);
  absl::Duration valid_after = absl::Hours(24);
  // Marks the leaf cA=true (which x509pop must refuse).
  bool is_ca = false;
  // Sets extendedKeyUsage serverAuth only (which x509pop must refuse).
  bool server_auth_only = false;
};

// A self-signed root CA named CN=`common_name`, valid from now-1h for 10 years.
absl::StatusOr<TestCa> MakeTestRootCa(const std::string& common_name, absl::Time now,
                                      KeyType key_type = KeyType::kEcP256);

// An intermediate CA signed by `parent`.
absl::StatusOr<TestCa> MakeTestIntermediateCa(const TestCa& parent, const std::string& common_name,
                                              absl::Time now);

// A node certificate signed by `issuer`; `intermediates` (leaf's issuer first) are appended to
// the returned chain.
absl::StatusOr<TestNode> MakeTestNode(const TestCa& issuer, absl::Time now,
                                      const NodeCertOptions& options = {},
                                      const std::vector<Certificate>& intermediates = {});

}  // namespace sigil::attestors::testing

#endif  // SIGIL_ATTESTORS_NODE_X509POP_TEST_CERTS_H_
