// sigil-server x509 mint and jwt mint.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include <nlohmann/json.hpp>

#include "admin.grpc.pb.h"
#include "server/cli/client.h"
#include "server/cli/command.h"
#include "server/cli/file_output.h"
#include "server/cli/flags.h"
#include "sigil/certificate.h"
#include "sigil/keys.h"

namespace sigil::server::cli {
namespace {

namespace v1 = sigil::admin::v1;

struct X509Flags {
  std::string spiffe_id;
  std::string ttl;
  std::vector<std::string> dns_names;
  std::string write_dir;
};

absl::StatusOr<std::string> PemOf(const google::protobuf::RepeatedPtrField<std::string>& ders) {
  std::string pem;
  for (const std::string& der : ders) {
    absl::StatusOr<Certificate> cert = Certificate::FromDer(der);
    if (!cert.ok()) {
      return absl::DataLossError(absl::StrCat("the server sent a certificate that does not parse: ",
                                              cert.status().message()));
    }
    pem += cert->ToPem();
  }
  return pem;
}

int MintX509(const ClientOptions& options, const X509Flags& flags) {
  v1::MintX509SvidRequest request;
  request.set_spiffe_id(flags.spiffe_id);
  if (!flags.ttl.empty()) {
    absl::StatusOr<int64_t> ttl = ParseDurationSeconds("--ttl", flags.ttl);
    if (!ttl.ok()) {
      return ReportUsage(ttl.status());
    }
    request.set_ttl(*ttl);
  }
  for (const std::string& name : flags.dns_names) {
    request.add_dns_names(name);
  }
  // The key is made here and never leaves this process: the server sees only its public half.
  absl::StatusOr<PrivateKey> key = PrivateKey::Generate(KeyType::kEcP256);
  if (!key.ok()) {
    return ReportFailure("x509 mint: making a key", key.status());
  }
  request.set_public_key(key->public_key().ToSpkiDer());

  auto stub = v1::SvidService::NewStub(AdminChannel(options));
  v1::MintX509SvidResponse response;
  grpc::Status status = stub->MintX509Svid(CallContext().get(), request, &response);
  if (!status.ok()) {
    return ReportRpcError(options, "x509 mint", status);
  }
  absl::StatusOr<std::string> svid_pem = PemOf(response.chain());
  absl::StatusOr<std::string> bundle_pem = PemOf(response.bundle());
  if (!svid_pem.ok() || !bundle_pem.ok()) {
    return ReportFailure("x509 mint", svid_pem.ok() ? bundle_pem.status() : svid_pem.status());
  }
  const SecretBytes key_pem = key->ToPkcs8Pem();

  if (!flags.write_dir.empty()) {
    absl::Status written =
        WriteFilesAtomically(flags.write_dir, {{"svid.pem", *svid_pem, 0644},
                                               {"key.pem", key_pem.view(), 0600},
                                               {"bundle.pem", *bundle_pem, 0644}});
    if (!written.ok()) {
      return ReportFailure("x509 mint --write", written);
    }
    const std::string dir = flags.write_dir;
    Print(options,
          absl::StrCat("X509-SVID written to ", dir, "/svid.pem\nPrivate key written to ", dir,
                       "/key.pem\nRoot CAs written to ", dir, "/bundle.pem\n"),
          nlohmann::json{{"spiffe_id", flags.spiffe_id},
                         {"expires_at", response.expires_at()},
                         {"svid_path", dir + "/svid.pem"},
                         {"key_path", dir + "/key.pem"},
                         {"bundle_path", dir + "/bundle.pem"}});
    return kExitOk;
  }
  const std::string key_text(key_pem.view());
  Print(options,
        absl::StrCat("X509-SVID:\n", *svid_pem, "\nPrivate key:\n", key_text, "\nRoot CAs:\n",
                     *bundle_pem),
        nlohmann::json{{"spiffe_id", flags.spiffe_id},
                       {"expires_at", response.expires_at()},
                       {"svid", *svid_pem},
                       {"key", key_text},
                       {"bundle", *bundle_pem}});
  return kExitOk;
}

struct JwtFlags {
  std::string spiffe_id;
  std::vector<std::string> audiences;
  std::string ttl;
};

int MintJwt(const ClientOptions& options, const JwtFlags& flags) {
  v1::MintJwtSvidRequest request;
  request.set_spiffe_id(flags.spiffe_id);
  for (const std::string& audience : flags.audiences) {
    request.add_audience(audience);
  }
  if (!flags.ttl.empty()) {
    absl::StatusOr<int64_t> ttl = ParseDurationSeconds("--ttl", flags.ttl);
    if (!ttl.ok()) {
      return ReportUsage(ttl.status());
    }
    request.set_ttl(*ttl);
  }
  auto stub = v1::SvidService::NewStub(AdminChannel(options));
  v1::MintJwtSvidResponse response;
  grpc::Status status = stub->MintJwtSvid(CallContext().get(), request, &response);
  if (!status.ok()) {
    return ReportRpcError(options, "jwt mint", status);
  }
  Print(options, response.token() + "\n",
        nlohmann::json{{"token", response.token()}, {"expires_at", response.expires_at()}});
  return kExitOk;
}

}  // namespace

void AddSvidCommands(CLI::App& app, ClientOptions& options, Action* action) {
  CLI::App* x509 = app.add_subcommand("x509", "Mint X509-SVIDs");
  x509->require_subcommand(1);
  auto x509_flags = std::make_shared<X509Flags>();
  CLI::App* x509_mint = x509->add_subcommand(
      "mint", "Mint an X509-SVID for a key made here (P-256; the key never leaves this host)");
  AddClientFlags(x509_mint, options);
  x509_mint->add_option("--spiffe-id", x509_flags->spiffe_id, "SPIFFE ID of the SVID")->required();
  x509_mint->add_option("--ttl", x509_flags->ttl, "Lifetime: 1h, 30m or seconds");
  x509_mint->add_option("--dns-name", x509_flags->dns_names, "DNS SAN (repeatable)");
  x509_mint->add_option("--write", x509_flags->write_dir,
                        "Write svid.pem, key.pem (0600) and bundle.pem into this directory");
  x509_mint->callback([&options, x509_flags, action] {
    *action = [&options, x509_flags] { return MintX509(options, *x509_flags); };
  });

  CLI::App* jwt = app.add_subcommand("jwt", "Mint JWT-SVIDs");
  jwt->require_subcommand(1);
  auto jwt_flags = std::make_shared<JwtFlags>();
  CLI::App* jwt_mint = jwt->add_subcommand("mint", "Mint a JWT-SVID; prints only the token");
  AddClientFlags(jwt_mint, options);
  jwt_mint->add_option("--spiffe-id", jwt_flags->spiffe_id, "SPIFFE ID of the SVID")->required();
  jwt_mint->add_option("--audience", jwt_flags->audiences, "Audience (repeatable)")->required();
  jwt_mint->add_option("--ttl", jwt_flags->ttl, "Lifetime: 5m or seconds");
  jwt_mint->callback([&options, jwt_flags, action] {
    *action = [&options, jwt_flags] { return MintJwt(options, *jwt_flags); };
  });
}

}  // namespace sigil::server::cli
