// sigil-server: the SPIFFE CA and registration authority. `sigil-server run` starts it; the
// other commands administer a running server over its local admin socket.
#include <iostream>

#include "server/cli/command.h"

int main(int argc, char** argv) {
  using namespace sigil::server::cli;
  CLI::App app("sigil-server: SPIFFE CA and registration authority", "sigil-server");
  app.require_subcommand(1);
  app.set_version_flag("--version", SIGIL_VERSION);
  ClientOptions options;
  Action action;
  AddRunCommand(app, &action);
  AddHealthcheckCommand(app, options, &action);
  AddEntryCommands(app, options, &action);
  AddAgentCommands(app, options, &action);
  AddTokenCommands(app, options, &action);
  AddBundleCommands(app, options, &action);
  AddSvidCommands(app, options, &action);
  AddAuthorityCommands(app, options, &action);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }
  return action ? action() : kExitUsage;
}
