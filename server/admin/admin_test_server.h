// A real sigil-server (SQLite datastore in a scratch directory, the admin socket beside it)
// for the admin service tests, and a channel to it.
#ifndef SIGIL_SERVER_ADMIN_ADMIN_TEST_SERVER_H_
#define SIGIL_SERVER_ADMIN_ADMIN_TEST_SERVER_H_

#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "server/app/server.h"
#include "server/datastore/test_temp_dir.h"

namespace sigil::server::testing {

inline constexpr std::string_view kTestTrustDomain = "example.org";

class TestServer {
 public:
  // Starts a server for trust domain example.org with the memory key manager; aborts the test
  // binary when it cannot start.
  TestServer();
  ~TestServer();

  Server& server() { return *server_; }
  DataStore& datastore() { return *server_->core().datastore; }
  std::shared_ptr<grpc::Channel> channel() const { return channel_; }
  // A client context with a 10 s deadline.
  static std::unique_ptr<grpc::ClientContext> Context();

 private:
  TempDir dir_;
  std::unique_ptr<Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

}  // namespace sigil::server::testing

#endif  // SIGIL_SERVER_ADMIN_ADMIN_TEST_SERVER_H_
