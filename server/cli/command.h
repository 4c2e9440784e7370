// The sigil-server command line: one file per command group, each adding its subcommands to
// the CLI11 app. Client commands talk to a running server over its admin socket.
#ifndef SIGIL_SERVER_CLI_COMMAND_H_
#define SIGIL_SERVER_CLI_COMMAND_H_

#include <functional>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

namespace sigil::server::cli {

// Exit statuses: 0 success, 1 the server refused or failed the request, 2 bad usage.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// Options every client command takes.
struct ClientOptions {
  std::string socket_path = ".sigil/server/admin.sock";
  // "text" or "json".
  std::string output = "text";
};

// A subcommand registers its action here; main runs the one that was selected.
using Action = std::function<int()>;

void AddRunCommand(CLI::App& app, Action* action);
void AddHealthcheckCommand(CLI::App& app, ClientOptions& options, Action* action);
// entry create|update|show|delete|count
void AddEntryCommands(CLI::App& app, ClientOptions& options, Action* action);
// agent list|show|count|evict|ban
void AddAgentCommands(CLI::App& app, ClientOptions& options, Action* action);
// token generate
void AddTokenCommands(CLI::App& app, ClientOptions& options, Action* action);
// bundle show|list|set|delete
void AddBundleCommands(CLI::App& app, ClientOptions& options, Action* action);
// x509 mint, jwt mint
void AddSvidCommands(CLI::App& app, ClientOptions& options, Action* action);
// authority show|prepare|activate|taint|revoke
void AddAuthorityCommands(CLI::App& app, ClientOptions& options, Action* action);

}  // namespace sigil::server::cli

#endif  // SIGIL_SERVER_CLI_COMMAND_H_
