// `sigil id check`: validates SPIFFE IDs and trust domain names and shows how they split.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include <nlohmann/json.hpp>

#include "command.h"
#include "output.h"
#include "sigil/spiffe_id.h"
#include "sigil/status.h"

namespace sigil::cli {
namespace {

struct IdCheckOptions {
  std::vector<std::string> ids;
  std::vector<std::string> trust_domains;
};

// Checks one ID, printing it on stdout when valid and the reason on stderr when not.
nlohmann::json CheckId(const Context& ctx, const std::string& input) {
  nlohmann::json entry = {{"input", Printable(input)}};
  absl::StatusOr<SpiffeId> id = SpiffeId::Parse(input);
  if (!id.ok()) {
    entry["valid"] = false;
    entry["error"] = std::string(id.status().message());
    ctx.err << "sigil: " << Printable(input) << ": invalid SPIFFE ID: " << id.status().message()
            << "\n";
    return entry;
  }
  // ID-23: the trust domain's own ID is valid but never names a workload.
  const std::string kind =
      id->IsTrustDomainId() ? "trust domain ID (never a workload identity)" : "workload ID";
  entry["valid"] = true;
  entry["spiffe_id"] = id->str();
  entry["trust_domain"] = id->trust_domain().name();
  entry["path"] = std::string(id->path());
  entry["is_trust_domain_id"] = id->IsTrustDomainId();
  if (ctx.format == OutputFormat::kText) {
    ctx.out << id->str() << "\n";
    WriteField(ctx.out, 2, "trust domain", id->trust_domain().name());
    WriteField(ctx.out, 2, "path", id->IsTrustDomainId() ? "(none)" : id->path());
    WriteField(ctx.out, 2, "kind", kind);
  }
  return entry;
}

nlohmann::json CheckTrustDomain(const Context& ctx, const std::string& input) {
  nlohmann::json entry = {{"input", Printable(input)}};
  absl::StatusOr<TrustDomain> td = TrustDomain::FromString(input);
  if (!td.ok()) {
    entry["valid"] = false;
    entry["error"] = std::string(td.status().message());
    ctx.err << "sigil: " << Printable(input) << ": invalid trust domain: " << td.status().message()
            << "\n";
    return entry;
  }
  // ID-21: a full SPIFFE ID is accepted and its trust domain taken; say so, since a
  // configuration file that wants a bare name would not accept the ID.
  const bool from_id = td->name() != input;
  entry["valid"] = true;
  entry["trust_domain"] = td->name();
  entry["spiffe_id"] = td->IdString();
  entry["from_spiffe_id"] = from_id;
  if (ctx.format == OutputFormat::kText) {
    ctx.out << td->name() << "\n";
    WriteField(ctx.out, 2, "trust domain",
               from_id ? absl::StrCat(td->name(), " (taken from a SPIFFE ID)") : td->name());
    WriteField(ctx.out, 2, "trust domain ID", td->IdString());
  }
  return entry;
}

int RunIdCheck(const IdCheckOptions& options, const Context& ctx) {
  if (options.ids.empty() && options.trust_domains.empty()) {
    return ReportUsageError(ctx, "id check: give at least one SPIFFE ID or --trust-domain NAME");
  }
  bool all_valid = true;
  nlohmann::json ids = nlohmann::json::array();
  for (const std::string& input : options.ids) {
    ids.push_back(CheckId(ctx, input));
    all_valid = all_valid && ids.back()["valid"].get<bool>();
  }
  nlohmann::json trust_domains = nlohmann::json::array();
  for (const std::string& input : options.trust_domains) {
    trust_domains.push_back(CheckTrustDomain(ctx, input));
    all_valid = all_valid && trust_domains.back()["valid"].get<bool>();
  }
  if (ctx.format == OutputFormat::kJson) {
    WriteJson(ctx.out, {{"valid", all_valid}, {"ids", ids}, {"trust_domains", trust_domains}});
  }
  return all_valid ? kExitOk : kExitInvalid;
}

}  // namespace

void AddIdCommands(CLI::App& sigil, Action* action) {
  CLI::App* id = sigil.add_subcommand("id", "SPIFFE IDs and trust domain names");
  id->require_subcommand(1);

  auto options = std::make_shared<IdCheckOptions>();
  CLI::App* check = id->add_subcommand(
      "check", "Validate SPIFFE IDs and trust domain names; exit 1 unless all are valid");
  check->add_option("ID", options->ids, "SPIFFE IDs to validate, e.g. spiffe://example.org/web");
  check
      ->add_option("-t,--trust-domain", options->trust_domains,
                   "A trust domain name to validate (repeatable); a full SPIFFE ID is accepted "
                   "and its trust domain checked")
      ->allow_extra_args(false);
  check->callback([options, action] {
    *action = [options](const Context& ctx) { return RunIdCheck(*options, ctx); };
  });
}

}  // namespace sigil::cli
