// Shared helpers of the DataStore conformance suite and the backend tests.
#include "server/datastore/datastore_suite.h"

#include <cstdlib>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

namespace sigil::server::testing {

SpiffeId Id(std::string_view text) {
  absl::StatusOr<SpiffeId> id = SpiffeId::Parse(text);
  if (!id.ok()) {
    std::cerr << "bad test SPIFFE ID: " << id.status() << "\n";
    std::abort();
  }
  return *std::move(id);
}

TrustDomain Td(std::string_view name) {
  absl::StatusOr<TrustDomain> td = TrustDomain::FromString(name);
  if (!td.ok()) {
    std::cerr << "bad test trust domain: " << td.status() << "\n";
    std::abort();
  }
  return *std::move(td);
}

std::vector<Selector> Sels(std::initializer_list<std::string_view> texts) {
  std::vector<Selector> out;
  for (std::string_view t : texts) {
    absl::StatusOr<Selector> s = Selector::Parse(t);
    if (!s.ok()) {
      std::cerr << "bad test selector: " << s.status() << "\n";
      std::abort();
    }
    out.push_back(*std::move(s));
  }
  return out;
}

RegistrationEntry MakeEntry(std::string_view path,
                            std::initializer_list<std::string_view> selectors,
                            std::string_view parent) {
  return RegistrationEntry{
      .spiffe_id = Id(std::string("spiffe://example.org/") + std::string(path)),
      .parent_id = Id(parent),
      .selectors = Sels(selectors),
  };
}

void DataStoreTest::SetUp() {
  backend_ = GetParam().make();
  ASSERT_NE(backend_, nullptr);
  Reopen();
}

void DataStoreTest::Reopen() {
  store_.reset();
  DS_ASSERT_OK_AND_ASSIGN(store_, backend_->Open(clock_.AsDataStoreClock()));
}

}  // namespace sigil::server::testing
