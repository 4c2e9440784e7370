// What every part of a running sigil-server shares: its configuration, datastore, CA and
// clock. Owned by Server; services borrow it for their lifetime.
#ifndef SIGIL_SERVER_APP_SERVER_CORE_H_
#define SIGIL_SERVER_APP_SERVER_CORE_H_

#include <functional>
#include <memory>

#include "absl/time/time.h"

#include "server/ca/ca_manager.h"
#include "server/config/server_config.h"
#include "server/datastore/datastore.h"

namespace sigil::server {

using Clock = std::function<absl::Time()>;

struct ServerCore {
  ServerConfig config;
  Clock clock = [] { return absl::Now(); };
  std::unique_ptr<DataStore> datastore;
  // Signs SVIDs and publishes the bundle. Declared after the datastore it borrows, so it is
  // destroyed first.
  std::unique_ptr<CaManager> ca;
  absl::Time started_at;
};

}  // namespace sigil::server

#endif  // SIGIL_SERVER_APP_SERVER_CORE_H_
