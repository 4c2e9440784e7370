#include "server/nodeapi/issuance_ledger.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/types/span.h"

#include "sigil/log.h"

namespace sigil::server {
namespace {
constexpr std::string_view kLogComponent = "nodeapi";

// One transaction per this many records: big enough to amortise the commit, small enough not to
// hold the datastore's single connection for long.
constexpr size_t kRecordsPerTransaction = 5000;
}  // namespace

IssuanceLedger::IssuanceLedger(DataStore& datastore, IssuanceLedgerOptions options)
    : datastore_(datastore), options_(options) {
  thread_ = std::thread([this] { Run(); });
}

IssuanceLedger::~IssuanceLedger() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  thread_.join();
}

void IssuanceLedger::Append(std::vector<IssuanceRecord> records) {
  if (records.empty()) {
    return;
  }
  absl::MutexLock lock(&mu_);
  const size_t room = options_.max_pending - std::min(options_.max_pending, pending_.size());
  const size_t taken = std::min(room, records.size());
  if (taken < records.size()) {
    const bool first_drop = dropped_ == 0;
    dropped_ += records.size() - taken;
    if (first_drop) {
      SIGIL_LOG(kWarn, "nodeapi.ledger_dropping",
                {{"pending", absl::StrCat(pending_.size())},
                 {"max_pending", absl::StrCat(options_.max_pending)}});
    }
  }
  queued_ += records.size();
  done_ += records.size() - taken;
  for (size_t i = 0; i < taken; ++i) {
    pending_.push_back(std::move(records[i]));
  }
}

void IssuanceLedger::RecordSeen(const SpiffeId& agent_id, absl::Time at, std::string address) {
  absl::MutexLock lock(&mu_);
  seen_.insert_or_assign(agent_id.str(), Seen{agent_id, at, std::move(address)});
}

void IssuanceLedger::Flush() {
  absl::MutexLock lock(&mu_);
  const uint64_t target = queued_;
  flush_requested_ = true;
  struct Wait {
    const IssuanceLedger* self;
    uint64_t target;
  } wait{this, target};
  mu_.Await(absl::Condition(
      +[](Wait* w) ABSL_NO_THREAD_SAFETY_ANALYSIS { return w->self->done_ >= w->target; }, &wait));
}

uint64_t IssuanceLedger::dropped() const {
  absl::MutexLock lock(&mu_);
  return dropped_;
}

uint64_t IssuanceLedger::written() const {
  absl::MutexLock lock(&mu_);
  return written_;
}

void IssuanceLedger::Run() {
  for (;;) {
    std::vector<IssuanceRecord> records;
    std::vector<Seen> seen;
    bool stopping = false;
    {
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(
                               +[](IssuanceLedger* self) ABSL_NO_THREAD_SAFETY_ANALYSIS {
                                 return self->stop_ || self->flush_requested_;
                               },
                               this),
                           options_.flush_interval);
      stopping = stop_;
      flush_requested_ = false;
      records.swap(pending_);
      // Last-seen times are inventory: written at most every seen_interval, and at shutdown.
      const absl::Time now = absl::Now();
      if (stopping || now - seen_written_at_ >= options_.seen_interval) {
        for (auto& [id, value] : seen_) {
          seen.push_back(std::move(value));
        }
        seen_.clear();
        seen_written_at_ = now;
      }
    }
    Write(std::move(records), std::move(seen));
    if (stopping) {
      absl::MutexLock lock(&mu_);
      if (pending_.empty()) {
        return;
      }
    }
  }
}

void IssuanceLedger::Write(std::vector<IssuanceRecord> records, std::vector<Seen> seen) {
  size_t written = 0;
  size_t failed = 0;
  for (size_t start = 0; start < records.size(); start += kRecordsPerTransaction) {
    const size_t n = std::min(kRecordsPerTransaction, records.size() - start);
    absl::Status status =
        datastore_.AppendIssuances(absl::MakeConstSpan(records.data() + start, n));
    if (status.ok()) {
      written += n;
    } else {
      failed += n;
      SIGIL_LOG(kWarn, "nodeapi.ledger_write_failed",
                {{"records", absl::StrCat(n)}, {"error", std::string(status.message())}});
    }
  }
  for (const Seen& s : seen) {
    // NotFound: the agent was evicted since; nothing to record.
    if (absl::Status status = datastore_.RecordNodeSeen(s.id, s.at, s.address);
        !status.ok() && status.code() != absl::StatusCode::kNotFound) {
      SIGIL_LOG(kDebug, "nodeapi.node_seen_failed",
                {{"agent_id", s.id.str()}, {"error", std::string(status.message())}});
    }
  }
  absl::MutexLock lock(&mu_);
  written_ += written;
  dropped_ += failed;
  done_ += records.size();
}

}  // namespace sigil::server
