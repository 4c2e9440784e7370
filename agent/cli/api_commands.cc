// `sigil-agent api ...`: Workload API calls made exactly as a workload makes them (the
// security header, the socket from --socket or SPIFFE_ENDPOINT_SOCKET), printing what came
// back. Private keys and tokens go only where asked (files with --write, stdout for fetch jwt).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>

#include "agent/cli/command.h"
#include "agent/cli/endpoint.h"
#include "agent/manager/agent_store.h"
#include "agent/proto/workload_api_proto.h"
#include "sigil/certificate.h"
#include "sigil/status.h"
#include "sigil/x509_svid.h"

namespace sigil::agent::cli {
namespace {

struct ApiFlags {
  std::string socket;
  double timeout_seconds = 10;
  // fetch x509
  std::string write_dir;
  // fetch jwt / validate jwt
  std::vector<std::string> audiences;
  std::string spiffe_id;
  std::string token;
  // watch
  int count = 0;
};

std::string TimeText(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

absl::StatusOr<std::unique_ptr<wapi::Service::Stub>> Connect(const ApiFlags& flags) {
  absl::StatusOr<std::string> target = ResolveEndpoint(flags.socket, std::getenv(kEndpointEnvVar));
  if (!target.ok()) {
    return target.status();
  }
  return wapi::Service::NewStub(grpc::CreateChannel(*target, grpc::InsecureChannelCredentials()));
}

std::unique_ptr<grpc::ClientContext> Context(const ApiFlags& flags, bool with_deadline = true) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->AddMetadata(wapi::kSecurityHeaderKey, wapi::kSecurityHeaderValue);  // WAPI-07
  if (with_deadline) {
    context->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(flags.timeout_seconds)));
  }
  return context;
}

int Fail(std::string_view what, absl::string_view message) {
  std::cerr << "error: " << what << ": " << message << "\n";
  return kExitFailure;
}

int RpcFail(std::string_view what, const grpc::Status& status) {
  std::string message = status.error_message();
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
    message += " (is sigil-agent running? the socket comes from --socket or " +
               std::string(kEndpointEnvVar) + ")";
  }
  return Fail(what, absl::string_view(message));
}

struct DecodedSvid {
  X509Svid svid;
  std::vector<Certificate> bundle;
};

absl::StatusOr<DecodedSvid> Decode(const wapi::X509SvidMessage& m) {
  absl::StatusOr<X509Svid> svid =
      X509Svid::FromWorkloadApi(m.x509_svid(), m.x509_svid_key(), m.hint());
  if (!svid.ok()) {
    return svid.status();
  }
  absl::StatusOr<std::vector<Certificate>> bundle =
      ParseDerCertificates(m.bundle(), kMaxBundleCertificates);
  if (!bundle.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("bundle: ", bundle.status().message()));
  }
  return DecodedSvid{*std::move(svid), *std::move(bundle)};
}

void PrintSvid(const DecodedSvid& d) {
  std::cout << "SPIFFE ID:     " << d.svid.spiffe_id().str() << "\n"
            << "Serial:        " << d.svid.leaf().SerialHex() << "\n"
            << "Valid after:   " << TimeText(d.svid.leaf().not_before()) << "\n"
            << "Valid until:   " << TimeText(d.svid.expires_at()) << "\n";
  if (!d.svid.hint().empty()) {
    std::cout << "Hint:          " << d.svid.hint() << "\n";
  }
  std::cout << "Bundle:        " << d.bundle.size() << " CA certificate(s) for "
            << d.svid.spiffe_id().trust_domain().name() << "\n";
}

absl::Status WriteSvidFiles(const std::string& dir, size_t index, const DecodedSvid& d) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return absl::FailedPreconditionError(absl::StrCat("creating ", dir, ": ", ec.message()));
  }
  const std::string stem = absl::StrCat(dir, "/");
  const std::string cert_path = absl::StrCat(stem, "svid.", index, ".pem");
  const std::string key_path = absl::StrCat(stem, "svid.", index, ".key");
  const std::string bundle_path = absl::StrCat(stem, "bundle.", index, ".pem");
  SIGIL_RETURN_IF_ERROR(WriteFileAtomically(cert_path, ConcatPem(d.svid.chain()), 0644));
  SecretBytes key = d.svid.private_key().ToPkcs8Pem();
  SIGIL_RETURN_IF_ERROR(WriteFileAtomically(key_path, key.view(), 0600));
  SIGIL_RETURN_IF_ERROR(WriteFileAtomically(bundle_path, ConcatPem(d.bundle), 0644));
  std::cout << "Wrote " << cert_path << ", " << key_path << " and " << bundle_path << "\n";
  return absl::OkStatus();
}

int FetchX509(const ApiFlags& flags) {
  absl::StatusOr<std::unique_ptr<wapi::Service::Stub>> stub = Connect(flags);
  if (!stub.ok()) {
    return Fail("fetch x509", stub.status().message());
  }
  auto context = Context(flags);
  const absl::Time start = absl::Now();
  auto reader = (*stub)->FetchX509SVID(context.get(), wapi::X509SvidRequest());
  wapi::X509SvidResponse response;
  if (!reader->Read(&response)) {
    return RpcFail("fetch x509", reader->Finish());
  }
  const absl::Duration took = absl::Now() - start;
  context->TryCancel();
  std::cout << "Received " << response.svids_size() << " X.509-SVID(s) in "
            << absl::FormatDuration(absl::Trunc(took, absl::Microseconds(100))) << "\n";
  for (int i = 0; i < response.svids_size(); ++i) {
    absl::StatusOr<DecodedSvid> decoded = Decode(response.svids(i));
    if (!decoded.ok()) {
      return Fail(absl::StrCat("svid ", i), decoded.status().message());
    }
    std::cout << "\n";
    PrintSvid(*decoded);
    if (!flags.write_dir.empty()) {
      if (absl::Status s = WriteSvidFiles(flags.write_dir, i, *decoded); !s.ok()) {
        return Fail("writing files", s.message());
      }
    }
  }
  return kExitOk;
}

int FetchJwt(const ApiFlags& flags) {
  absl::StatusOr<std::unique_ptr<wapi::Service::Stub>> stub = Connect(flags);
  if (!stub.ok()) {
    return Fail("fetch jwt", stub.status().message());
  }
  wapi::JwtSvidRequest request;
  for (const std::string& audience : flags.audiences) {
    request.add_audience(audience);
  }
  request.set_spiffe_id(flags.spiffe_id);
  wapi::JwtSvidResponse response;
  auto context = Context(flags);
  grpc::Status status = (*stub)->FetchJWTSVID(context.get(), request, &response);
  if (!status.ok()) {
    return RpcFail("fetch jwt", status);
  }
  // The token alone, so that `$(sigil-agent api fetch jwt ...)` is the bearer credential.
  for (const wapi::JwtSvidMessage& svid : response.svids()) {
    std::cout << svid.svid() << "\n";
  }
  return kExitOk;
}

int ValidateJwt(const ApiFlags& flags) {
  absl::StatusOr<std::unique_ptr<wapi::Service::Stub>> stub = Connect(flags);
  if (!stub.ok()) {
    return Fail("validate jwt", stub.status().message());
  }
  wapi::ValidateJwtSvidRequest request;
  request.set_audience(flags.audiences.empty() ? "" : flags.audiences.front());
  request.set_svid(flags.token);
  wapi::ValidateJwtSvidResponse response;
  auto context = Context(flags);
  grpc::Status status = (*stub)->ValidateJWTSVID(context.get(), request, &response);
  if (!status.ok()) {
    return Fail("SVID is not valid", absl::string_view(status.error_message()));
  }
  std::string claims;
  (void)google::protobuf::util::MessageToJsonString(response.claims(), &claims);
  std::cout << "SVID is valid.\n"
            << "SPIFFE ID: " << response.spiffe_id() << "\n"
            << "Claims:    " << claims << "\n";
  return kExitOk;
}

int Watch(const ApiFlags& flags) {
  absl::StatusOr<std::unique_ptr<wapi::Service::Stub>> stub = Connect(flags);
  if (!stub.ok()) {
    return Fail("watch", stub.status().message());
  }
  auto context = Context(flags, /*with_deadline=*/false);
  auto reader = (*stub)->FetchX509SVID(context.get(), wapi::X509SvidRequest());
  wapi::X509SvidResponse response;
  int received = 0;
  while (reader->Read(&response)) {
    ++received;
    std::cout << "Received X.509-SVID update #" << received << " at " << TimeText(absl::Now())
              << ": " << response.svids_size() << " SVID(s)\n";
    for (const wapi::X509SvidMessage& m : response.svids()) {
      absl::StatusOr<DecodedSvid> decoded = Decode(m);
      if (!decoded.ok()) {
        std::cout << "  (unusable SVID: " << decoded.status().message() << ")\n";
        continue;
      }
      std::cout << "  " << decoded->svid.spiffe_id().str() << " serial "
                << decoded->svid.leaf().SerialHex() << " valid until "
                << TimeText(decoded->svid.expires_at()) << "\n";
    }
    std::cout << std::flush;
    if (flags.count > 0 && received >= flags.count) {
      context->TryCancel();
      return kExitOk;
    }
  }
  return RpcFail("watch", reader->Finish());
}

void AddCommon(CLI::App* cmd, ApiFlags& flags) {
  cmd->add_option("--socket", flags.socket,
                  "Workload API socket path or address (default: $SPIFFE_ENDPOINT_SOCKET, then "
                  "/tmp/sigil-agent/public/api.sock)");
}

}  // namespace

void AddApiCommands(CLI::App& app, Action* action) {
  auto flags = std::make_shared<ApiFlags>();
  CLI::App* api = app.add_subcommand("api", "Call the Workload API as a workload does");
  api->require_subcommand(1);
  CLI::App* fetch = api->add_subcommand("fetch", "Fetch an SVID");
  fetch->require_subcommand(1);
  CLI::App* validate = api->add_subcommand("validate", "Validate an SVID");
  validate->require_subcommand(1);

  CLI::App* x509 = fetch->add_subcommand("x509", "Fetch this process's X.509-SVIDs");
  AddCommon(x509, *flags);
  x509->add_option("--write", flags->write_dir,
                   "Write svid.N.pem, svid.N.key (0600) and bundle.N.pem into this directory");
  x509->add_option("--timeout", flags->timeout_seconds, "Seconds to wait")->capture_default_str();
  x509->callback([flags, action] { *action = [flags] { return FetchX509(*flags); }; });

  CLI::App* jwt = fetch->add_subcommand("jwt", "Fetch a JWT-SVID; prints the token only");
  AddCommon(jwt, *flags);
  jwt->add_option("--audience", flags->audiences, "Audience (repeatable)")->required();
  jwt->add_option("--spiffe-id", flags->spiffe_id, "Which of this process's identities");
  jwt->add_option("--timeout", flags->timeout_seconds, "Seconds to wait")->capture_default_str();
  jwt->callback([flags, action] { *action = [flags] { return FetchJwt(*flags); }; });

  CLI::App* vjwt = validate->add_subcommand("jwt", "Validate a JWT-SVID");
  AddCommon(vjwt, *flags);
  vjwt->add_option("--audience", flags->audiences, "Expected audience")->required();
  vjwt->add_option("--svid", flags->token, "The token")->required();
  vjwt->callback([flags, action] { *action = [flags] { return ValidateJwt(*flags); }; });

  CLI::App* watch = api->add_subcommand("watch", "Print every X.509-SVID update as it arrives");
  AddCommon(watch, *flags);
  watch->add_option("--count", flags->count, "Stop after this many updates (0: never)")
      ->capture_default_str();
  watch->callback([flags, action] { *action = [flags] { return Watch(*flags); }; });
}

}  // namespace sigil::agent::cli
