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

// For the terminal: everything outside ASCII is written as \uXXXX, so a claim cannot carry
// terminal controls or bidirectional overrides.
std::string Dump(const nlohmann::json& value, int indent = -1) {
  return value.dump(indent, ' ', true, nlohmann::json::error_handler_t::replace);
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

// The flags that are not files, checked before anything is read.
struct VerifyFlags {
  absl::Time now;
  std::optional<TrustDomain> pinned;
};

absl::StatusOr<VerifyFlags> CheckVerifyFlags(const VerifyOptions& options, absl::Time now) {
  VerifyFlags flags{.now = now};
  if (!options.at.empty()) {
    SIGIL_ASSIGN_OR_RETURN(flags.now, ParseTimeFlag(options.at));
  }
  if (!options.trust_domain.empty()) {
    absl::StatusOr<TrustDomain> td = TrustDomain::FromString(options.trust_domain);
    if (!td.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--trust-domain: ", td.status().message()));
    }
    flags.pinned = *std::move(td);
  }
  return flags;
}

// The bundle's trust domain defaults to the one the token claims. The key must still be in
// the file the user named, but nothing ties that file to the claimed trust domain: the output
// says so, and --trust-domain pins it. Without a pinned trust domain and a usable sub there is
// nothing to pick a bundle for; an empty set is returned and validation names the problem.
absl::StatusOr<LoadedBundles> LoadTokenBundles(const VerifyOptions& options,
                                               const VerifyFlags& flags,
                                               const UnverifiedJwt& unverified) {
  std::optional<TrustDomain> claimed;
  if (absl::StatusOr<SpiffeId> sub = SubjectOf(unverified.claims); sub.ok()) {
    claimed = sub->trust_domain();
  }
  if (!flags.pinned.has_value() && !claimed.has_value()) {
    return LoadedBundles{};
  }
  return LoadBundles({{flags.pinned, options.bundle_path}}, claimed);
}

nlohmann::json ValidJson(const JwtSvid& svid, bool assumed, absl::Time now) {
  nlohmann::json doc = {
      {"valid", true},
      {"spiffe_id", svid.spiffe_id.str()},
      {"trust_domain", svid.spiffe_id.trust_domain().name()},
      {"audiences", svid.audiences},
      {"expires_at", TimeText(svid.expires_at)},
      {"key_id", svid.key_id},
      {"algorithm", std::string(JwtAlgorithmName(svid.algorithm))},
      {"checked_at", TimeText(now)},
      {"bundle_trust_domain_assumed", assumed},
      {"claims", svid.claims},
  };
  if (svid.issued_at.has_value()) {
    doc["issued_at"] = TimeText(*svid.issued_at);
  }
  return doc;
}

void WriteValidText(std::ostream& out, const JwtSvid& svid, bool assumed, absl::Time now) {
  const std::string& td = svid.spiffe_id.trust_domain().name();
  out << "valid JWT-SVID\n";
  WriteField(out, 2, "SPIFFE ID", svid.spiffe_id.str());
  WriteField(out, 2, "trust domain",
             assumed ? absl::StrCat(td,
                                    " (the bundle was taken as this trust domain's; pass "
                                    "--trust-domain to pin it)")
                     : td);
  std::vector<std::string> audiences;
  for (const std::string& aud : svid.audiences) {
    audiences.push_back(Printable(aud));
  }
  WriteField(out, 2, "audience", absl::StrJoin(audiences, ", "));
  WriteField(
      out, 2, "expires",
      absl::StrCat(TimeText(svid.expires_at), " (", DescribeFromNow(svid.expires_at, now), ")"));
  if (svid.issued_at.has_value()) {
    WriteField(out, 2, "issued at", TimeText(*svid.issued_at));
  }
  WriteField(out, 2, "key id", svid.key_id.empty() ? "(none)" : Printable(svid.key_id));
  WriteField(out, 2, "algorithm", JwtAlgorithmName(svid.algorithm));
  WriteField(out, 2, "checked at", TimeText(now));
}

int RunVerify(const VerifyOptions& options, const Context& base_ctx) {
  absl::StatusOr<VerifyFlags> flags = CheckVerifyFlags(options, base_ctx.now);
  if (!flags.ok()) {
    return ReportUsageError(base_ctx, flags.status().message());
  }
  Context ctx = base_ctx;
  ctx.now = flags->now;
  absl::StatusOr<SecretBytes> token = ReadTokenArgument(options.token_arg);
  if (!token.ok()) {
    return ReportUsageError(ctx, token.status().message());
  }
  auto invalid = [&](const absl::Status& status) {
    return ReportInvalid(
        ctx, Redact(absl::StrCat("JWT-SVID is not valid: ", status.message()), token->view()),
        {{"checked_at", TimeText(ctx.now)}});
  };

  absl::StatusOr<UnverifiedJwt> unverified = ParseJwtSvidInsecure(token->view());
  if (!unverified.ok()) {
    return invalid(unverified.status());
  }
  absl::StatusOr<LoadedBundles> bundles = LoadTokenBundles(options, *flags, *unverified);
  if (!bundles.ok()) {
    return ReportUsageError(ctx, bundles.status().message());
  }
  absl::StatusOr<JwtSvid> svid =
      ValidateJwtSvid(token->view(), bundles->bundles, options.audiences, ctx.now);
  if (!svid.ok()) {
    return invalid(svid.status());
  }

  if (ctx.format == OutputFormat::kJson) {
    WriteJson(ctx.out, ValidJson(*svid, bundles->used_default, ctx.now));
  } else {
    WriteValidText(ctx.out, *svid, bundles->used_default, ctx.now);
  }
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
