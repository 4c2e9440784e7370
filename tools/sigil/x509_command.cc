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
// x509 inspect and verify share how a chain file is read.

// Reads and parses the chain in `path` into `*out_chain`. Returns kExitOk, or the exit status
// after reporting: a file that cannot be read is a usage error, one that does not parse (or
// holds no certificate) makes the chain invalid.
int ReadChain(const std::string& path, const Context& ctx, std::vector<Certificate>* out_chain) {
  absl::StatusOr<std::string> content = ReadInput(path);
  if (!content.ok()) {
    return ReportUsageError(ctx, content.status().message());
  }
  absl::StatusOr<std::vector<Certificate>> chain = ParseCertificates(*content);
  if (chain.ok() && chain->empty()) {
    chain = absl::InvalidArgumentError("no certificates");
  }
  if (!chain.ok()) {
    return ReportInvalid(ctx, absl::StrCat("cannot read certificates from ", InputName(path), ": ",
                                           chain.status().message()));
  }
  *out_chain = *std::move(chain);
  return kExitOk;
}

// ---------------------------------------------------------------------------------------------
// x509 inspect

nlohmann::json InspectJson(const std::vector<Certificate>& chain,
                           const absl::StatusOr<SpiffeId>& id,
                           const std::vector<std::string>& problems, absl::Time now) {
  const Certificate& leaf = chain.front();
  nlohmann::json certs = nlohmann::json::array();
  for (const Certificate& cert : chain) {
    certs.push_back(CertificateJson(cert));
  }
  nlohmann::json doc = {
      {"valid", problems.empty()},
      {"spiffe_id", id.ok() ? nlohmann::json(id->str()) : nlohmann::json(nullptr)},
      {"serial", leaf.SerialHex()},
      {"not_before", TimeText(leaf.not_before())},
      {"not_after", TimeText(leaf.not_after())},
      {"expired", leaf.not_after() < now},
      {"key_type", KeyTypeText(leaf)},
      {"chain", certs},
      {"problems", problems},
  };
  if (!id.ok()) {
    doc["spiffe_id_error"] = std::string(id.status().message());
  }
  return doc;
}

void WriteInspectText(std::ostream& out, const std::vector<Certificate>& chain,
                      const absl::StatusOr<SpiffeId>& id, const std::vector<std::string>& problems,
                      absl::Time now) {
  const Certificate& leaf = chain.front();
  WriteField(out, 0, "SPIFFE ID",
             id.ok() ? id->str() : absl::StrCat("(none: ", id.status().message(), ")"));
  WriteField(out, 0, "serial", leaf.SerialHex());
  WriteField(out, 0, "not before", TimeText(leaf.not_before()));
  WriteField(out, 0, "not after",
             absl::StrCat(TimeText(leaf.not_after()), " (",
                          leaf.not_after() < now ? "expired " : "expires ",
                          DescribeFromNow(leaf.not_after(), now), ")"));
  WriteField(out, 0, "key type", KeyTypeText(leaf));
  out << "chain (" << chain.size() << (chain.size() == 1 ? " certificate" : " certificates")
      << ", leaf first):\n";
  for (size_t i = 0; i < chain.size(); ++i) {
    WriteCertificateText(out, i, chain[i], now);
  }
  if (problems.empty()) {
    out << "SPIFFE profile problems: none\n";
    return;
  }
  out << "SPIFFE profile problems:\n";
  for (const std::string& p : problems) {
    out << "  - " << p << "\n";
  }
}

int RunInspect(const std::string& path, const Context& ctx) {
  std::vector<Certificate> chain;
  if (int status = ReadChain(path, ctx, &chain); status != kExitOk) {
    return status;
  }
  const absl::StatusOr<SpiffeId> id = X509SvidLeafId(chain.front());
  const std::vector<std::string> problems = CheckX509SvidProfile(chain);

  if (ctx.format == OutputFormat::kJson) {
    WriteJson(ctx.out, InspectJson(chain, id, problems, ctx.now));
  } else {
    WriteInspectText(ctx.out, chain, id, problems, ctx.now);
  }
  if (problems.empty()) {
    return kExitOk;
  }
  ctx.err << "sigil: " << problems.size()
          << (problems.size() == 1 ? " SPIFFE profile problem" : " SPIFFE profile problems")
          << ", first: " << problems.front() << "\n";
  return kExitInvalid;
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

// The flags that are not files, checked before anything is read.
struct VerifyFlags {
  absl::Time now;
  std::vector<SpiffeId> expected_ids;
};

absl::StatusOr<VerifyFlags> CheckVerifyFlags(const VerifyOptions& options, absl::Time now) {
  if (options.pending_trust_domain.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--trust-domain ", options.pending_trust_domain->name(),
                     " must be followed by the --bundle FILE it names"));
  }
  VerifyFlags flags{.now = now};
  if (!options.at.empty()) {
    SIGIL_ASSIGN_OR_RETURN(flags.now, ParseTimeFlag(options.at));
  }
  for (const std::string& text : options.expected_ids) {
    absl::StatusOr<SpiffeId> id = SpiffeId::Parse(text);
    if (!id.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--expect-id ", Printable(text), ": ", id.status().message()));
    }
    flags.expected_ids.push_back(*std::move(id));
  }
  return flags;
}

// Authorization after authentication (X509-23): exact ID, or any of several.
absl::Status CheckExpectedId(const std::vector<SpiffeId>& expected, const SpiffeId& id) {
  if (expected.empty()) {
    return absl::OkStatus();
  }
  const Authorizer authorize =
      expected.size() == 1 ? AuthorizeId(expected.front()) : AuthorizeOneOf(expected);
  return authorize(id);
}

void WriteVerifiedText(std::ostream& out, const VerifiedX509Svid& verified, bool assumed,
                       absl::Time now) {
  const Certificate& leaf = verified.path.front();
  const std::string& td = verified.spiffe_id.trust_domain().name();
  out << "valid X509-SVID\n";
  WriteField(out, 2, "SPIFFE ID", verified.spiffe_id.str());
  WriteField(out, 2, "trust domain",
             assumed ? absl::StrCat(td,
                                    " (a --bundle without --trust-domain was taken as this "
                                    "trust domain's)")
                     : td);
  WriteField(out, 2, "checked at", TimeText(now));
  WriteField(
      out, 2, "expires",
      absl::StrCat(TimeText(leaf.not_after()), " (", DescribeFromNow(leaf.not_after(), now), ")"));
  out << "  path:\n";
  for (size_t i = 0; i < verified.path.size(); ++i) {
    const Certificate& cert = verified.path[i];
    out << "    [" << i << "] " << SubjectName(cert) << " (serial " << cert.SerialHex()
        << (i + 1 == verified.path.size() ? ", bundle authority)" : ")") << "\n";
  }
}

void AddVerifiedJson(const VerifiedX509Svid& verified, bool assumed, nlohmann::json& doc) {
  nlohmann::json path = nlohmann::json::array();
  for (const Certificate& cert : verified.path) {
    path.push_back({{"subject", SubjectName(cert)},
                    {"serial", cert.SerialHex()},
                    {"sha256", cert.Sha256Fingerprint()}});
  }
  doc["valid"] = true;
  doc["expires_at"] = TimeText(verified.path.front().not_after());
  doc["bundle_trust_domain_assumed"] = assumed;
  doc["path"] = path;
}

int RunVerify(const VerifyOptions& options, const Context& base_ctx) {
  absl::StatusOr<VerifyFlags> flags = CheckVerifyFlags(options, base_ctx.now);
  if (!flags.ok()) {
    return ReportUsageError(base_ctx, flags.status().message());
  }
  Context ctx = base_ctx;
  ctx.now = flags->now;
  std::vector<Certificate> chain;
  if (int status = ReadChain(options.chain_path, ctx, &chain); status != kExitOk) {
    return status;
  }

  // The leaf's trust domain picks the bundle (X509-19); a leaf without a usable SPIFFE ID can
  // never verify, whatever the bundles say.
  absl::StatusOr<SpiffeId> leaf_id = X509SvidLeafId(chain.front());
  if (!leaf_id.ok()) {
    return ReportInvalid(ctx, absl::StrCat("X509-SVID is not valid: ", leaf_id.status().message()));
  }
  absl::StatusOr<LoadedBundles> loaded = LoadBundles(options.bundles, leaf_id->trust_domain());
  if (!loaded.ok()) {
    return ReportUsageError(ctx, loaded.status().message());
  }

  nlohmann::json doc = {{"spiffe_id", leaf_id->str()},
                        {"trust_domain", leaf_id->trust_domain().name()},
                        {"checked_at", TimeText(ctx.now)}};
  absl::StatusOr<VerifiedX509Svid> verified = VerifyX509Svid(chain, loaded->bundles, ctx.now);
  if (!verified.ok()) {
    return ReportInvalid(ctx, absl::StrCat("X509-SVID is not valid: ", verified.status().message()),
                         doc);
  }
  if (absl::Status s = CheckExpectedId(flags->expected_ids, verified->spiffe_id); !s.ok()) {
    return ReportInvalid(ctx, absl::StrCat("X509-SVID is valid but not expected: ", s.message()),
                         doc);
  }

  if (ctx.format == OutputFormat::kJson) {
    AddVerifiedJson(*verified, loaded->used_default, doc);
    WriteJson(ctx.out, doc);
  } else {
    WriteVerifiedText(ctx.out, *verified, loaded->used_default, ctx.now);
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
