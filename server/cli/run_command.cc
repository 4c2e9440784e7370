#include <signal.h>

#include <iostream>
#include <memory>

#include "absl/strings/str_cat.h"

#include "server/app/server.h"
#include "server/cli/command.h"
#include "sigil/log.h"

namespace sigil::server::cli {
namespace {

struct RunFlags {
  std::string config_file;
  std::string trust_domain;
  std::string data_dir;
  std::string bind_address;
  std::string socket_path;
  std::string log_level;
  bool expect_run = false;
};

absl::StatusOr<ServerConfig> LoadConfig(const RunFlags& flags) {
  config::TomlReader reader = config::TomlReader::Empty();
  if (!flags.config_file.empty()) {
    absl::StatusOr<config::TomlReader> parsed = config::TomlReader::ParseFile(flags.config_file);
    if (!parsed.ok()) {
      return parsed.status();
    }
    reader = *std::move(parsed);
  }
  absl::StatusOr<ServerConfig> config = ReadServerConfig(reader);
  if (!config.ok()) {
    return config.status();
  }
  // Flags override the file's keys.
  if (!flags.trust_domain.empty()) {
    absl::StatusOr<TrustDomain> td = TrustDomain::FromString(flags.trust_domain);
    if (!td.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--trust-domain: ", td.status().message()));
    }
    config->trust_domain = *td;
  }
  if (!flags.data_dir.empty()) {
    config->data_dir = flags.data_dir;
  }
  if (!flags.bind_address.empty()) {
    config->bind_address = flags.bind_address;
  }
  if (!flags.socket_path.empty()) {
    config->admin_socket_path = flags.socket_path;
  }
  if (!flags.log_level.empty() && !ParseLogLevel(flags.log_level, &config->log_level)) {
    return absl::InvalidArgumentError("--log-level: expected debug, info, warn, error or off");
  }
  if (absl::Status s = FinishServerConfig(*config); !s.ok()) {
    return s;
  }
  return config;
}

// Blocks SIGTERM and SIGINT in this thread (and every thread started after), so that the main
// thread alone receives them through sigwait and shuts down in order.
sigset_t BlockStopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

int Run(const RunFlags& flags) {
  absl::StatusOr<ServerConfig> config = LoadConfig(flags);
  if (!config.ok()) {
    std::cerr << "error: " << config.status().message() << "\n";
    return kExitUsage;
  }
  InstallLogSink(MakeStderrSink(config->log_json), config->log_level);
  const sigset_t stop_signals = BlockStopSignals();

  absl::StatusOr<std::unique_ptr<Server>> server = Server::Start(*std::move(config));
  if (!server.ok()) {
    std::cerr << "error: starting sigil-server: " << server.status().message() << "\n";
    return kExitFailure;
  }
  int signal = 0;
  sigwait(&stop_signals, &signal);
  (*server)->Shutdown();
  return kExitOk;
}

}  // namespace

void AddRunCommand(CLI::App& app, Action* action) {
  auto flags = std::make_shared<RunFlags>();
  CLI::App* cmd = app.add_subcommand("run", "Run the server");
  cmd->add_option("--config", flags->config_file, "TOML configuration file");
  cmd->add_option("--trust-domain", flags->trust_domain, "Trust domain (server.trust_domain)");
  cmd->add_option("--data-dir", flags->data_dir, "Data directory (server.data_dir)");
  cmd->add_option("--bind-address", flags->bind_address,
                  "Node API address HOST:PORT (server.bind_address)");
  cmd->add_option("--socket-path", flags->socket_path,
                  "Admin socket path (server.admin_socket_path)");
  cmd->add_option("--log-level", flags->log_level, "debug, info, warn, error (server.log_level)");
  cmd->callback([flags, action] { *action = [flags] { return Run(*flags); }; });
}

}  // namespace sigil::server::cli
