// Trust bundle files as `sigil` reads and writes them: PEM or DER certificates, SPIFFE bundle
// JSON, and bundle maps ({"trust_domains": {...}}), told apart by content when reading.
#ifndef SIGIL_TOOLS_SIGIL_BUNDLE_INPUT_H_
#define SIGIL_TOOLS_SIGIL_BUNDLE_INPUT_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

#include "sigil/bundle.h"
#include "sigil/spiffe_id.h"

namespace sigil::cli {

enum class BundleFormat {
  kPem,     // "CERTIFICATE" PEM blocks: X.509 authorities only
  kDer,     // concatenated DER certificates, as the Workload API sends bundles
  kSpiffe,  // SPIFFE bundle JSON (a JWK Set with x509-svid and jwt-svid keys)
  kJwks,    // JWT authorities alone as a plain JWK Set, as the Workload API sends them
  kMap,     // bundle map: {"trust_domains": {"<name>": <SPIFFE bundle>, ...}}
};

// "pem", "der", "spiffe", "jwks", "map".
std::string_view BundleFormatName(BundleFormat format);
absl::StatusOr<BundleFormat> ParseBundleFormatName(std::string_view name);

// PEM when the content starts (after whitespace) with "-----BEGIN"; JSON when with "{": a
// bundle map when the object has "trust_domains" and no "keys", a plain JWKS when "keys" is a
// non-empty array none of whose keys has "use", else a SPIFFE bundle; DER when it starts with
// an ASN.1 SEQUENCE byte. kInvalidArgument otherwise, or when the JSON is not strict JSON.
absl::StatusOr<BundleFormat> DetectBundleFormat(std::string_view content);

// Decodes one trust domain's bundle in `format` (not kMap).
absl::StatusOr<TrustBundle> DecodeBundle(BundleFormat format, const TrustDomain& td,
                                         std::string_view content);

// A --bundle FILE given on the command line, with the --trust-domain that preceded it.
struct BundleArgument {
  std::optional<TrustDomain> trust_domain;
  std::string path;
};

// Reads every file and gathers the bundles into one set. A bundle map contributes all of its
// trust domains, or only the named one when the argument has a trust domain. Any other file is
// the bundle of its argument's trust domain or, without one, of `default_td`. Bundles given
// twice for one trust domain are merged. Fails with a message naming the file.
struct LoadedBundles {
  BundleSet bundles;
  // True when some file was taken as `default_td`'s bundle because it named no trust domain.
  bool used_default = false;
};
absl::StatusOr<LoadedBundles> LoadBundles(const std::vector<BundleArgument>& args,
                                          const std::optional<TrustDomain>& default_td);

}  // namespace sigil::cli

#endif  // SIGIL_TOOLS_SIGIL_BUNDLE_INPUT_H_
