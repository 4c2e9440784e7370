// Conversion between a parsed JWK Set document and a TrustBundle, shared by the SPIFFE bundle,
// Workload API JWKS and bundle map codecs. Internal to the bundle library.
#ifndef SIGIL_BUNDLE_JWK_SET_H_
#define SIGIL_BUNDLE_JWK_SET_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include <nlohmann/json.hpp>

#include "sigil/bundle.h"

namespace sigil::bundle_internal {

enum class KeySetFormat {
  // A SPIFFE bundle: "use" selects the authority kind; spiffe_* members are read.
  kSpiffeBundle,
  // One value of a bundle map: like kSpiffeBundle, but spiffe_refresh_hint is ignored
  // (BUNDLE-13) and never written.
  kBundleMapEntry,
  // A Workload API JWKS (WAPI-33): keys without "use" are JWT authorities; spiffe_* ignored
  // and never written; no x509-svid keys written.
  kJwks,
};

// Reads `doc` (already strictly parsed) as the bundle of `td`. Errors are kInvalidArgument
// without a document prefix ("keys[2]: kid is missing"); skipped keys are appended to
// `out_skipped` when it is not null. See ParseSpiffeBundle in sigil/bundle.h for the rules.
absl::StatusOr<TrustBundle> BundleFromJson(const TrustDomain& td, const nlohmann::json& doc,
                                           KeySetFormat format,
                                           std::vector<std::string>* out_skipped);

// Builds the document for `bundle`; `encoding` only matters for kSpiffeBundle.
absl::StatusOr<nlohmann::ordered_json> BundleToJson(const TrustBundle& bundle, KeySetFormat format,
                                                    const SpiffeBundleEncoding& encoding);

// Serialises `doc`; fails with kInvalidArgument if a string in it is not valid UTF-8.
absl::StatusOr<std::string> DumpJson(const nlohmann::ordered_json& doc, bool indent);

// `status` with the same code and "<prefix>: " in front of its message.
absl::Status WithContext(const absl::Status& status, std::string_view prefix);

}  // namespace sigil::bundle_internal

#endif  // SIGIL_BUNDLE_JWK_SET_H_
