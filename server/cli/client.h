// Connecting the CLI to the admin socket and reporting failures the same way everywhere.
#ifndef SIGIL_SERVER_CLI_CLIENT_H_
#define SIGIL_SERVER_CLI_CLIENT_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include <grpcpp/grpcpp.h>
#include <nlohmann/json.hpp>

#include "server/cli/command.h"

namespace sigil::server::cli {

// Adds --socket and --output to a client command.
void AddClientFlags(CLI::App* cmd, ClientOptions& options);

// A channel to the admin socket at `options.socket_path`. It accepts answers as large as the
// server may send (a full batch of entries).
std::shared_ptr<grpc::Channel> AdminChannel(const ClientOptions& options);

// A client context with a deadline, so a stuck server never hangs the CLI.
std::unique_ptr<grpc::ClientContext> CallContext(absl::Duration timeout = absl::Seconds(30));

// Prints "error: <what>: <message>" to stderr (naming the socket when the server is
// unreachable) and returns kExitFailure.
int ReportRpcError(const ClientOptions& options, std::string_view what, const grpc::Status& status);

// Writes `json` (an already serialised JSON document) or `text` to stdout depending on
// options.output.
void Print(const ClientOptions& options, const std::string& text, const std::string& json);
// Same with a JSON document, written indented.
void Print(const ClientOptions& options, const std::string& text, const nlohmann::json& json);

// Prints "error: <message>" to stderr and returns kExitUsage: for a bad argument caught before
// anything was sent.
int ReportUsage(std::string_view message);
int ReportUsage(const absl::Status& status);

// Prints "error: <what>: <message>" to stderr and returns kExitFailure: for a local failure
// after the arguments were accepted (a file that cannot be written, say).
int ReportFailure(std::string_view what, const absl::Status& status);

}  // namespace sigil::server::cli

#endif  // SIGIL_SERVER_CLI_CLIENT_H_
