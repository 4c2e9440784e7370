// sigil: a command-line tool for people who handle SPIFFE material. It validates SPIFFE IDs,
// inspects and verifies X509-SVIDs and JWT-SVIDs, and converts trust bundles between formats.
// See docs/cli-sigil.md for every command, flag and exit status.
#include <cctype>
#include <exception>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include <CLI/CLI.hpp>

#include "command.h"
#include "output.h"

namespace sigil::cli {
namespace {

constexpr std::string_view kVersion = "sigil 0.1.0";

// True for an argument shaped like a compact JWS (three base64url segments): CLI11 quotes
// arguments it did not expect, and a token pasted in the wrong place must not be echoed.
bool LooksLikeToken(std::string_view arg) {
  constexpr size_t kMinTokenLength = 16;
  if (arg.size() < kMinTokenLength) {
    return false;
  }
  int dots = 0;
  for (const char c : arg) {
    if (c == '.') {
      ++dots;
    } else if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '=')) {
      return false;
    }
  }
  return dots == 2;
}

std::string RedactTokens(std::string message, int argc, char** argv) {
  // Whole tokens first: tokens from one issuer share their header segment, and replacing that
  // first would leave the rest of a second token unmatched as a whole.
  for (int i = 1; i < argc; ++i) {
    if (LooksLikeToken(argv[i])) {
      absl::StrReplaceAll({{argv[i], "[redacted]"}}, &message);
    }
  }
  for (int i = 1; i < argc; ++i) {
    if (LooksLikeToken(argv[i])) {
      message = Redact(message, argv[i]);
    }
  }
  return message;
}

int Run(int argc, char** argv) {
  CLI::App app("Inspect and check SPIFFE IDs, X509-SVIDs, JWT-SVIDs and trust bundles.", "sigil");
  app.require_subcommand(1);
  // Lets --output follow the command: `sigil id check --output json ...`.
  app.fallthrough();
  app.set_version_flag("--version", std::string(kVersion));
  std::string output = "text";
  app.add_option("-o,--output", output, "Output format: text (default) or json")
      ->check(CLI::IsMember({"text", "json"}));

  Action action;
  AddIdCommands(app, &action);
  AddX509Commands(app, &action);
  AddJwtCommands(app, &action);
  AddBundleCommands(app, &action);

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);  // --help or --version
  } catch (const CLI::ParseError& e) {
    std::cerr << "sigil: " << RedactTokens(e.what(), argc, argv)
              << "\nRun 'sigil --help' for usage.\n";
    return kExitUsage;
  }

  const Context ctx{
      .format = output == "json" ? OutputFormat::kJson : OutputFormat::kText,
      .now = absl::Now(),
      .out = std::cout,
      .err = std::cerr,
  };
  const int status = action(ctx);
  std::cout.flush();
  return status;
}

}  // namespace
}  // namespace sigil::cli

int main(int argc, char** argv) {
  try {
    return sigil::cli::Run(argc, argv);
  } catch (const std::exception& e) {
    // Exception texts come from the standard library, CLI11 or nlohmann-json, none of which
    // is ever handed a token, so what() is safe to show.
    std::cerr << "sigil: internal error: " << e.what() << "\n";
    return sigil::cli::kExitInternal;
  }
}
