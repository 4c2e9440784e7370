// Bundle map documents (BUNDLE-13): {"trust_domains": {"<name>": <SPIFFE bundle>, ...}}.
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

#include "jwk_set.h"
#include "sigil/bundle.h"
#include "sigil/status.h"
#include "sigil/strict_json.h"

namespace sigil {
namespace {

using bundle_internal::KeySetFormat;

constexpr std::string_view kWhat = "bundle map";

// Member names come from the document; show at most 64 printable bytes of one in a message.
std::string Printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 64)) {
    const auto u = static_cast<unsigned char>(c);
    out.push_back(u >= 0x20 && u < 0x7f && c != '"' ? c : '?');
  }
  return out;
}

absl::Status Invalid(std::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat(AsAbsl(kWhat), ": ", AsAbsl(message)));
}

}  // namespace

absl::StatusOr<BundleSet> ParseBundleMap(std::string_view json) {
  SIGIL_ASSIGN_OR_RETURN(nlohmann::json doc,
                         ParseStrictJson(json, kWhat, {kMaxBundleMapJsonSize, 32}));
  if (!doc.is_object()) {
    return Invalid("is not a JSON object");
  }
  auto entries = doc.find("trust_domains");
  if (entries == doc.end()) {
    return Invalid("has no \"trust_domains\" member");
  }
  if (!entries->is_object()) {
    return Invalid("\"trust_domains\" is not an object");
  }

  // The strict parser has already refused repeated names; names are never normalised, so two
  // distinct names cannot land on one trust domain.
  BundleSet set;
  for (const auto& [name, value] : entries->items()) {
    const std::string context =
        absl::StrCat(AsAbsl(kWhat), ": trust_domains[\"", Printable(name), "\"]");
    if (absl::Status valid = ValidateTrustDomainName(name); !valid.ok()) {
      return bundle_internal::WithContext(valid,
                                          absl::StrCat(context, ": not a trust domain name"));
    }
    SIGIL_ASSIGN_OR_RETURN(TrustDomain td, TrustDomain::FromString(name));
    // Limitation: keys skipped inside map entries (unknown use or kty) are not reported to the
    // caller, so an operator sees a smaller bundle without being told why.
    absl::StatusOr<TrustBundle> bundle =
        bundle_internal::BundleFromJson(td, value, KeySetFormat::kBundleMapEntry, nullptr);
    if (!bundle.ok()) {
      return bundle_internal::WithContext(bundle.status(), context);
    }
    set.Put(*std::move(bundle));
  }
  return set;
}

absl::StatusOr<std::string> EncodeBundleMap(const BundleSet& set) {
  nlohmann::ordered_json entries = nlohmann::ordered_json::object();
  for (const auto& [td, bundle] : set) {
    SIGIL_ASSIGN_OR_RETURN(
        nlohmann::ordered_json doc,
        bundle_internal::BundleToJson(bundle, KeySetFormat::kBundleMapEntry, {}));
    entries[td.name()] = std::move(doc);
  }
  nlohmann::ordered_json doc = nlohmann::ordered_json::object();
  doc["trust_domains"] = std::move(entries);
  return bundle_internal::DumpJson(doc, /*indent=*/false);
}

}  // namespace sigil
