#include "server/ca/ca_test_util.h"

#include <utility>

#include "server/datastore/sqlite_datastore.h"
#include "sigil/status.h"

namespace sigil::server::testing {

TrustDomain TestTrustDomain() { return *TrustDomain::FromString("example.org"); }

CaEnvironment::CaEnvironment() : key_dir_(dir_.File("keys")) { Stop(); }

void CaEnvironment::Stop() {
  ca_.reset();
  datastore_.reset();
  absl::StatusOr<std::unique_ptr<DataStore>> store = OpenSqliteDataStore(
      dir_.File("datastore.sqlite3"), SqliteDataStoreOptions{.clock = clock_.AsFunction()});
  if (!store.ok()) {
    ADD_FAILURE() << "opening the datastore: " << store.status();
    return;
  }
  datastore_ = *std::move(store);
}

absl::StatusOr<CaManager*> CaEnvironment::Start(StartOptions options) {
  if (ca_ != nullptr) {
    Stop();
  }
  std::unique_ptr<KeyManager> keys;
  if (options.memory_keys) {
    keys = std::make_unique<MemoryKeyManager>();
  } else {
    SIGIL_ASSIGN_OR_RETURN(keys, DiskKeyManager::Open(key_dir_));
  }
  CaManagerConfig config{
      .trust_domain = TestTrustDomain(),
      .ca_ttl = options.ca_ttl,
      .upstream_authority = std::move(options.upstream),
      .key_manager = std::move(keys),
      .datastore = datastore_.get(),
      .clock = clock_.AsFunction(),
      .old_authority_grace = options.grace,
  };
  SIGIL_ASSIGN_OR_RETURN(ca_, CaManager::Create(std::move(config)));
  return ca_.get();
}

BundleSet BundleSetOf(const CaManager& ca) {
  BundleSet set;
  set.Put(*ca.Bundle());
  return set;
}

PrivateKey NewTestKey() {
  absl::StatusOr<PrivateKey> key = PrivateKey::Generate(KeyType::kEcP256);
  EXPECT_TRUE(key.ok()) << key.status();
  return *key;
}

std::string IdInState(const CaManager& ca, AuthorityKind kind, AuthorityState state) {
  for (const AuthorityRecord& record : ca.List(kind)) {
    if (record.state == state) {
      return record.authority_id;
    }
  }
  return "";
}

int CountInState(const CaManager& ca, AuthorityKind kind, AuthorityState state) {
  int count = 0;
  for (const AuthorityRecord& record : ca.List(kind)) {
    count += record.state == state ? 1 : 0;
  }
  return count;
}

absl::StatusOr<std::vector<Certificate>> SignTestLeaf(const CaManager& ca, absl::Duration ttl) {
  SIGIL_ASSIGN_OR_RETURN(SpiffeId id, SpiffeId::Parse("spiffe://example.org/workload"));
  SIGIL_ASSIGN_OR_RETURN(PrivateKey key, PrivateKey::Generate(KeyType::kEcP256));
  SIGIL_ASSIGN_OR_RETURN(IssuedX509Svid svid,
                         ca.SignX509SvidForKey({.spiffe_id = id, .ttl = ttl}, key.public_key()));
  SIGIL_ASSIGN_OR_RETURN(Certificate leaf, svid.leaf.ToCertificate());
  std::vector<Certificate> chain = {leaf};
  chain.insert(chain.end(), svid.intermediates.begin(), svid.intermediates.end());
  return chain;
}

}  // namespace sigil::server::testing
