#include <iostream>

#include "absl/strings/str_cat.h"
#include <nlohmann/json.hpp>

#include "admin.grpc.pb.h"
#include "server/cli/client.h"
#include "server/cli/command.h"

namespace sigil::server::cli {

void AddHealthcheckCommand(CLI::App& app, ClientOptions& options, Action* action) {
  CLI::App* cmd = app.add_subcommand("healthcheck", "Check that a running server is ready");
  AddClientFlags(cmd, options);
  cmd->callback([&options, action] {
    *action = [&options] {
      auto stub = sigil::admin::v1::HealthService::NewStub(AdminChannel(options));
      sigil::admin::v1::HealthResponse resp;
      auto ctx = CallContext(absl::Seconds(10));
      grpc::Status status = stub->Check(ctx.get(), {}, &resp);
      if (!status.ok()) {
        return ReportRpcError(options, "healthcheck", status);
      }
      nlohmann::json json = {{"ready", resp.ready()},
                             {"trust_domain", resp.trust_domain()},
                             {"version", resp.version()},
                             {"uptime_seconds", resp.uptime_seconds()}};
      std::string text = resp.ready() ? "Server is healthy.\n"
                                      : absl::StrCat("Server is not ready: ", resp.reason(), "\n");
      if (!resp.ready()) {
        json["reason"] = resp.reason();
      }
      Print(options, text, json.dump());
      return resp.ready() ? kExitOk : kExitFailure;
    };
  });
}

}  // namespace sigil::server::cli
