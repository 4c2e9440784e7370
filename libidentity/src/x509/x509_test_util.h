// Test-only helpers for sigil_x509: a fixed clock, key and CA fixtures made with our issuer,
// and a raw-OpenSSL certificate builder for the malformed certificates our issuer refuses to
// make (a leaf with cA=true, two URI SANs, an unknown critical extension...).
#ifndef SIGIL_X509_X509_TEST_UTIL_H_
#define SIGIL_X509_X509_TEST_UTIL_H_

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "sigil/bundle.h"
#include "sigil/certificate.h"
#include "sigil/keys.h"
#include "sigil/spiffe_id.h"

namespace sigil::x509_test {

// Every test runs at this instant (2027-01-15T08:00:00Z), never at the wall clock.
inline const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

// Unwraps a fixture step; a failure here is a broken test set-up, so it aborts with the status.
template <typename T>
T Must(absl::StatusOr<T> value) {
  if (!value.ok()) {
    std::fprintf(stderr, "test fixture failed: %s\n", value.status().ToString().c_str());
    std::abort();
  }
  return *std::move(value);
}

TrustDomain Td(std::string_view name);
SpiffeId Id(std::string_view id);
PrivateKey NewKey(KeyType type = KeyType::kEcP256);

// A self-signed root of `td` made by our issuer, valid from kNow - 10 s for 24 h.
struct TestCa {
  PrivateKey key;
  Certificate cert;
};
TestCa NewRootCa(const TrustDomain& td, KeyType type = KeyType::kEcP256);
// An intermediate of `parent`'s trust domain (or `td` when given).
TestCa NewIntermediateCa(const TestCa& parent, const TrustDomain& td);

// A leaf for `id` signed by `ca` with our issuer; returns its parsed certificate.
Certificate NewLeaf(const TestCa& ca, const SpiffeId& id, const PublicKey& key);

BundleSet BundlesOf(const std::vector<std::pair<TrustDomain, std::vector<Certificate>>>& roots);

// What a raw certificate carries. The defaults describe a valid leaf of the SPIFFE profile.
struct RawCertSpec {
  std::string common_name;  // empty: empty subject
  std::vector<std::string> uris;
  std::vector<std::string> dns_names;
  bool san_critical = true;
  std::optional<bool> ca = false;  // nullopt: no basicConstraints at all
  bool basic_constraints_critical = true;
  std::optional<int> path_len;
  // X509V3 configuration syntax; empty omits the extension.
  std::string key_usage = "digitalSignature,keyEncipherment,keyAgreement";
  bool key_usage_critical = true;
  std::string extended_key_usage = "serverAuth,clientAuth";
  absl::Time not_before = kNow - absl::Hours(1);
  absl::Time not_after = kNow + absl::Hours(1);
  bool unknown_critical_extension = false;
};

// Builds with X509V3 configuration strings and X509_set_pubkey: slow, but clearly independent
// of the code under test. `issuer` null means self-signed by `signer`.
Certificate MakeRawCert(const RawCertSpec& spec, const PublicKey& subject_key,
                        const Certificate* issuer, const PrivateKey& signer);

// A raw CA spec: cA=true, keyCertSign|cRLSign, URI SAN spiffe://<td>, subject CN=<cn>.
RawCertSpec RawCaSpec(const TrustDomain& td, std::string common_name);

// The same certificate with one byte of its signature flipped.
Certificate TamperSignature(const Certificate& cert);

}  // namespace sigil::x509_test

#endif  // SIGIL_X509_X509_TEST_UTIL_H_
