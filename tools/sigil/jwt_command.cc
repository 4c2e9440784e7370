// `sigil jwt inspect` and `sigil jwt verify`: JWT-SVIDs. A token is a bearer credential: it
// is read into SecretBytes, never printed, and every message about it passes through Redact.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include <nlohmann/json.hpp>

#include "bundle_input.h"
#include "command.h"
#include "input.h"
#include "output.h"
#include "sigil/jwt_svid.h"
#include "sigil/spiffe_id.h"
#include "sigil/status.h"

namespace sigil::cli {
namespace {

std::string IndentLines(const std::string& text, int indent) {
  const std::string pad(indent, ' ');
  return pad + absl::StrReplaceAll(text, {{"\n", "\n" + pad}});
}

std::string Dump(const nlohmann::json& value, int indent = -1) {
  return value.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

// A NumericDate claim as a time, when it is a JSON integer (JWT-10, JWT-19).
std::optional<absl::Time> ClaimTime(const nlohmann::json& claims, const char* name) {
  const auto it = claims.find(name);
  if (it == claims.end() || !it->is_number_integer()) {
    return std::nullopt;
  }
  return absl::FromUnixSeconds(it->get<int64_t>());
}

// The SPIFFE ID in an unverified token's sub, when there is a valid one.
absl::StatusOr<SpiffeId> SubjectOf(const nlohmann::json& claims) {
  const auto it = claims.find("sub");
  if (it == claims.end() || !it->is_string()) {
    return absl::InvalidArgumentError("sub is missing or not a string");
  }
  return SpiffeId::Parse(it->get_ref<const std::string&>());
}

std::string TimeClaimText(const nlohmann::json& claims, const char* name, absl::Time now) {
  if (!claims.contains(name)) {
    return "(absent)";
  }
  std::optional<absl::Time> t = ClaimTime(claims, name);
  if (!t.has_value()) {
    return absl::StrCat(Printable(Dump(claims[name])), " (not an integer NumericDate)");
  }
  return absl::StrCat(TimeText(*t), " (", DescribeFromNow(*t, now), ")");
}

// ---------------------------------------------------------------------------------------------
// jwt inspect

int RunInspect(const std::string& token_arg, const Context& ctx) {
  absl::StatusOr<SecretBytes> token = ReadTokenArgument(token_arg);
  if (!token.ok()) {
    return ReportUsageError(ctx, token.status().message());
  }
  absl::StatusOr<UnverifiedJwt> jwt = ParseJwtSvidInsecure(token->view());
  if (!jwt.ok()) {
    return ReportInvalid(
        ctx, Redact(absl::StrCat("JWT is malformed: ", jwt.status().message()), token->view()),
        {{"verified", false}});
  }
  absl::StatusOr<SpiffeId> subject = SubjectOf(jwt->claims);
  const std::optional<absl::Time> expires = ClaimTime(jwt->claims, "exp");

  if (ctx.format == OutputFormat::kJson) {
    nlohmann::json doc = {
        {"verified", false},
        {"header", jwt->header},
        {"claims", jwt->claims},
        {"signature_size", jwt->signature_size},
        {"subject_valid", subject.ok()},
    };
    if (!subject.ok()) {
      doc["subject_error"] = std::string(subject.status().message());
    }
    if (expires.has_value()) {
      doc["expires_at"] = TimeText(*expires);
      doc["expired"] = *expires <= ctx.now;
    }
    WriteJson(ctx.out, doc);
    return kExitOk;
  }
  ctx.out << "NOT VERIFIED: decoded only; the signature, issuer and audience were not checked "
             "(use 'sigil jwt verify')\n";
  ctx.out << "header:\n" << IndentLines(Dump(jwt->header, 2), 2) << "\n";
  ctx.out << "claims:\n" << IndentLines(Dump(jwt->claims, 2), 2) << "\n";
  WriteField(ctx.out, 0, "signature", absl::StrCat(jwt->signature_size, " bytes (not shown)"));
  WriteField(ctx.out, 0, "subject",
             subject.ok() ? absl::StrCat(subject->str(), " (a valid SPIFFE ID)")
                          : absl::StrCat("not a valid SPIFFE ID: ", subject.status().message()));
  WriteField(ctx.out, 0, "expires", TimeClaimText(jwt->claims, "exp", ctx.now));
  WriteField(ctx.out, 0, "issued at", TimeClaimText(jwt->claims, "iat", ctx.now));
  if (jwt->claims.contains("nbf")) {
    WriteField(ctx.out, 0, "not before", TimeClaimText(jwt->claims, "nbf", ctx.now));
  }
  return kExitOk;
}

// ---------------------------------------------------------------------------------------------
// jwt verify

struct VerifyOptions {
  std::string bundle_path;
  std::vector<std::string> audiences;
  std::string trust_domain;
  std::string at;
  std::string token_arg;
};

int RunVerify(const VerifyOptions& options, const Context& base_ctx) {
  Context ctx = base_ctx;
  if (!options.at.empty()) {
    absl::StatusOr<absl::Time> at = ParseTimeFlag(options.at);
    if (!at.ok()) {
      return ReportUsageError(ctx, at.status().message());
    }
    ctx.now = *at;
  }
  std::optional<TrustDomain> pinned;
  if (!options.trust_domain.empty()) {
    absl::StatusOr<TrustDomain> td = TrustDomain::FromString(options.trust_domain);
    if (!td.ok()) {
      return ReportUsageError(ctx, absl::StrCat("--trust-domain: ", td.status().message()));
    }
    pinned = *std::move(td);
  }
  absl::StatusOr<SecretBytes> token = ReadTokenArgument(options.token_arg);
  if (!token.ok()) {
    return ReportUsageError(ctx, token.status().message());
  }
  const nlohmann::json failure_doc = {{"checked_at", TimeText(ctx.now)}};
  auto invalid = [&](const absl::Status& status) {
    return ReportInvalid(
        ctx, Redact(absl::StrCat("JWT-SVID is not valid: ", status.message()), token->view()),
        failure_doc);
  };

  // The bundle's trust domain defaults to the one the token claims. The key must still be in
  // the file the user named, but nothing ties that file to the claimed trust domain: the
  // output says so, and --trust-domain pins it.
  absl::StatusOr<UnverifiedJwt> unverified = ParseJwtSvidInsecure(token->view());
  if (!unverified.ok()) {
    return invalid(unverified.status());
  }
  absl::StatusOr<SpiffeId> claimed = SubjectOf(unverified->claims);
  std::optional<TrustDomain> default_td;
  if (claimed.ok()) {
    default_td = claimed->trust_domain();
  }
  LoadedBundles bundles;
  // Without a usable sub there is nothing to pick a bundle for; validation names the problem.
  if (pinned.has_value() || default_td.has_value()) {
    absl::StatusOr<LoadedBundles> loaded = LoadBundles({{pinned, options.bundle_path}}, default_td);
    if (!loaded.ok()) {
      return ReportUsageError(ctx, loaded.status().message());
    }
    bundles = *std::move(loaded);
  }

  absl::StatusOr<JwtSvid> svid =
      ValidateJwtSvid(token->view(), bundles.bundles, options.audiences, ctx.now);
  if (!svid.ok()) {
    return invalid(svid.status());
  }

  const bool assumed = bundles.used_default;
  const std::string algorithm(JwtAlgorithmName(svid->algorithm));
  if (ctx.format == OutputFormat::kJson) {
    nlohmann::json doc = {
        {"valid", true},
        {"spiffe_id", svid->spiffe_id.str()},
        {"trust_domain", svid->spiffe_id.trust_domain().name()},
        {"audiences", svid->audiences},
        {"expires_at", TimeText(svid->expires_at)},
        {"key_id", svid->key_id},
        {"algorithm", algorithm},
        {"checked_at", TimeText(ctx.now)},
        {"bundle_trust_domain_assumed", assumed},
        {"claims", svid->claims},
    };
    if (svid->issued_at.has_value()) {
      doc["issued_at"] = TimeText(*svid->issued_at);
    }
    WriteJson(ctx.out, doc);
    return kExitOk;
  }
  ctx.out << "valid JWT-SVID\n";
  WriteField(ctx.out, 2, "SPIFFE ID", svid->spiffe_id.str());
  WriteField(ctx.out, 2, "trust domain",
             assumed ? absl::StrCat(svid->spiffe_id.trust_domain().name(),
                                    " (the bundle was taken as this trust domain's; pass "
                                    "--trust-domain to pin it)")
                     : svid->spiffe_id.trust_domain().name());
  std::vector<std::string> audiences;
  for (const std::string& aud : svid->audiences) {
    audiences.push_back(Printable(aud));
  }
  WriteField(ctx.out, 2, "audience", absl::StrJoin(audiences, ", "));
  WriteField(ctx.out, 2, "expires",
             absl::StrCat(TimeText(svid->expires_at), " (",
                          DescribeFromNow(svid->expires_at, ctx.now), ")"));
  if (svid->issued_at.has_value()) {
    WriteField(ctx.out, 2, "issued at", TimeText(*svid->issued_at));
  }
  WriteField(ctx.out, 2, "key id", svid->key_id.empty() ? "(none)" : Printable(svid->key_id));
  WriteField(ctx.out, 2, "algorithm", algorithm);
  WriteField(ctx.out, 2, "checked at", TimeText(ctx.now));
  return kExitOk;
}

}  // namespace

void AddJwtCommands(CLI::App& sigil, Action* action) {
  CLI::App* jwt = sigil.add_subcommand("jwt", "JWT-SVIDs");
  jwt->require_subcommand(1);
  constexpr const char* kTokenHelp = "The token, - to read it from stdin, or @FILE";

  auto inspect_token = std::make_shared<std::string>();
  CLI::App* inspect = jwt->add_subcommand(
      "inspect", "Decode a JWT-SVID WITHOUT verifying it: header, claims, times");
  inspect->add_option("TOKEN", *inspect_token, kTokenHelp)->required();
  inspect->callback([inspect_token, action] {
    *action = [inspect_token](const Context& ctx) { return RunInspect(*inspect_token, ctx); };
  });

  auto options = std::make_shared<VerifyOptions>();
  CLI::App* verify =
      jwt->add_subcommand("verify", "Validate a JWT-SVID against a bundle; exit 1 unless valid");
  verify
      ->add_option(
          "-b,--bundle", options->bundle_path,
          "Bundle file with the trust domain's JWT authorities: SPIFFE JSON, plain JWKS or "
          "bundle map")
      ->required();
  verify
      ->add_option("-a,--audience", options->audiences,
                   "An audience to accept (repeatable; the token needs one of them)")
      ->required()
      ->allow_extra_args(false);
  verify->add_option("-t,--trust-domain", options->trust_domain,
                     "Trust domain the bundle belongs to (default: the token's sub's)");
  verify->add_option("--at", options->at,
                     "Check at this RFC 3339 time instead of now, e.g. 2030-01-01T00:00:00Z");
  verify->add_option("TOKEN", options->token_arg, kTokenHelp)->required();
  verify->callback([options, action] {
    *action = [options](const Context& ctx) { return RunVerify(*options, ctx); };
  });
}

}  // namespace sigil::cli
