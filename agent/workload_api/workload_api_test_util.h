// Test fixture for the Workload API: the real service on a temporary socket, fed by a real
// identity cache holding SVIDs from a test CA, with the real unix attestor. Callers are this
// process (a generated C++ stub) or, for other uids, a Python grpcio client started with
// setpriv, which sends and receives raw message bytes that the tests parse with the generated
// classes.
#ifndef SIGIL_AGENT_WORKLOAD_API_WORKLOAD_API_TEST_UTIL_H_
#define SIGIL_AGENT_WORKLOAD_API_WORKLOAD_API_TEST_UTIL_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include <grpcpp/grpcpp.h>

#include "agent/cache/identity_cache.h"
#include "agent/cache/jwt_svid_cache.h"
#include "agent/proto/workload_api_proto.h"
#include "agent/testing/test_authority.h"
#include "agent/workload_api/workload_api_server.h"
#include "attestors/workload/attestation.h"

namespace sigil::agent::testing {

// Every test runs at the wall clock: the SVIDs are checked by real gRPC clients and libraries
// that read it too.
template <typename T>
T Must(absl::StatusOr<T> v) {
  if (!v.ok()) {
    ADD_FAILURE() << v.status();
    std::abort();
  }
  return *std::move(v);
}

// What a Python client saw: "OK" and the first message's bytes, or the error code name
// ("PERMISSION_DENIED") and details.
struct ForeignCallResult {
  std::string code;
  std::string details;
  std::string message;  // raw protobuf bytes of the first response when code == "OK"
};

enum class CallKind { kUnary, kStream, kBidi };

class WorkloadApiFixture : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Starts the server with `attestors` (the unix attestor when empty).
  void StartServer(std::vector<std::unique_ptr<attestors::WorkloadAttestor>> attestors = {});
  void StopServer();

  std::unique_ptr<wapi::Service::Stub> NewStub() const;
  // A client context with (or without) the security header.
  static std::unique_ptr<grpc::ClientContext> Context(bool with_header = true);

  // Calls `method` ("/SpiffeWorkloadAPI/FetchX509SVID") with the raw request `request` from a
  // Python grpcio client running as `uid`/`gid` (setpriv; needs root). For streams, the first
  // response is read and the call cancelled. `header` adds the security header.
  ForeignCallResult CallAs(uid_t uid, gid_t gid, const std::string& method, CallKind kind,
                           const std::string& request = "", bool header = true) const;

  // Adds an entry for `spiffe_id` (path in example.org) matching `selectors`, and its SVID.
  void AddIdentity(const std::string& entry_id, const std::string& path,
                   std::vector<Selector> selectors, std::string hint = "",
                   std::vector<TrustDomain> federates_with = {});
  AgentEntry MakeEntry(const std::string& entry_id, const std::string& path,
                       std::vector<Selector> selectors, std::string hint,
                       std::vector<TrustDomain> federates_with) const;
  // Issues and installs a fresh SVID for an existing entry; returns it.
  X509Svid RenewSvid(const std::string& entry_id, const std::string& path);

  std::string dir_;
  std::string socket_path_;
  absl::Time now_;
  TrustDomain td_ = Must(TrustDomain::FromString("example.org"));
  TrustDomain partner_td_ = Must(TrustDomain::FromString("partner.test"));
  std::optional<TestAuthority> authority_;
  std::optional<TestAuthority> partner_;
  std::unique_ptr<IdentityCache> cache_;
  std::unique_ptr<JwtSvidCache> jwt_cache_;
  std::unique_ptr<LocalJwtSvidSigner> signer_;
  std::unique_ptr<attestors::WorkloadAttestation> attestation_;
  std::unique_ptr<WorkloadApiServer> server_;
  std::vector<AgentEntry> entries_;
};

}  // namespace sigil::agent::testing

#endif  // SIGIL_AGENT_WORKLOAD_API_WORKLOAD_API_TEST_UTIL_H_
