// `sigil x509 inspect` and `sigil x509 verify`: X509-SVID chains as people receive them in
// files, PEM or DER.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include <nlohmann/json.hpp>

#include "bundle_input.h"
#include "certificate_text.h"
#include "command.h"
#include "input.h"
#include "output.h"
#include "sigil/certificate.h"
#include "sigil/spiffe_id.h"
#include "sigil/status.h"
#include "sigil/x509_authorizer.h"
#include "sigil/x509_profile.h"
#include "sigil/x509_svid.h"
#include "sigil/x509_verify.h"

namespace sigil::cli {
namespace {

std::vector<std::string> PrintableAll(const std::vector<std::string>& values) {
  std::vector<std::string> out;
  out.reserve(values.size());
  for (const std::string& v : values) {
    out.push_back(Printable(v));
  }
  return out;
}

std::string KeyTypeText(const Certificate& cert) {
  absl::StatusOr<PublicKey> key = cert.public_key();
  if (!key.ok()) {
    return absl::StrCat("unsupported (", key.status().message(), ")");
  }
  return std::string(KeyTypeName(key->type()));
}

nlohmann::json CertificateJson(const Certificate& cert) {
  return {
      {"subject", SubjectName(cert)},
      {"issuer", IssuerName(cert)},
      {"serial", cert.SerialHex()},
      {"is_ca", cert.IsCa()},
      {"not_before", TimeText(cert.not_before())},
      {"not_after", TimeText(cert.not_after())},
      {"key_type", KeyTypeText(cert)},
      {"key_usage", KeyUsageNames(cert)},
      {"extended_key_usage", ExtendedKeyUsageNames(cert)},
      {"uri_sans", PrintableAll(cert.UriSans())},
      {"dns_sans", PrintableAll(cert.DnsSans())},
      {"sha256", cert.Sha256Fingerprint()},
  };
}

void WriteCertificateText(std::ostream& out, size_t index, const Certificate& cert,
                          absl::Time now) {
  out << "  [" << index << "] " << (cert.IsCa() ? "CA" : "leaf") << "\n";
  WriteField(out, 6, "subject", SubjectName(cert));
  WriteField(out, 6, "issuer", IssuerName(cert));
  WriteField(out, 6, "CA", cert.IsCa() ? "yes" : "no");
  WriteField(out, 6, "serial", cert.SerialHex());
  WriteField(out, 6, "not before", TimeText(cert.not_before()));
  WriteField(
      out, 6, "not after",
      absl::StrCat(TimeText(cert.not_after()), " (", DescribeFromNow(cert.not_after(), now), ")"));
  WriteField(out, 6, "key type", KeyTypeText(cert));
  const std::vector<std::string> usages = KeyUsageNames(cert);
  WriteField(out, 6, "key usage", usages.empty() ? "(absent)" : absl::StrJoin(usages, ", "));
  const std::vector<std::string> eku = ExtendedKeyUsageNames(cert);
  if (!eku.empty()) {
    WriteField(out, 6, "extended key usage", absl::StrJoin(eku, ", "));
  }
  for (const std::string& uri : cert.UriSans()) {
    WriteField(out, 6, "URI SAN", Printable(uri));
  }
  for (const std::string& dns : cert.DnsSans()) {
    WriteField(out, 6, "DNS SAN", Printable(dns));
  }
  WriteField(out, 6, "SHA-256", cert.Sha256Fingerprint());
}

// ---------------------------------------------------------------------------------------------
// x509 inspect

// A chain file that cannot be read is a usage error; one that does not parse is invalid.
int RunInspect(const std::string& path, const Context& ctx) {
  absl::StatusOr<std::string> content = ReadInput(path);
  if (!content.ok()) {
    return ReportUsageError(ctx, content.status().message());
  }
  absl::StatusOr<std::vector<Certificate>> chain = ParseCertificates(*content);
  if (!chain.ok()) {
    return ReportInvalid(ctx, absl::StrCat("cannot read certificates from ", InputName(path), ": ",
                                           chain.status().message()));
  }
  const Certificate& leaf = chain->front();
  absl::StatusOr<SpiffeId> id = X509SvidLeafId(leaf);
  const std::vector<std::string> problems = CheckX509SvidProfile(*chain);

  if (ctx.format == OutputFormat::kJson) {
    nlohmann::json certs = nlohmann::json::array();
    for (const Certificate& cert : *chain) {
      certs.push_back(CertificateJson(cert));
    }
    nlohmann::json doc = {
        {"valid", problems.empty()},
        {"spiffe_id", id.ok() ? nlohmann::json(id->str()) : nlohmann::json(nullptr)},
        {"serial", leaf.SerialHex()},
        {"not_before", TimeText(leaf.not_before())},
        {"not_after", TimeText(leaf.not_after())},
        {"expired", leaf.not_after() < ctx.now},
        {"key_type", KeyTypeText(leaf)},
        {"chain", certs},
        {"problems", problems},
    };
    if (!id.ok()) {
      doc["spiffe_id_error"] = std::string(id.status().message());
    }
    WriteJson(ctx.out, doc);
  } else {
    WriteField(ctx.out, 0, "SPIFFE ID",
               id.ok() ? id->str() : absl::StrCat("(none: ", id.status().message(), ")"));
    WriteField(ctx.out, 0, "serial", leaf.SerialHex());
    WriteField(ctx.out, 0, "not before", TimeText(leaf.not_before()));
    WriteField(ctx.out, 0, "not after",
               absl::StrCat(TimeText(leaf.not_after()), " (",
                            leaf.not_after() < ctx.now ? "expired " : "expires ",
                            DescribeFromNow(leaf.not_after(), ctx.now), ")"));
    WriteField(ctx.out, 0, "key type", KeyTypeText(leaf));
    ctx.out << "chain (" << chain->size() << (chain->size() == 1 ? " certificate" : " certificates")
            << ", leaf first):\n";
    for (size_t i = 0; i < chain->size(); ++i) {
      WriteCertificateText(ctx.out, i, (*chain)[i], ctx.now);
    }
    if (problems.empty()) {
      ctx.out << "SPIFFE profile problems: none\n";
    } else {
      ctx.out << "SPIFFE profile problems:\n";
      for (const std::string& p : problems) {
        ctx.out << "  - " << p << "\n";
      }
    }
  }
  if (!problems.empty()) {
    ctx.err << "sigil: " << problems.size()
            << (problems.size() == 1 ? " SPIFFE profile problem" : " SPIFFE profile problems")
            << ", first: " << problems.front() << "\n";
    return kExitInvalid;
  }
  return kExitOk;
}

// ---------------------------------------------------------------------------------------------
// x509 verify

struct VerifyOptions {
  std::vector<BundleArgument> bundles;
  // A --trust-domain waiting for the --bundle that follows it.
  std::optional<TrustDomain> pending_trust_domain;
  std::vector<std::string> expected_ids;
  std::string at;
  std::string chain_path;
};

int RunVerify(const VerifyOptions& options, const Context& base_ctx) {
  Context ctx = base_ctx;
  if (options.pending_trust_domain.has_value()) {
    return ReportUsageError(ctx,
                            absl::StrCat("--trust-domain ", options.pending_trust_domain->name(),
                                         " must be followed by the --bundle FILE it names"));
  }
  if (!options.at.empty()) {
    absl::StatusOr<absl::Time> at = ParseTimeFlag(options.at);
    if (!at.ok()) {
      return ReportUsageError(ctx, at.status().message());
    }
    ctx.now = *at;
  }
  std::vector<SpiffeId> expected;
  for (const std::string& text : options.expected_ids) {
    absl::StatusOr<SpiffeId> id = SpiffeId::Parse(text);
    if (!id.ok()) {
      return ReportUsageError(
          ctx, absl::StrCat("--expect-id ", Printable(text), ": ", id.status().message()));
    }
    expected.push_back(*std::move(id));
  }

  absl::StatusOr<std::string> content = ReadInput(options.chain_path);
  if (!content.ok()) {
    return ReportUsageError(ctx, content.status().message());
  }
  absl::StatusOr<std::vector<Certificate>> chain = ParseCertificates(*content);
  if (!chain.ok()) {
    return ReportInvalid(
        ctx, absl::StrCat("cannot read certificates from ", InputName(options.chain_path), ": ",
                          chain.status().message()));
  }
  // The leaf's trust domain picks the bundle (X509-19); a leaf without a usable SPIFFE ID can
  // never verify, whatever the bundles say.
  absl::StatusOr<SpiffeId> leaf_id = X509SvidLeafId(chain->front());
  if (!leaf_id.ok()) {
    return ReportInvalid(ctx, absl::StrCat("X509-SVID is not valid: ", leaf_id.status().message()));
  }
  const TrustDomain& leaf_td = leaf_id->trust_domain();
  absl::StatusOr<LoadedBundles> loaded = LoadBundles(options.bundles, leaf_td);
  if (!loaded.ok()) {
    return ReportUsageError(ctx, loaded.status().message());
  }
  const bool assumed = loaded->used_default;

  nlohmann::json doc = {{"spiffe_id", leaf_id->str()},
                        {"trust_domain", leaf_td.name()},
                        {"checked_at", TimeText(ctx.now)}};
  absl::StatusOr<VerifiedX509Svid> verified = VerifyX509Svid(*chain, loaded->bundles, ctx.now);
  if (!verified.ok()) {
    return ReportInvalid(ctx, absl::StrCat("X509-SVID is not valid: ", verified.status().message()),
                         doc);
  }
  if (!expected.empty()) {
    if (absl::Status s = (expected.size() == 1 ? AuthorizeId(expected.front())
                                               : AuthorizeOneOf(expected))(verified->spiffe_id);
        !s.ok()) {
      return ReportInvalid(ctx, absl::StrCat("X509-SVID is valid but not expected: ", s.message()),
                           doc);
    }
  }

  const Certificate& leaf = verified->path.front();
  if (ctx.format == OutputFormat::kJson) {
    nlohmann::json path = nlohmann::json::array();
    for (const Certificate& cert : verified->path) {
      path.push_back({{"subject", SubjectName(cert)},
                      {"serial", cert.SerialHex()},
                      {"sha256", cert.Sha256Fingerprint()}});
    }
    doc["valid"] = true;
    doc["expires_at"] = TimeText(leaf.not_after());
    doc["bundle_trust_domain_assumed"] = assumed;
    doc["path"] = path;
    WriteJson(ctx.out, doc);
    return kExitOk;
  }
  ctx.out << "valid X509-SVID\n";
  WriteField(ctx.out, 2, "SPIFFE ID", verified->spiffe_id.str());
  WriteField(ctx.out, 2, "trust domain",
             assumed ? absl::StrCat(leaf_td.name(),
                                    " (a --bundle without --trust-domain was taken as this "
                                    "trust domain's)")
                     : leaf_td.name());
  WriteField(ctx.out, 2, "checked at", TimeText(ctx.now));
  WriteField(ctx.out, 2, "expires",
             absl::StrCat(TimeText(leaf.not_after()), " (",
                          DescribeFromNow(leaf.not_after(), ctx.now), ")"));
  ctx.out << "  path:\n";
  for (size_t i = 0; i < verified->path.size(); ++i) {
    const Certificate& cert = verified->path[i];
    ctx.out << "    [" << i << "] " << SubjectName(cert) << " (serial " << cert.SerialHex()
            << (i + 1 == verified->path.size() ? ", bundle authority)" : ")") << "\n";
  }
  return kExitOk;
}

void AddVerifyCommand(CLI::App& x509, Action* action) {
  auto options = std::make_shared<VerifyOptions>();
  CLI::App* verify = x509.add_subcommand(
      "verify", "Verify an X509-SVID chain against trust bundles; exit 1 unless valid");
  // --trust-domain and --bundle pair up in command-line order, so both run their callbacks
  // as each occurrence is parsed.
  verify
      ->add_option_function<std::string>(
          "-t,--trust-domain",
          [options](const std::string& name) {
            if (options->pending_trust_domain.has_value()) {
              throw CLI::ValidationError("--trust-domain",
                                         "two --trust-domain flags without a --bundle between");
            }
            absl::StatusOr<TrustDomain> td = TrustDomain::FromString(name);
            if (!td.ok()) {
              throw CLI::ValidationError("--trust-domain", std::string(td.status().message()));
            }
            options->pending_trust_domain = *std::move(td);
          },
          "Trust domain of the --bundle that follows (repeatable)")
      ->trigger_on_parse();
  verify
      ->add_option_function<std::string>(
          "-b,--bundle",
          [options](const std::string& path) {
            options->bundles.push_back({std::move(options->pending_trust_domain), path});
            options->pending_trust_domain.reset();
          },
          "Trust bundle file: PEM, DER, SPIFFE JSON or bundle map (repeatable); without a "
          "preceding --trust-domain it is taken as the leaf's trust domain's bundle")
      ->trigger_on_parse()
      ->required();
  verify
      ->add_option("--expect-id", options->expected_ids,
                   "Also require the SVID's SPIFFE ID to be this one (repeatable: any of)")
      ->allow_extra_args(false);
  verify->add_option("--at", options->at,
                     "Check at this RFC 3339 time instead of now, e.g. 2030-01-01T00:00:00Z");
  verify
      ->add_option("CHAIN", options->chain_path, "Certificate chain file, leaf first; - for stdin")
      ->required();
  verify->callback([options, action] {
    *action = [options](const Context& ctx) { return RunVerify(*options, ctx); };
  });
}

}  // namespace

void AddX509Commands(CLI::App& sigil, Action* action) {
  CLI::App* x509 = sigil.add_subcommand("x509", "X509-SVIDs and certificate chains");
  x509->require_subcommand(1);

  auto inspect_path = std::make_shared<std::string>();
  CLI::App* inspect = x509->add_subcommand(
      "inspect", "Show an X509-SVID chain and its SPIFFE profile problems; exit 1 if any");
  inspect
      ->add_option("FILE", *inspect_path, "PEM or DER certificate chain, leaf first; - for stdin")
      ->required();
  inspect->callback([inspect_path, action] {
    *action = [inspect_path](const Context& ctx) { return RunInspect(*inspect_path, ctx); };
  });

  AddVerifyCommand(*x509, action);
}

}  // namespace sigil::cli
