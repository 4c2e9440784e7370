#include "server/cli/client.h"

#include <iostream>

#include "absl/strings/str_cat.h"

namespace sigil::server::cli {

std::shared_ptr<grpc::Channel> AdminChannel(const ClientOptions& options) {
  const std::string target = options.socket_path.starts_with("/")
                                 ? absl::StrCat("unix://", options.socket_path)
                                 : absl::StrCat("unix:", options.socket_path);
  return grpc::CreateChannel(target, grpc::InsecureChannelCredentials());
}

std::unique_ptr<grpc::ClientContext> CallContext(absl::Duration timeout) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(timeout));
  return ctx;
}

int ReportRpcError(const ClientOptions& options, std::string_view what,
                   const grpc::Status& status) {
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
    std::cerr << "error: " << what << ": cannot reach sigil-server at " << options.socket_path
              << " (is it running, and is this the right --socket?)\n";
  } else {
    std::cerr << "error: " << what << ": " << status.error_message() << "\n";
  }
  return kExitFailure;
}

void Print(const ClientOptions& options, const std::string& text, const std::string& json) {
  if (options.output == "json") {
    std::cout << json << "\n";
  } else {
    std::cout << text;
  }
}

}  // namespace sigil::server::cli
