// The sigil-agent command line: one file per command group, each adding its subcommands to the
// CLI11 app. `run` is the agent itself; `api ...` are Workload API clients, as a workload
// would call the agent; `healthcheck` asks a running agent over its admin socket.
#ifndef SIGIL_AGENT_CLI_COMMAND_H_
#define SIGIL_AGENT_CLI_COMMAND_H_

#include <functional>

#include <CLI/CLI.hpp>

namespace sigil::agent::cli {

// Exit statuses: 0 success, 1 the agent refused or failed the request (or the check failed),
// 2 bad usage.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// A subcommand registers its action here; main runs the one that was selected.
using Action = std::function<int()>;

void AddRunCommand(CLI::App& app, Action* action);
void AddApiCommands(CLI::App& app, Action* action);
void AddHealthcheckCommand(CLI::App& app, Action* action);

}  // namespace sigil::agent::cli

#endif  // SIGIL_AGENT_CLI_COMMAND_H_
