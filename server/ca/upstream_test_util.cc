#include "server/ca/upstream_test_util.h"

#include <cstdlib>
#include <fstream>
#include <iostream>

#include "sigil/spiffe_id.h"
#include "sigil/x509_issuer.h"

namespace sigil::server::testing {
namespace {

template <typename T>
T OrDie(absl::StatusOr<T> value, std::string_view what) {
  if (!value.ok()) {
    std::cerr << "making the upstream test PKI: " << what << ": " << value.status() << "\n";
    std::abort();
  }
  return *std::move(value);
}

}  // namespace

UpstreamPki UpstreamPki::Make(std::optional<int> intermediate_path_len, absl::Time now) {
  const TrustDomain td = OrDie(TrustDomain::FromString("upstream.test"), "trust domain");
  PrivateKey root_key = OrDie(PrivateKey::Generate(KeyType::kEcP256), "root key");
  Certificate root_cert =
      OrDie(SelfSignX509Ca({.trust_domain = td,
                            .subject = {{"O", "Upstream Test"}, {"CN", "Upstream Root"}},
                            .ttl = absl::Hours(24 * 365)},
                           root_key, now),
            "root certificate");
  PrivateKey intermediate_key = OrDie(PrivateKey::Generate(KeyType::kEcP256), "intermediate key");
  Certificate intermediate_cert =
      OrDie(SignX509Ca({.trust_domain = td,
                        .subject = {{"O", "Upstream Test"}, {"CN", "Upstream Intermediate"}},
                        .ttl = absl::Hours(24 * 182),
                        .path_len = intermediate_path_len},
                       intermediate_key.public_key(), root_cert, root_key, now),
            "intermediate certificate");
  return UpstreamPki{.now = now,
                     .root = {std::move(root_key), std::move(root_cert)},
                     .intermediate = {std::move(intermediate_key), std::move(intermediate_cert)}};
}

DiskUpstreamAuthorityFiles UpstreamPki::WriteRootFiles(const TempDir& dir) const {
  return {.cert_file = WriteText(dir, "root.pem", root.cert.ToPem()),
          .key_file = WriteKey(dir, "root.key", root.key)};
}

DiskUpstreamAuthorityFiles UpstreamPki::WriteIntermediateFiles(const TempDir& dir) const {
  return {.cert_file = WriteText(dir, "intermediate.pem", intermediate.cert.ToPem()),
          .key_file = WriteKey(dir, "intermediate.key", intermediate.key),
          .bundle_file = WriteText(dir, "roots.pem", root.cert.ToPem())};
}

std::string UpstreamPki::WriteKey(const TempDir& dir, std::string_view name,
                                  const PrivateKey& key) const {
  return WriteText(dir, name, key.ToPkcs8Pem().view());
}

std::string UpstreamPki::WriteText(const TempDir& dir, std::string_view name,
                                   std::string_view text) const {
  const std::string path = dir.File(name);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) {
    std::cerr << "writing " << path << " failed\n";
    std::abort();
  }
  return path;
}

}  // namespace sigil::server::testing
