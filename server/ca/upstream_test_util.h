// A small operator PKI for the upstream authority tests: a root and an intermediate (both with
// a SPIFFE URI SAN; ca_openssl_test covers a corporate CA without one), written to PEM files
// on demand.
#ifndef SIGIL_SERVER_CA_UPSTREAM_TEST_UTIL_H_
#define SIGIL_SERVER_CA_UPSTREAM_TEST_UTIL_H_

#include <optional>
#include <string>
#include <string_view>

#include "absl/time/time.h"

#include "server/ca/upstream_authority.h"
#include "server/datastore/test_temp_dir.h"
#include "sigil/certificate.h"
#include "sigil/keys.h"

namespace sigil::server::testing {

struct CaFiles {
  PrivateKey key;
  Certificate cert;
};

struct UpstreamPki {
  absl::Time now;
  CaFiles root;          // self-signed, valid for a year from `now`
  CaFiles intermediate;  // signed by root, valid for half a year

  // Aborts the test binary if the certificates cannot be made.
  static UpstreamPki Make(std::optional<int> intermediate_path_len = std::nullopt,
                          absl::Time now = absl::FromUnixSeconds(1893456000));

  // cert_file = root, key_file = root key, no bundle_file.
  DiskUpstreamAuthorityFiles WriteRootFiles(const TempDir& dir) const;
  // cert_file = intermediate, key_file = its key, bundle_file = root.
  DiskUpstreamAuthorityFiles WriteIntermediateFiles(const TempDir& dir) const;

  std::string WriteKey(const TempDir& dir, std::string_view name, const PrivateKey& key) const;
  std::string WriteText(const TempDir& dir, std::string_view name, std::string_view text) const;
};

}  // namespace sigil::server::testing

#endif  // SIGIL_SERVER_CA_UPSTREAM_TEST_UTIL_H_
