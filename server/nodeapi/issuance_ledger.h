// Writes the issuance ledger (one record per SVID signed) and agents' last-seen times to the
// datastore from a background thread, so that signing never waits for a disk commit: records
// queue in memory and are written in batches, one transaction per batch.
//
// Limitation: the queue is bounded; when the datastore falls behind by more than `max_pending`
// records, further records are dropped (counted in dropped() and logged), so the ledger, an
// inventory, can miss SVIDs during such a burst. Records still queued when the process is
// killed are lost the same way; a clean shutdown writes them.
#ifndef SIGIL_SERVER_NODEAPI_ISSUANCE_LEDGER_H_
#define SIGIL_SERVER_NODEAPI_ISSUANCE_LEDGER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

#include "server/datastore/datastore.h"

namespace sigil::server {

struct IssuanceLedgerOptions {
  size_t max_pending = 100000;
  // How long records may wait before they are written.
  absl::Duration flush_interval = absl::Milliseconds(200);
  // An agent's last-seen time is written at most this often.
  absl::Duration seen_interval = absl::Seconds(30);
};

class IssuanceLedger {
 public:
  // Borrows `datastore`, which must outlive this object. Starts the writer thread.
  explicit IssuanceLedger(DataStore& datastore, IssuanceLedgerOptions options = {});
  // Writes what is queued, then stops the thread.
  ~IssuanceLedger();
  IssuanceLedger(const IssuanceLedger&) = delete;
  IssuanceLedger& operator=(const IssuanceLedger&) = delete;

  // Queues `records` without blocking on the datastore. Thread-safe.
  void Append(std::vector<IssuanceRecord> records);
  // Notes that `agent_id` called at `at` from `address`; only the latest per agent is kept.
  void RecordSeen(const SpiffeId& agent_id, absl::Time at, std::string address);
  // Blocks until everything queued before the call has been written (or dropped on error).
  void Flush();

  uint64_t dropped() const;
  uint64_t written() const;

 private:
  struct Seen {
    SpiffeId id;
    absl::Time at;
    std::string address;
  };

  void Run();
  // Writes one batch of records and, when due, the last-seen times. Called without mu_.
  void Write(std::vector<IssuanceRecord> records, std::vector<Seen> seen);

  DataStore& datastore_;
  const IssuanceLedgerOptions options_;

  mutable absl::Mutex mu_;
  std::vector<IssuanceRecord> pending_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, Seen> seen_ ABSL_GUARDED_BY(mu_);
  absl::Time seen_written_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  // Appends counted so far, and how many of them have been written or dropped.
  uint64_t queued_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t done_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t dropped_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t written_ ABSL_GUARDED_BY(mu_) = 0;
  bool flush_requested_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace sigil::server

#endif  // SIGIL_SERVER_NODEAPI_ISSUANCE_LEDGER_H_
