// sigil-agent: the SPIFFE node agent. `sigil-agent run` starts it; `api` commands call its
// Workload API as a workload would; `healthcheck` asks a running agent whether it is ready.
#include "agent/cli/command.h"

int main(int argc, char** argv) {
  using namespace sigil::agent::cli;
  CLI::App app("sigil-agent: SPIFFE node agent and Workload API", "sigil-agent");
  app.require_subcommand(1);
  app.set_version_flag("--version", SIGIL_VERSION);
  Action action;
  AddRunCommand(app, &action);
  AddApiCommands(app, &action);
  AddHealthcheckCommand(app, &action);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }
  return action ? action() : kExitUsage;
}
