// The SQLite datastore with registration entries at server scale. Every figure is wall-clock
// time (commits wait on fsync, which CPU time would hide), on a real file in $TMPDIR or /tmp:
//   BM_CreateEntriesBatch/N/B   N entries through CreateEntries, B per call (one transaction
//                               per call): the `entry create --file` and bulk-load path
//   BM_CreateEntrySingle/N      N entries through CreateEntry, one durable commit each
//   BM_ListAllEntries/N         every one of N stored entries through ListEntries pages
//   BM_LoadedRss/N              the process's VmRSS before and after holding all N entries as
//                               RegistrationEntry objects, as the server does at start
// items_per_second is entries per second. Entries look like a Kubernetes cluster's: three
// selectors, one DNS name on every fourth, an owner and one of 100 agent parents.
#include <malloc.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "benchmark/benchmark.h"

#include "server/datastore/datastore.h"
#include "server/datastore/sqlite_datastore.h"
#include "server/datastore/test_temp_dir.h"
#include "sigil/spiffe_id.h"

namespace sigil::server {
namespace {

constexpr int64_t kEntries = 100000;

template <typename T>
T Must(absl::StatusOr<T> value) {
  if (!value.ok()) {
    std::fprintf(stderr, "benchmark set-up failed: %s\n", value.status().ToString().c_str());
    std::abort();
  }
  return *std::move(value);
}

RegistrationEntry MakeEntry(int64_t i) {
  const std::string n = std::to_string(i);
  RegistrationEntry e{
      .spiffe_id = Must(SpiffeId::Parse("spiffe://example.org/ns/team-" + std::to_string(i % 500) +
                                        "/sa/workload-" + n)),
      .parent_id = Must(SpiffeId::Parse("spiffe://example.org/spire/agent/k8s_psat/node-" +
                                        std::to_string(i % 100))),
      .selectors = {Selector{"k8s", "ns:team-" + std::to_string(i % 500)},
                    Selector{"k8s", "sa:workload-" + n}, Selector{"unix", "uid:" + n}},
      .owner = "team-" + std::to_string(i % 500),
  };
  if (i % 4 == 0) {
    e.dns_names.push_back("workload-" + n + ".example.org");
  }
  return e;
}

std::vector<RegistrationEntry> MakeEntries(int64_t first, int64_t count) {
  std::vector<RegistrationEntry> entries;
  entries.reserve(static_cast<size_t>(count));
  for (int64_t i = first; i < first + count; ++i) {
    entries.push_back(MakeEntry(i));
  }
  return entries;
}

std::unique_ptr<DataStore> Open(const std::string& path) {
  return Must(OpenSqliteDataStore(path, {}));
}

std::vector<RegistrationEntry> ListAll(DataStore& store) {
  std::vector<RegistrationEntry> all;
  PageRequest request{.page_size = kMaxPageSize};
  while (true) {
    Page<RegistrationEntry> page = Must(store.ListEntries({}, request));
    for (RegistrationEntry& e : page.items) {
      all.push_back(std::move(e));
    }
    if (page.next_page_token.empty()) {
      return all;
    }
    request.page_token = std::move(page.next_page_token);
  }
}

// VmRSS of this process in KiB, from /proc/self/status.
int64_t VmRssKib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      return std::strtoll(line.c_str() + 6, nullptr, 10);
    }
  }
  return -1;
}

// A database holding `count` entries, made once per process and shared by the read benchmarks.
const std::string& SharedDatabase(int64_t count) {
  static testing::TempDir dir;  // removed at exit
  static const std::string path = [&] {
    std::string p = dir.File("shared.db");
    std::unique_ptr<DataStore> store = Open(p);
    Must(store->CreateEntries(MakeEntries(0, count)));
    return p;
  }();
  return path;
}

void BM_CreateEntriesBatch(benchmark::State& state) {
  const int64_t total = state.range(0);
  const int64_t per_call = state.range(1);
  for (auto _ : state) {
    state.PauseTiming();
    testing::TempDir dir;
    std::unique_ptr<DataStore> store = Open(dir.File("batch.db"));
    std::vector<std::vector<RegistrationEntry>> calls;
    for (int64_t first = 0; first < total; first += per_call) {
      calls.push_back(MakeEntries(first, std::min(per_call, total - first)));
    }
    state.ResumeTiming();

    for (std::vector<RegistrationEntry>& call : calls) {
      benchmark::DoNotOptimize(Must(store->CreateEntries(std::move(call))));
    }

    state.PauseTiming();
    store.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * total);
}
BENCHMARK(BM_CreateEntriesBatch)
    ->Args({kEntries, kEntries})
    ->Args({kEntries, 1000})
    ->Iterations(1)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

void BM_CreateEntrySingle(benchmark::State& state) {
  const int64_t total = state.range(0);
  for (auto _ : state) {
    state.PauseTiming();
    testing::TempDir dir;
    std::unique_ptr<DataStore> store = Open(dir.File("single.db"));
    std::vector<RegistrationEntry> entries = MakeEntries(0, total);
    state.ResumeTiming();

    for (RegistrationEntry& e : entries) {
      benchmark::DoNotOptimize(Must(store->CreateEntry(std::move(e))));
    }

    state.PauseTiming();
    store.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * total);
}
BENCHMARK(BM_CreateEntrySingle)
    ->Arg(2000)
    ->Iterations(1)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

void BM_ListAllEntries(benchmark::State& state) {
  const std::string& path = SharedDatabase(state.range(0));
  std::unique_ptr<DataStore> store = Open(path);
  for (auto _ : state) {
    std::vector<RegistrationEntry> all = ListAll(*store);
    if (static_cast<int64_t>(all.size()) != state.range(0)) {
      state.SkipWithError("listing returned the wrong number of entries");
    }
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_ListAllEntries)
    ->Arg(kEntries)
    ->Iterations(3)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

void BM_LoadedRss(benchmark::State& state) {
  const std::string& path = SharedDatabase(state.range(0));
  for (auto _ : state) {
    // Hand freed heap back to the kernel first, so the baseline is what is really in use.
    malloc_trim(0);
    const int64_t before = VmRssKib();
    std::unique_ptr<DataStore> store = Open(path);
    std::vector<RegistrationEntry> all = ListAll(*store);
    const int64_t after = VmRssKib();
    state.counters["rss_before_MiB"] = static_cast<double>(before) / 1024;
    state.counters["rss_after_MiB"] = static_cast<double>(after) / 1024;
    state.counters["bytes_per_entry"] =
        static_cast<double>(after - before) * 1024 / static_cast<double>(all.size());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_LoadedRss)->Arg(kEntries)->Iterations(1)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace sigil::server
