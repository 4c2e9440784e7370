#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include <grpcpp/grpcpp.h>
#include <nlohmann/json.hpp>

#include "agent/cli/command.h"
#include "agent/config/agent_config.h"
#include "agent_admin.grpc.pb.h"

namespace sigil::agent::cli {
namespace {

struct HealthFlags {
  std::string socket_path = std::string(kDefaultAgentDataDir) + "/admin.sock";
  std::string output = "text";
};

int Healthcheck(const HealthFlags& flags) {
  auto channel =
      grpc::CreateChannel("unix:" + flags.socket_path, grpc::InsecureChannelCredentials());
  auto stub = sigil::agent::admin::v1::AgentAdmin::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  sigil::agent::admin::v1::HealthResponse response;
  grpc::Status status = stub->Health(&context, {}, &response);
  if (!status.ok()) {
    std::cerr << "error: healthcheck: " << status.error_message();
    if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
      std::cerr << " (is sigil-agent running with admin socket " << flags.socket_path << "?)";
    }
    std::cerr << "\n";
    return kExitFailure;
  }
  if (flags.output == "json") {
    nlohmann::json json = {{"ready", response.ready()},
                           {"agent_id", response.agent_id()},
                           {"agent_svid_expires_at", response.agent_svid_expires_at()},
                           {"connected", response.connected()},
                           {"last_revision", response.last_revision()},
                           {"entries", response.entries()},
                           {"x509_svids", response.x509_svids()},
                           {"version", response.version()},
                           {"uptime_seconds", response.uptime_seconds()}};
    if (!response.ready()) {
      json["reason"] = response.reason();
    }
    std::cout << json.dump() << "\n";
  } else if (response.ready()) {
    std::cout << "Agent is healthy.\n";
  } else {
    std::cout << "Agent is not ready: " << response.reason() << "\n";
  }
  return response.ready() ? kExitOk : kExitFailure;
}

}  // namespace

void AddHealthcheckCommand(CLI::App& app, Action* action) {
  auto flags = std::make_shared<HealthFlags>();
  CLI::App* cmd = app.add_subcommand("healthcheck", "Check that a running agent is ready");
  cmd->add_option("--socket", flags->socket_path, "Admin socket of the agent")
      ->capture_default_str();
  cmd->add_option("--output", flags->output, "text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  cmd->callback([flags, action] { *action = [flags] { return Healthcheck(*flags); }; });
}

}  // namespace sigil::agent::cli
