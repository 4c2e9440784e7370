#include "agent/workload_api/workload_api_test_util.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

#include "attestors/workload/unix_attestor.h"

namespace sigil::agent::testing {
namespace {

// Prints "OK <hex of the first response>" or "ERROR <code name> <details>".
constexpr char kPythonClient[] = R"(
import grpc, sys
path, method, kind, request_hex, header = sys.argv[1:6]
channel = grpc.insecure_channel("unix://" + path)
metadata = [("workload.spiffe.io", "true")] if header == "1" else []
request = bytes.fromhex(request_hex)
try:
    if kind == "stream":
        call = channel.unary_stream(method)(request, metadata=metadata, timeout=20)
        first = next(call)
        call.cancel()
    elif kind == "bidi":
        call = channel.stream_stream(method)(iter([request]), metadata=metadata, timeout=20)
        first = next(call)
        call.cancel()
    else:
        first = channel.unary_unary(method)(request, metadata=metadata, timeout=20)
    print("OK", first.hex())
except grpc.RpcError as e:
    print("ERROR", e.code().name, e.details())
)";

}  // namespace

void WorkloadApiFixture::SetUp() {
  char tmpl[] = "/tmp/sigil-wapi-XXXXXX";
  dir_ = mkdtemp(tmpl);
  chmod(dir_.c_str(), 0755);
  socket_path_ = dir_ + "/agent/public/api.sock";
  now_ = absl::Now();
  authority_.emplace(Must(TestAuthority::Create(td_, now_)));
  partner_.emplace(Must(TestAuthority::Create(partner_td_, now_)));
  cache_ = std::make_unique<IdentityCache>(IdentityCacheOptions{.trust_domain = td_});
  BundleSet bundles;
  bundles.Put(authority_->bundle());
  bundles.Put(partner_->bundle());
  cache_->SetBundles(bundles);
  jwt_cache_ = std::make_unique<JwtSvidCache>();
  signer_ = std::make_unique<LocalJwtSvidSigner>(*authority_);
}

void WorkloadApiFixture::TearDown() {
  StopServer();
  std::filesystem::remove_all(dir_);
}

void WorkloadApiFixture::StartServer(
    std::vector<std::unique_ptr<attestors::WorkloadAttestor>> attestors) {
  if (attestors.empty()) {
    attestors.push_back(std::make_unique<attestors::UnixWorkloadAttestor>());
  }
  attestation_ = std::make_unique<attestors::WorkloadAttestation>(std::move(attestors));
  auto server = WorkloadApiServer::Start({.socket_path = socket_path_}, *cache_, *jwt_cache_,
                                         *signer_, *attestation_);
  ASSERT_TRUE(server.ok()) << server.status();
  server_ = *std::move(server);
}

void WorkloadApiFixture::StopServer() {
  if (server_ != nullptr) {
    server_->Shutdown();
    server_.reset();
  }
}

std::unique_ptr<wapi::Service::Stub> WorkloadApiFixture::NewStub() const {
  return wapi::Service::NewStub(
      grpc::CreateChannel("unix://" + socket_path_, grpc::InsecureChannelCredentials()));
}

std::unique_ptr<grpc::ClientContext> WorkloadApiFixture::Context(bool with_header) {
  auto context = std::make_unique<grpc::ClientContext>();
  if (with_header) {
    context->AddMetadata(wapi::kSecurityHeaderKey, wapi::kSecurityHeaderValue);
  }
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  return context;
}

ForeignCallResult WorkloadApiFixture::CallAs(uid_t uid, gid_t gid, const std::string& method,
                                             CallKind kind, const std::string& request,
                                             bool header) const {
  const std::string script = dir_ + "/client.py";
  std::ofstream(script) << kPythonClient;
  chmod(script.c_str(), 0644);
  const std::string cmd =
      absl::StrCat("setpriv --reuid=", uid, " --regid=", gid, " --clear-groups /usr/bin/python3 ",
                   script, " ", socket_path_, " ", method, " ",
                   kind == CallKind::kUnary    ? "unary"
                   : kind == CallKind::kStream ? "stream"
                                               : "bidi",
                   " '", absl::BytesToHexString(request), "' ", header ? "1" : "0", " 2>&1");
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  char buf[4096];
  while (p != nullptr && fgets(buf, sizeof(buf), p) != nullptr) {
    out += buf;
  }
  if (p != nullptr) {
    pclose(p);
  }
  while (!out.empty() && out.back() == '\n') {
    out.pop_back();
  }
  ForeignCallResult result;
  std::vector<std::string> parts = absl::StrSplit(out, absl::MaxSplits(' ', 2));
  if (parts.size() >= 2 && parts[0] == "OK") {
    result.code = "OK";
    result.message = absl::HexStringToBytes(parts[1]);
  } else if (parts.size() >= 2 && parts[0] == "ERROR") {
    result.code = parts[1];
    result.details = parts.size() > 2 ? parts[2] : "";
  } else {
    result.code = "CLIENT_FAILED";
    result.details = out;
  }
  return result;
}

AgentEntry WorkloadApiFixture::MakeEntry(const std::string& entry_id, const std::string& path,
                                         std::vector<Selector> selectors, std::string hint,
                                         std::vector<TrustDomain> federates_with) const {
  return AgentEntry{
      .entry_id = entry_id,
      .spiffe_id = Must(SpiffeId::FromPath(td_, path)),
      .selectors = std::move(selectors),
      .federates_with = std::move(federates_with),
      .hint = std::move(hint),
      .revision = 1,
      // Entries added later are presented later (WAPI-27).
      .created_at = now_ + absl::Seconds(static_cast<int64_t>(entries_.size())),
  };
}

void WorkloadApiFixture::AddIdentity(const std::string& entry_id, const std::string& path,
                                     std::vector<Selector> selectors, std::string hint,
                                     std::vector<TrustDomain> federates_with) {
  entries_.push_back(
      MakeEntry(entry_id, path, std::move(selectors), std::move(hint), std::move(federates_with)));
  ASSERT_TRUE(cache_->ReplaceEntries(entries_).ok());
  RenewSvid(entry_id, path);
}

X509Svid WorkloadApiFixture::RenewSvid(const std::string& entry_id, const std::string& path) {
  X509Svid svid = Must(authority_->IssueX509Svid(Must(SpiffeId::FromPath(td_, path)), now_));
  EXPECT_TRUE(cache_->SetX509Svid(entry_id, 1, svid).ok());
  return svid;
}

}  // namespace sigil::agent::testing
