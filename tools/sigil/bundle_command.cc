// `sigil bundle convert`: trust bundles between PEM, DER, SPIFFE bundle JSON, plain JWKS and
// bundle maps.
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include <nlohmann/json.hpp>

#include "bundle_input.h"
#include "command.h"
#include "input.h"
#include "output.h"
#include "sigil/bundle.h"
#include "sigil/spiffe_id.h"
#include "sigil/status.h"

namespace sigil::cli {
namespace {

struct ConvertOptions {
  std::string from;
  std::string to;
  std::string trust_domain;
  std::string in = "-";
  std::string out = "-";
};

// PEM, DER, SPIFFE JSON and JWKS do not record a trust domain (BUNDLE-12), but a TrustBundle
// always has one; this stands in when converting between those formats, and never reaches the
// output.
constexpr std::string_view kPlaceholderTrustDomain = "trust-domain.invalid";

absl::StatusOr<std::string> Encode(BundleFormat format, const TrustBundle& bundle) {
  switch (format) {
    case BundleFormat::kPem:
      return EncodePemBundle(bundle);
    case BundleFormat::kDer:
      return ConcatDer(bundle.x509_authorities());
    case BundleFormat::kSpiffe:
      return EncodeSpiffeBundle(bundle, {.indent = true});
    case BundleFormat::kJwks:
      return EncodeJwks(bundle);
    case BundleFormat::kMap: {
      BundleSet set;
      set.Put(bundle);
      return EncodeBundleMap(set);
    }
  }
  return absl::InternalError("unknown bundle format");
}

// What the target format cannot hold, said before it is dropped.
void NoteDropped(const Context& ctx, BundleFormat to, const TrustBundle& bundle) {
  const bool x509_only = to == BundleFormat::kPem || to == BundleFormat::kDer;
  if (x509_only && !bundle.jwt_authorities().empty()) {
    ctx.err << "sigil: note: " << bundle.jwt_authorities().size()
            << " JWT authorities left out: " << BundleFormatName(to)
            << " holds X.509 authorities only\n";
  }
  if (to == BundleFormat::kJwks && !bundle.x509_authorities().empty()) {
    ctx.err << "sigil: note: " << bundle.x509_authorities().size()
            << " X.509 authorities left out: jwks holds JWT authorities only\n";
  }
}

absl::Status WriteOutput(const std::string& path, const std::string& data) {
  if (path == "-") {
    std::fwrite(data.data(), 1, data.size(), stdout);
    return std::fflush(stdout) == 0 ? absl::OkStatus()
                                    : absl::InternalError("cannot write to standard output");
  }
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file.write(data.data(), static_cast<std::streamsize>(data.size()));
  file.close();
  if (!file) {
    return absl::InvalidArgumentError(absl::StrCat("cannot write ", Printable(path)));
  }
  return absl::OkStatus();
}

// The checked flags of one conversion.
struct ConvertPlan {
  BundleFormat from;
  BundleFormat to;
  std::optional<TrustDomain> trust_domain;
};

// Fails with a usage message when the flags contradict each other or name nothing sigil knows.
absl::StatusOr<ConvertPlan> PlanConvert(const ConvertOptions& options, OutputFormat format) {
  ConvertPlan plan{};
  absl::StatusOr<BundleFormat> from = ParseBundleFormatName(options.from);
  if (!from.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--from: ", from.status().message()));
  }
  absl::StatusOr<BundleFormat> to = ParseBundleFormatName(options.to);
  if (!to.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--to: ", to.status().message()));
  }
  plan.from = *from;
  plan.to = *to;
  if (format == OutputFormat::kJson && options.out == "-") {
    return absl::InvalidArgumentError(
        "--output json needs --out FILE: the converted bundle itself goes to stdout");
  }
  if (!options.trust_domain.empty()) {
    absl::StatusOr<TrustDomain> td = TrustDomain::FromString(options.trust_domain);
    if (!td.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--trust-domain: ", td.status().message()));
    }
    plan.trust_domain = *std::move(td);
  }
  if (!plan.trust_domain.has_value() && plan.to == BundleFormat::kMap) {
    return absl::InvalidArgumentError("--to map needs --trust-domain: the map is keyed by it");
  }
  return plan;
}

// Decodes the input. A malformed input fails with kInvalidArgument; a map whose entry cannot
// be chosen fails with kFailedPrecondition, which the caller reports as a usage error.
absl::StatusOr<TrustBundle> DecodeInput(const ConvertPlan& plan, std::string_view input) {
  if (plan.from != BundleFormat::kMap) {
    const TrustDomain td =
        plan.trust_domain.value_or(*TrustDomain::FromString(kPlaceholderTrustDomain));
    absl::StatusOr<TrustBundle> bundle = DecodeBundle(plan.from, td, input);
    if (!bundle.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("input is not a valid ",
                                                     AsAbsl(BundleFormatName(plan.from)),
                                                     " bundle: ", bundle.status().message()));
    }
    return bundle;
  }
  absl::StatusOr<BundleSet> map = ParseBundleMap(input);
  if (!map.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("input is not a valid bundle map: ", map.status().message()));
  }
  std::optional<TrustDomain> td = plan.trust_domain;
  if (!td.has_value() && map->size() == 1) {
    td = map->begin()->first;
  }
  if (!td.has_value()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "--from map needs --trust-domain: the map holds ", map->size(), " trust domains"));
  }
  const TrustBundle* found = map->Find(*td);
  if (found == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("the bundle map has no trust domain ", td->name()));
  }
  return *found;
}

void WriteSummary(const Context& ctx, const ConvertOptions& options, BundleFormat to,
                  const TrustBundle& bundle) {
  const size_t x509 = bundle.x509_authorities().size();
  const size_t jwt = bundle.jwt_authorities().size();
  if (ctx.format == OutputFormat::kJson) {
    WriteJson(ctx.out, {{"valid", true},
                        {"written", options.out},
                        {"format", BundleFormatName(to)},
                        {"x509_authorities", x509},
                        {"jwt_authorities", jwt}});
    return;
  }
  ctx.out << "wrote " << Printable(options.out) << " (" << BundleFormatName(to) << "; " << x509
          << " X.509 authorities, " << jwt << " JWT authorities read)\n";
}

int RunConvert(const ConvertOptions& options, const Context& ctx) {
  absl::StatusOr<ConvertPlan> plan = PlanConvert(options, ctx.format);
  if (!plan.ok()) {
    return ReportUsageError(ctx, plan.status().message());
  }
  absl::StatusOr<std::string> input = ReadInput(options.in);
  if (!input.ok()) {
    return ReportUsageError(ctx, input.status().message());
  }
  absl::StatusOr<TrustBundle> bundle = DecodeInput(*plan, *input);
  if (!bundle.ok()) {
    return bundle.status().code() == absl::StatusCode::kFailedPrecondition
               ? ReportUsageError(ctx, bundle.status().message())
               : ReportInvalid(ctx, bundle.status().message());
  }

  const bool x509_only = plan->to == BundleFormat::kPem || plan->to == BundleFormat::kDer;
  if (x509_only && bundle->x509_authorities().empty()) {
    return ReportInvalid(ctx, absl::StrCat("the bundle has no X.509 authorities to write as ",
                                           AsAbsl(BundleFormatName(plan->to))));
  }
  NoteDropped(ctx, plan->to, *bundle);
  absl::StatusOr<std::string> encoded = Encode(plan->to, *bundle);
  if (!encoded.ok()) {
    return ReportInvalid(
        ctx, absl::StrCat("cannot write the bundle as ", AsAbsl(BundleFormatName(plan->to)), ": ",
                          encoded.status().message()));
  }
  // The JSON encoders end without a newline; a file or terminal wants one.
  if (!x509_only && !encoded->empty() && encoded->back() != '\n') {
    encoded->push_back('\n');
  }
  if (absl::Status s = WriteOutput(options.out, *encoded); !s.ok()) {
    return ReportUsageError(ctx, s.message());
  }
  if (options.out != "-") {
    WriteSummary(ctx, options, plan->to, *bundle);
  }
  return kExitOk;
}

}  // namespace

void AddBundleCommands(CLI::App& sigil, Action* action) {
  CLI::App* bundle = sigil.add_subcommand("bundle", "Trust bundles");
  bundle->require_subcommand(1);

  auto options = std::make_shared<ConvertOptions>();
  CLI::App* convert = bundle->add_subcommand("convert", "Convert a trust bundle between formats");
  convert->add_option("-f,--from", options->from, "Input format: pem, der, spiffe, jwks or map")
      ->required();
  convert->add_option("--to", options->to, "Output format: pem, der, spiffe, jwks or map")
      ->required();
  convert->add_option("-t,--trust-domain", options->trust_domain,
                      "Trust domain of the bundle; needed to read a map holding several and "
                      "to write a map");
  convert->add_option("-i,--in", options->in, "Input file (default: - for stdin)");
  convert->add_option("--out", options->out, "Output file (default: - for stdout)");
  convert->callback([options, action] {
    *action = [options](const Context& ctx) { return RunConvert(*options, ctx); };
  });
}

}  // namespace sigil::cli
