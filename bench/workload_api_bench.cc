// FetchX509SVID first-response latency against the real Workload API service (unix attestor,
// identity cache holding a cached SVID, Unix socket), with gRPC clients in this process, each
// on its own connection. Two shapes of load for N = 1, 100 and 1,000 clients:
//
//   BM_FirstResponseWithOpenStreams/N  N clients each hold an open FetchX509SVID stream (as N
//       workloads on a node do); then, one at a time, a client opens one more stream and the
//       time to its first message is measured. Shows what one more workload sees on a node
//       already serving N.
//   BM_FirstResponseBurst/N            all N clients open a stream at the same instant, in
//       several rounds; every first message is measured. The p99 is the wait of the last
//       clients of a burst: a queue N deep, so it grows with N by construction.
//
// Counters: p50_ms, p99_ms, max_ms, samples, and cpu_us_per_stream: the process's CPU time
// (client and server together, from getrusage) per measured stream, which a loaded machine
// disturbs far less than latency. Client and server share the machine's cores, so latencies
// include the client side's work too.
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "benchmark/benchmark.h"
#include <grpcpp/grpcpp.h>

#include "agent/cache/identity_cache.h"
#include "agent/cache/jwt_svid_cache.h"
#include "agent/proto/workload_api_proto.h"
#include "agent/testing/test_authority.h"
#include "agent/workload_api/workload_api_server.h"
#include "attestors/workload/unix_attestor.h"

namespace sigil::agent {
namespace {

using Clock = std::chrono::steady_clock;

template <typename T>
T Must(absl::StatusOr<T> value) {
  if (!value.ok()) {
    std::fprintf(stderr, "benchmark set-up failed: %s\n", value.status().ToString().c_str());
    std::abort();
  }
  return *std::move(value);
}

// The server side, started once for every benchmark in this program.
struct Agent {
  Agent()
      : td(Must(TrustDomain::FromString("example.org"))),
        authority(Must(testing::TestAuthority::Create(td, absl::Now()))),
        cache(IdentityCacheOptions{.trust_domain = td}),
        signer(authority) {
    char tmpl[] = "/tmp/sigil-wapi-bench-XXXXXX";
    dir = mkdtemp(tmpl);
    const SpiffeId id = Must(SpiffeId::Parse("spiffe://example.org/bench/workload"));
    AgentEntry entry{.entry_id = "bench",
                     .spiffe_id = id,
                     .selectors = {{"unix", "uid:" + std::to_string(getuid())}},
                     .revision = 1};
    if (!cache.ReplaceEntries({entry}).ok() ||
        !cache.SetX509Svid("bench", 1, Must(authority.IssueX509Svid(id, absl::Now()))).ok()) {
      std::abort();
    }
    BundleSet bundles;
    bundles.Put(authority.bundle());
    cache.SetBundles(bundles);
    std::vector<std::unique_ptr<attestors::WorkloadAttestor>> attestors;
    attestors.push_back(std::make_unique<attestors::UnixWorkloadAttestor>());
    attestation = std::make_unique<attestors::WorkloadAttestation>(std::move(attestors));
    server = Must(WorkloadApiServer::Start({.socket_path = dir + "/api.sock"}, cache, jwt_cache,
                                           signer, *attestation));
  }
  ~Agent() {
    server->Shutdown();
    std::filesystem::remove_all(dir);
  }

  std::string dir;
  TrustDomain td;
  testing::TestAuthority authority;
  IdentityCache cache;
  JwtSvidCache jwt_cache;
  testing::LocalJwtSvidSigner signer;
  std::unique_ptr<attestors::WorkloadAttestation> attestation;
  std::unique_ptr<WorkloadApiServer> server;
};

Agent& TheAgent() {
  // Destroyed at exit, which shuts the server down and removes its directory.
  static Agent agent;
  return agent;
}

// Counts finished operations and lets the benchmark thread wait for a number of them.
class Latch {
 public:
  void Add() {
    absl::MutexLock lock(&mu_);
    ++count_;
  }
  void WaitFor(int n) {
    absl::MutexLock lock(&mu_);
    target_ = n;
    mu_.Await(absl::Condition(this, &Latch::Reached));
  }

 private:
  bool Reached() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return count_ >= target_; }

  absl::Mutex mu_;
  int count_ ABSL_GUARDED_BY(mu_) = 0;
  int target_ ABSL_GUARDED_BY(mu_) = 0;
};

// One FetchX509SVID stream: records the time to its first message, then either cancels
// (a probe) or keeps the stream open until Close() (a held stream). Deletes itself when done.
class StreamCall : public grpc::ClientReadReactor<wapi::X509SvidResponse> {
 public:
  StreamCall(wapi::Service::Stub& stub, bool hold, std::vector<double>* latencies_ms,
             absl::Mutex* latencies_mu, Latch* first, Latch* done)
      : hold_(hold),
        latencies_ms_(latencies_ms),
        latencies_mu_(latencies_mu),
        first_(first),
        done_(done) {
    context_.AddMetadata(wapi::kSecurityHeaderKey, wapi::kSecurityHeaderValue);
    start_ = Clock::now();
    stub.async()->FetchX509SVID(&context_, &request_, this);
    StartRead(&response_);
    StartCall();
  }

  void Close() { context_.TryCancel(); }

  void OnReadDone(bool ok) override {
    if (!ok) {
      return;  // OnDone follows
    }
    if (!seen_first_) {
      seen_first_ = true;
      const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start_).count();
      if (latencies_ms_ != nullptr && response_.svids_size() == 1) {
        absl::MutexLock lock(latencies_mu_);
        latencies_ms_->push_back(ms);
      }
      first_->Add();
    }
    if (hold_) {
      StartRead(&response_);
    } else {
      context_.TryCancel();
    }
  }

  void OnDone(const grpc::Status&) override {
    if (!seen_first_) {
      first_->Add();  // never got one: do not leave the waiter hanging
    }
    Latch* done = done_;
    delete this;
    done->Add();
  }

 private:
  const bool hold_;
  std::vector<double>* const latencies_ms_;
  absl::Mutex* const latencies_mu_;
  Latch* const first_;
  Latch* const done_;
  grpc::ClientContext context_;
  wapi::X509SvidRequest request_;
  wapi::X509SvidResponse response_;
  Clock::time_point start_;
  bool seen_first_ = false;
};

// N stubs, each on its own connection (a local subchannel pool stops gRPC from sharing one).
std::vector<std::unique_ptr<wapi::Service::Stub>> Clients(int n) {
  std::vector<std::unique_ptr<wapi::Service::Stub>> stubs;
  for (int i = 0; i < n; ++i) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    stubs.push_back(wapi::Service::NewStub(grpc::CreateCustomChannel(
        "unix://" + TheAgent().server->socket_path(), grpc::InsecureChannelCredentials(), args)));
  }
  return stubs;
}

// CPU time of the whole process (user + system), in microseconds.
double ProcessCpuMicros() {
  rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  auto micros = [](const timeval& tv) { return tv.tv_sec * 1e6 + static_cast<double>(tv.tv_usec); };
  return micros(usage.ru_utime) + micros(usage.ru_stime);
}

void Report(benchmark::State& state, std::vector<double> ms, double cpu_us, const char* shape) {
  std::sort(ms.begin(), ms.end());
  if (ms.empty()) {
    state.SkipWithError("no first message was received");
    return;
  }
  auto at = [&ms](double q) {
    return ms[std::min(ms.size() - 1, static_cast<size_t>(q * ms.size()))];
  };
  state.counters["p50_ms"] = at(0.50);
  state.counters["p99_ms"] = at(0.99);
  state.counters["max_ms"] = ms.back();
  state.counters["samples"] = static_cast<double>(ms.size());
  const double cpu_per_stream = cpu_us / static_cast<double>(ms.size());
  state.counters["cpu_us_per_stream"] = cpu_per_stream;
  std::printf(
      "FetchX509SVID first response, %s, %ld clients: p50 %.3f ms, p99 %.3f ms, "
      "max %.3f ms, %.0f us CPU per stream (%zu samples)\n",
      shape, static_cast<long>(state.range(0)), at(0.50), at(0.99), ms.back(), cpu_per_stream,
      ms.size());
}

void BM_FirstResponseWithOpenStreams(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  auto stubs = Clients(n);
  absl::Mutex mu;
  std::vector<double> latencies;
  double cpu_us = 0;
  for (auto _ : state) {
    Latch held_first;
    Latch held_done;
    std::vector<StreamCall*> held;
    for (auto& stub : stubs) {
      held.push_back(
          new StreamCall(*stub, /*hold=*/true, nullptr, nullptr, &held_first, &held_done));
    }
    held_first.WaitFor(n);

    const auto started = Clock::now();
    const double cpu_before = ProcessCpuMicros();
    constexpr int kProbes = 1000;
    Latch first;
    Latch done;
    for (int i = 0; i < kProbes; ++i) {
      new StreamCall(*stubs[i % n], /*hold=*/false, &latencies, &mu, &first, &done);
      done.WaitFor(i + 1);
    }
    state.SetIterationTime(std::chrono::duration<double>(Clock::now() - started).count());
    cpu_us += ProcessCpuMicros() - cpu_before;

    for (StreamCall* call : held) {
      call->Close();
    }
    held_done.WaitFor(n);
  }
  Report(state, latencies, cpu_us, "one new stream while each client holds one open");
}

void BM_FirstResponseBurst(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  auto stubs = Clients(n);
  absl::Mutex mu;
  std::vector<double> latencies;
  const int rounds = std::max(5, 2000 / n);
  double cpu_us = 0;
  for (auto _ : state) {
    const auto started = Clock::now();
    const double cpu_before = ProcessCpuMicros();
    for (int round = 0; round < rounds; ++round) {
      Latch first;
      Latch done;
      for (auto& stub : stubs) {
        new StreamCall(*stub, /*hold=*/false, &latencies, &mu, &first, &done);
      }
      done.WaitFor(n);
    }
    state.SetIterationTime(std::chrono::duration<double>(Clock::now() - started).count());
    cpu_us += ProcessCpuMicros() - cpu_before;
  }
  Report(state, latencies, cpu_us, "all clients at once");
}

BENCHMARK(BM_FirstResponseWithOpenStreams)
    ->Arg(1)
    ->Arg(100)
    ->Arg(1000)
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FirstResponseBurst)
    ->Arg(1)
    ->Arg(100)
    ->Arg(1000)
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace sigil::agent
