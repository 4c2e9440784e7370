// What every `sigil` command group shares: exit statuses, the run-time context a command gets
// once the command line has parsed, and the registration functions of the command groups.
//
// Parsing and running are kept apart: CLI11 only records which command was chosen (as an
// Action); main() runs it afterwards, so a command's failure is an exit status and never a
// CLI11 parse error.
#ifndef SIGIL_TOOLS_SIGIL_COMMAND_H_
#define SIGIL_TOOLS_SIGIL_COMMAND_H_

#include <functional>
#include <iosfwd>

#include "absl/time/time.h"
#include <CLI/CLI.hpp>

namespace sigil::cli {

// Exit statuses, the same for every command (docs/cli-sigil.md).
inline constexpr int kExitOk = 0;        // everything checked is valid
inline constexpr int kExitInvalid = 1;   // what was checked is invalid; the reason is on stderr
inline constexpr int kExitUsage = 2;     // bad flags, unreadable files, malformed trust input
inline constexpr int kExitInternal = 3;  // a bug: an unexpected exception reached main()

enum class OutputFormat { kText, kJson };

struct Context {
  OutputFormat format = OutputFormat::kText;
  // The time every check is made at: the clock when sigil started, or a command's --at.
  absl::Time now;
  std::ostream& out;
  std::ostream& err;
};

// The chosen command, bound to its parsed options. Returns the exit status.
using Action = std::function<int(const Context&)>;

// Each adds one command group to `sigil` and, when one of its commands is parsed, stores the
// command in `*action` (which must outlive parsing).
void AddIdCommands(CLI::App& sigil, Action* action);
void AddX509Commands(CLI::App& sigil, Action* action);
void AddJwtCommands(CLI::App& sigil, Action* action);
void AddBundleCommands(CLI::App& sigil, Action* action);

}  // namespace sigil::cli

#endif  // SIGIL_TOOLS_SIGIL_COMMAND_H_
