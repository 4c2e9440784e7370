// Connecting the CLI to the admin socket and reporting failures the same way everywhere.
#ifndef SIGIL_SERVER_CLI_CLIENT_H_
#define SIGIL_SERVER_CLI_CLIENT_H_

#include <memory>
#include <string>

#include "absl/time/time.h"
#include <grpcpp/grpcpp.h>

#include "server/cli/command.h"

namespace sigil::server::cli {

// A channel to the admin socket at `options.socket_path`.
std::shared_ptr<grpc::Channel> AdminChannel(const ClientOptions& options);

// A client context with a deadline, so a stuck server never hangs the CLI.
std::unique_ptr<grpc::ClientContext> CallContext(absl::Duration timeout = absl::Seconds(30));

// Prints "error: <what>: <message>" to stderr (naming the socket when the server is
// unreachable) and returns kExitFailure.
int ReportRpcError(const ClientOptions& options, std::string_view what, const grpc::Status& status);

// Writes `json` (an already serialised JSON document) or `text` to stdout depending on
// options.output.
void Print(const ClientOptions& options, const std::string& text, const std::string& json);

}  // namespace sigil::server::cli

#endif  // SIGIL_SERVER_CLI_CLIENT_H_
