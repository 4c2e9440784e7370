#include "server/admin/admin_test_server.h"

#include <chrono>
#include <cstdlib>
#include <iostream>

namespace sigil::server::testing {

TestServer::TestServer() {
  ServerConfig config;
  config.trust_domain = *TrustDomain::FromString(kTestTrustDomain);
  config.data_dir = dir_.File("server");
  config.key_manager.type = "memory";
  config.bind_address = "127.0.0.1:0";  // the node API: any free port, never a fixed one
  if (absl::Status s = FinishServerConfig(config); !s.ok()) {
    std::cerr << "test server config: " << s << "\n";
    std::abort();
  }
  absl::StatusOr<std::unique_ptr<Server>> server = Server::Start(config);
  if (!server.ok()) {
    std::cerr << "test server: " << server.status() << "\n";
    std::abort();
  }
  server_ = *std::move(server);
  channel_ =
      grpc::CreateChannel("unix://" + config.admin_socket_path, grpc::InsecureChannelCredentials());
}

TestServer::~TestServer() { server_->Shutdown(absl::ZeroDuration()); }

std::unique_ptr<grpc::ClientContext> TestServer::Context() {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return ctx;
}

}  // namespace sigil::server::testing
