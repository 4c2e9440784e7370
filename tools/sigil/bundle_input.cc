#include "bundle_input.h"

#include <string>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"

#include "input.h"
#include "output.h"
#include "sigil/certificate.h"
#include "sigil/status.h"
#include "sigil/strict_json.h"

namespace sigil::cli {
namespace {

std::string_view SkipWhitespace(std::string_view s) {
  const size_t start = s.find_first_not_of(" \t\r\n");
  return start == std::string_view::npos ? std::string_view() : s.substr(start);
}

absl::Status Annotate(const absl::Status& status, std::string_view path) {
  return absl::Status(status.code(),
                      absl::StrCat("bundle ", InputName(path), ": ", status.message()));
}

// Adds `bundle` to `set`, merging with a bundle already there for the same trust domain.
absl::Status Merge(TrustBundle bundle, BundleSet& set) {
  const TrustBundle* existing = set.Find(bundle.trust_domain());
  if (existing == nullptr) {
    set.Put(std::move(bundle));
    return absl::OkStatus();
  }
  TrustBundle merged = *existing;
  for (const Certificate& cert : bundle.x509_authorities()) {
    merged.AddX509Authority(cert);
  }
  for (const JwtAuthority& authority : bundle.jwt_authorities()) {
    SIGIL_RETURN_IF_ERROR(merged.AddJwtAuthority(authority));
  }
  set.Put(std::move(merged));
  return absl::OkStatus();
}

absl::Status AddBundleFile(const BundleArgument& arg, std::string_view content,
                           const std::optional<TrustDomain>& default_td, LoadedBundles& loaded) {
  BundleSet& set = loaded.bundles;
  SIGIL_ASSIGN_OR_RETURN(BundleFormat format, DetectBundleFormat(content));

  if (format == BundleFormat::kMap) {
    SIGIL_ASSIGN_OR_RETURN(BundleSet map, ParseBundleMap(content));
    if (arg.trust_domain.has_value()) {
      const TrustBundle* bundle = map.Find(*arg.trust_domain);
      if (bundle == nullptr) {
        return absl::NotFoundError(
            absl::StrCat("the bundle map has no trust domain ", arg.trust_domain->name()));
      }
      return Merge(*bundle, set);
    }
    for (const auto& [td, bundle] : map) {
      SIGIL_RETURN_IF_ERROR(Merge(bundle, set));
    }
    return absl::OkStatus();
  }

  const std::optional<TrustDomain>& td = arg.trust_domain ? arg.trust_domain : default_td;
  loaded.used_default = loaded.used_default || !arg.trust_domain.has_value();
  if (!td.has_value()) {
    return absl::InvalidArgumentError(
        "a bundle file that is not a bundle map needs --trust-domain before it");
  }
  SIGIL_ASSIGN_OR_RETURN(TrustBundle bundle, DecodeBundle(format, *td, content));
  return Merge(std::move(bundle), set);
}

}  // namespace

std::string_view BundleFormatName(BundleFormat format) {
  switch (format) {
    case BundleFormat::kPem:
      return "pem";
    case BundleFormat::kDer:
      return "der";
    case BundleFormat::kSpiffe:
      return "spiffe";
    case BundleFormat::kJwks:
      return "jwks";
    case BundleFormat::kMap:
      return "map";
  }
  return "unknown";
}

absl::StatusOr<BundleFormat> ParseBundleFormatName(std::string_view name) {
  for (BundleFormat format : {BundleFormat::kPem, BundleFormat::kDer, BundleFormat::kSpiffe,
                              BundleFormat::kJwks, BundleFormat::kMap}) {
    if (BundleFormatName(format) == name) {
      return format;
    }
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown bundle format \"", Printable(name),
                                                 "\"; expected pem, der, spiffe, jwks or map"));
}

absl::StatusOr<BundleFormat> DetectBundleFormat(std::string_view content) {
  const std::string_view start = SkipWhitespace(content);
  if (start.starts_with("-----BEGIN")) {
    return BundleFormat::kPem;
  }
  if (start.starts_with("{")) {
    SIGIL_ASSIGN_OR_RETURN(
        nlohmann::json doc,
        ParseStrictJson(content, "bundle", JsonLimits{.max_bytes = kMaxBundleJsonSize}));
    if (doc.is_object() && doc.contains("trust_domains") && !doc.contains("keys")) {
      return BundleFormat::kMap;
    }
    // The Workload API's JWKS carries no "use" (WAPI-33), while every usable key of a SPIFFE
    // bundle has one; read as a SPIFFE bundle, such a file would silently be empty.
    if (doc.is_object() && doc.contains("keys") && doc["keys"].is_array() && !doc["keys"].empty()) {
      bool any_use = false;
      for (const nlohmann::json& key : doc["keys"]) {
        any_use = any_use || (key.is_object() && key.contains("use"));
      }
      if (!any_use) {
        return BundleFormat::kJwks;
      }
    }
    return BundleFormat::kSpiffe;
  }
  // Every DER certificate begins with a SEQUENCE tag; leading whitespace would be corruption.
  if (!content.empty() && static_cast<unsigned char>(content[0]) == 0x30) {
    return BundleFormat::kDer;
  }
  return absl::InvalidArgumentError(
      "not a bundle: expected PEM certificates, DER certificates or SPIFFE bundle JSON");
}

absl::StatusOr<TrustBundle> DecodeBundle(BundleFormat format, const TrustDomain& td,
                                         std::string_view content) {
  switch (format) {
    case BundleFormat::kPem:
      return ParsePemBundle(td, content);
    case BundleFormat::kDer: {
      SIGIL_ASSIGN_OR_RETURN(std::vector<Certificate> certs,
                             ParseDerCertificates(content, kMaxBundleCertificates));
      TrustBundle bundle(td);
      for (Certificate& cert : certs) {
        bundle.AddX509Authority(std::move(cert));
      }
      return bundle;
    }
    case BundleFormat::kSpiffe:
      return ParseSpiffeBundle(td, content);
    case BundleFormat::kJwks:
      return ParseJwks(td, content);
    case BundleFormat::kMap:
      break;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("cannot read a single bundle from format ", AsAbsl(BundleFormatName(format))));
}

absl::StatusOr<LoadedBundles> LoadBundles(const std::vector<BundleArgument>& args,
                                          const std::optional<TrustDomain>& default_td) {
  LoadedBundles loaded;
  for (const BundleArgument& arg : args) {
    // Read errors already name the file.
    SIGIL_ASSIGN_OR_RETURN(std::string content, ReadInput(arg.path));
    if (absl::Status s = AddBundleFile(arg, content, default_td, loaded); !s.ok()) {
      return Annotate(s, arg.path);
    }
  }
  return loaded;
}

}  // namespace sigil::cli
