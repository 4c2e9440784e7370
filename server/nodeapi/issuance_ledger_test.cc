#include "server/nodeapi/issuance_ledger.h"

#include "gtest/gtest.h"

#include "server/datastore/sqlite_datastore.h"
#include "server/datastore/test_temp_dir.h"

namespace sigil::server {
namespace {

IssuanceRecord Record(int i) {
  return IssuanceRecord{
      .issued_at = absl::Now(),
      .kind = SvidKind::kX509,
      .spiffe_id = *SpiffeId::Parse("spiffe://example.org/w"),
      .entry_id = "e" + std::to_string(i),
      .serial = "0" + std::to_string(i),
      .expires_at = absl::Now() + absl::Hours(1),
  };
}

class IssuanceLedgerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ds = OpenSqliteDataStore(dir_.File("d.db"), {});
    ASSERT_TRUE(ds.ok());
    datastore_ = *std::move(ds);
  }
  int64_t Stored() {
    auto page = datastore_->ListIssuances({}, {.page_size = kMaxPageSize});
    return page.ok() ? static_cast<int64_t>(page->items.size()) : -1;
  }
  server::testing::TempDir dir_;
  std::unique_ptr<DataStore> datastore_;
};

TEST_F(IssuanceLedgerTest, FlushWritesEverythingAppended) {
  IssuanceLedger ledger(*datastore_, {.flush_interval = absl::Hours(1)});
  std::vector<IssuanceRecord> batch;
  for (int i = 0; i < 250; ++i) {
    batch.push_back(Record(i));
  }
  ledger.Append(std::move(batch));
  ledger.Append({Record(1000)});
  ledger.Flush();
  EXPECT_EQ(Stored(), 251);
  EXPECT_EQ(ledger.written(), 251u);
  EXPECT_EQ(ledger.dropped(), 0u);
}

TEST_F(IssuanceLedgerTest, DestructionWritesWhatIsQueued) {
  {
    IssuanceLedger ledger(*datastore_, {.flush_interval = absl::Hours(1)});
    ledger.Append({Record(1), Record(2)});
  }
  EXPECT_EQ(Stored(), 2);
}

TEST_F(IssuanceLedgerTest, DropsBeyondTheQueueBound) {
  IssuanceLedger ledger(*datastore_, {.max_pending = 10, .flush_interval = absl::Hours(1)});
  std::vector<IssuanceRecord> batch;
  for (int i = 0; i < 25; ++i) {
    batch.push_back(Record(i));
  }
  ledger.Append(std::move(batch));
  ledger.Flush();
  EXPECT_EQ(Stored(), 10);
  EXPECT_EQ(ledger.dropped(), 15u);
}

}  // namespace
}  // namespace sigil::server
