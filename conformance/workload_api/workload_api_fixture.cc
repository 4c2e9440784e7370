// A Workload API server for black-box conformance tests: the real service, identity cache and
// unix attestor, filled with SVIDs from a test CA, on a fresh socket. The Node client
// (workload_api_conformance.mjs) drives it.
//
// Usage: workload_api_fixture
// Prints one JSON line, then obeys one command per line on standard input, answering each with
// one JSON line:
//   {"socket": "/tmp/.../public/api.sock", "trust_domain": "conformance.test",
//    "ca_pem": "<file>", "federated_ca_pem": "<file>", "uid": N, "gid": N}
//   rotate <entry_id>      a new X.509-SVID for the entry      {"ok":true,"serial":"<hex>"}
//   remove <entry_id>      removes the entry                   {"ok":true}
//   rotate-federated       a new CA for federated.test         {"ok":true}
//   restore                every entry and SVID as at start    {"ok":true}
//   stats                  {"ok":true,"open_streams":N,"subscribers":N,"calls":N}
//   shutdown               stops the server and exits 0        {"ok":true}
// End of input also shuts down. Entries (caller = this process's uid and gid):
//   e-default  spiffe://conformance.test/workload/default  unix:uid:<uid>           hint "default"
//   e-second   spiffe://conformance.test/workload/second   unix:uid:<uid>, gid:<gid>
//              hint "second", federates with federated.test
//   e-dup      spiffe://conformance.test/workload/dup      unix:uid:<uid>           hint "default"
//              (a repeated hint: never sent, WAPI-26)
//   e-nobody   spiffe://conformance.test/workload/nobody   unix:uid:65534
// Private keys and tokens are never printed.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "agent/cache/identity_cache.h"
#include "agent/cache/jwt_svid_cache.h"
#include "agent/testing/test_authority.h"
#include "agent/workload_api/workload_api_server.h"
#include "attestors/workload/unix_attestor.h"

namespace sigil::agent {
namespace {

template <typename T>
T Must(absl::StatusOr<T> value, const char* what) {
  if (!value.ok()) {
    std::cerr << "workload_api_fixture: " << what << ": " << value.status() << "\n";
    std::exit(1);
  }
  return *std::move(value);
}

void Reply(const nlohmann::json& reply) { std::cout << reply.dump() << std::endl; }

class Fixture {
 public:
  Fixture()
      : now_(absl::Now()),
        td_(Must(TrustDomain::FromString("conformance.test"), "trust domain")),
        federated_td_(Must(TrustDomain::FromString("federated.test"), "trust domain")),
        authority_(Must(testing::TestAuthority::Create(td_, now_), "test CA")),
        federated_(Must(testing::TestAuthority::Create(federated_td_, now_), "federated CA")),
        cache_(IdentityCacheOptions{.trust_domain = td_}),
        signer_(authority_) {}

  int Run() {
    char tmpl[] = "/tmp/sigil-wapi-conformance-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) {
      std::perror("mkdtemp");
      return 1;
    }
    dir_ = tmpl;
    chmod(dir_.c_str(), 0755);
    const std::string ca_pem = dir_ + "/ca.pem";
    const std::string federated_pem = dir_ + "/federated-ca.pem";
    std::ofstream(ca_pem) << authority_.ca_certificate().ToPem();
    std::ofstream(federated_pem) << federated_.ca_certificate().ToPem();

    FillCache();
    std::vector<std::unique_ptr<attestors::WorkloadAttestor>> attestors;
    attestors.push_back(std::make_unique<attestors::UnixWorkloadAttestor>());
    attestation_ = std::make_unique<attestors::WorkloadAttestation>(std::move(attestors));
    server_ = Must(WorkloadApiServer::Start({.socket_path = dir_ + "/public/api.sock"}, cache_,
                                            jwt_cache_, signer_, *attestation_),
                   "starting the Workload API");
    Reply({{"socket", server_->socket_path()},
           {"trust_domain", td_.name()},
           {"ca_pem", ca_pem},
           {"federated_ca_pem", federated_pem},
           {"uid", getuid()},
           {"gid", getgid()}});

    std::string line;
    while (std::getline(std::cin, line)) {
      if (line == "shutdown") {
        break;
      }
      Reply(Handle(line));
    }
    server_->Shutdown();
    Reply({{"ok", true}});
    std::filesystem::remove_all(dir_);
    return 0;
  }

 private:
  AgentEntry Entry(const std::string& id, const std::string& path, std::vector<Selector> selectors,
                   std::string hint, std::vector<TrustDomain> federates_with = {}) {
    return AgentEntry{.entry_id = id,
                      .spiffe_id = Must(SpiffeId::FromPath(td_, path), "SPIFFE ID"),
                      .selectors = std::move(selectors),
                      .federates_with = std::move(federates_with),
                      .hint = std::move(hint),
                      .revision = 1,
                      .created_at = now_ + absl::Seconds(static_cast<int64_t>(entries_.size()))};
  }

  void FillCache(bool add_entries = true) {
    if (add_entries) {
      const std::string uid = std::to_string(getuid());
      const std::string gid = std::to_string(getgid());
      entries_.push_back(
          Entry("e-default", "/workload/default", {{"unix", "uid:" + uid}}, "default"));
      entries_.push_back(Entry("e-second", "/workload/second",
                               {{"unix", "uid:" + uid}, {"unix", "gid:" + gid}}, "second",
                               {federated_td_}));
      entries_.push_back(Entry("e-dup", "/workload/dup", {{"unix", "uid:" + uid}}, "default"));
      entries_.push_back(Entry("e-nobody", "/workload/nobody", {{"unix", "uid:65534"}}, ""));
    }
    if (absl::Status s = cache_.ReplaceEntries(entries_); !s.ok()) {
      std::cerr << "workload_api_fixture: entries: " << s << "\n";
      std::exit(1);
    }
    for (const AgentEntry& entry : entries_) {
      Issue(entry.entry_id);
    }
    SetBundles();
  }

  std::string Issue(const std::string& entry_id) {
    for (const AgentEntry& entry : entries_) {
      if (entry.entry_id == entry_id) {
        X509Svid svid =
            Must(authority_.IssueX509Svid(entry.spiffe_id, absl::Now()), "issuing an SVID");
        std::string serial = svid.leaf().SerialHex();
        if (absl::Status s = cache_.SetX509Svid(entry_id, entry.revision, std::move(svid));
            !s.ok()) {
          return "";
        }
        return serial;
      }
    }
    return "";
  }

  void SetBundles() {
    BundleSet bundles;
    bundles.Put(authority_.bundle());
    bundles.Put(federated_.bundle());
    cache_.SetBundles(bundles);
  }

  nlohmann::json Handle(const std::string& line) {
    const size_t space = line.find(' ');
    const std::string command = line.substr(0, space);
    const std::string arg = space == std::string::npos ? "" : line.substr(space + 1);
    if (command == "rotate") {
      const std::string serial = Issue(arg);
      if (serial.empty()) {
        return {{"ok", false}, {"error", "no such entry"}};
      }
      return {{"ok", true}, {"serial", serial}};
    }
    if (command == "remove") {
      if (absl::Status s = cache_.UpdateEntries({}, {arg}); !s.ok()) {
        return {{"ok", false}, {"error", std::string(s.message())}};
      }
      return {{"ok", true}};
    }
    if (command == "rotate-federated") {
      federated_ = Must(testing::TestAuthority::Create(federated_td_, absl::Now()), "federated CA");
      SetBundles();
      return {{"ok", true}};
    }
    if (command == "restore") {
      FillCache(/*add_entries=*/false);
      return {{"ok", true}};
    }
    if (command == "stats") {
      const WorkloadApiStats stats = server_->stats();
      return {{"ok", true},
              {"open_streams", stats.open_streams},
              {"subscribers", cache_.stats().subscribers},
              {"calls", stats.calls}};
    }
    return {{"ok", false}, {"error", "unknown command"}};
  }

  const absl::Time now_;
  const TrustDomain td_;
  const TrustDomain federated_td_;
  testing::TestAuthority authority_;
  testing::TestAuthority federated_;
  IdentityCache cache_;
  JwtSvidCache jwt_cache_;
  testing::LocalJwtSvidSigner signer_;
  std::unique_ptr<attestors::WorkloadAttestation> attestation_;
  std::unique_ptr<WorkloadApiServer> server_;
  std::vector<AgentEntry> entries_;
  std::string dir_;
};

}  // namespace
}  // namespace sigil::agent

int main() { return sigil::agent::Fixture().Run(); }
