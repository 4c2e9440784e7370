#include "server/cli/client.h"

#include <iostream>

#include "absl/strings/str_cat.h"

#include "sigil/status.h"

namespace sigil::server::cli {

namespace {
// Matches the server's own request limit; a full batch of entries comes back this size.
constexpr int kMaxAnswerBytes = 64 << 20;
}  // namespace

void AddClientFlags(CLI::App* cmd, ClientOptions& options) {
  cmd->add_option("--socket", options.socket_path, "Admin socket of the server")
      ->capture_default_str();
  cmd->add_option("--output", options.output, "text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
}

std::shared_ptr<grpc::Channel> AdminChannel(const ClientOptions& options) {
  const std::string target = options.socket_path.starts_with("/")
                                 ? absl::StrCat("unix://", options.socket_path)
                                 : absl::StrCat("unix:", options.socket_path);
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxAnswerBytes);
  args.SetMaxSendMessageSize(kMaxAnswerBytes);
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
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
              << " (is it running, is this the right --socket, and may this user open it?): "
              << status.error_message() << "\n";
  } else {
    std::cerr << "error: " << what << ": " << status.error_message() << "\n";
  }
  return kExitFailure;
}

int ReportUsage(std::string_view message) {
  std::cerr << "error: " << message << "\n";
  return kExitUsage;
}

int ReportUsage(const absl::Status& status) { return ReportUsage(AsStd(status.message())); }

int ReportFailure(std::string_view what, const absl::Status& status) {
  std::cerr << "error: " << what << ": " << status.message() << "\n";
  return kExitFailure;
}

void Print(const ClientOptions& options, const std::string& text, const nlohmann::json& json) {
  Print(options, text, json.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
}

void Print(const ClientOptions& options, const std::string& text, const std::string& json) {
  if (options.output == "json") {
    std::cout << json << "\n";
  } else {
    std::cout << text;
  }
}

}  // namespace sigil::server::cli
