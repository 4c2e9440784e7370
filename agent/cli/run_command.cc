#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <iostream>
#include <memory>

#include "absl/strings/str_cat.h"

#include "agent/app/agent.h"
#include "agent/cli/command.h"
#include "common/config/toml_reader.h"
#include "sigil/log.h"
#include "sigil/status.h"

namespace sigil::agent::cli {
namespace {

struct RunFlags {
  std::string config_file;
  std::string server_address;
  std::string trust_domain;
  std::string join_token;
  std::string data_dir;
  std::string trust_bundle;
  std::string trust_bundle_format;
  std::string socket_path;
  std::string admin_socket_path;
  std::string log_level;
  std::string node_attestor;
  bool insecure_bootstrap = false;
};

absl::StatusOr<AgentConfig> LoadConfig(RunFlags& flags) {
  config::TomlReader reader = config::TomlReader::Empty();
  if (!flags.config_file.empty()) {
    SIGIL_ASSIGN_OR_RETURN(reader, config::TomlReader::ParseFile(flags.config_file));
  }
  SIGIL_ASSIGN_OR_RETURN(AgentConfig config, ReadAgentConfig(reader));
  // Flags override the file's keys.
  if (!flags.trust_domain.empty()) {
    absl::StatusOr<TrustDomain> td = TrustDomain::FromString(flags.trust_domain);
    if (!td.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--trust-domain: ", td.status().message()));
    }
    config.trust_domain = *td;
  }
  for (auto [flag, key] : {std::pair{&flags.server_address, &config.server_address},
                           {&flags.data_dir, &config.data_dir},
                           {&flags.trust_bundle, &config.trust_bundle_path},
                           {&flags.socket_path, &config.socket_path},
                           {&flags.admin_socket_path, &config.admin_socket_path},
                           {&flags.node_attestor, &config.node_attestor.type}}) {
    if (!flag->empty()) {
      *key = *flag;
    }
  }
  if (!flags.join_token.empty()) {
    config.node_attestor.join_token = SecretBytes::Adopt(std::move(flags.join_token));
  }
  if (!flags.trust_bundle_format.empty()) {
    absl::StatusOr<BundleFormat> format = ParseBundleFormat(flags.trust_bundle_format);
    if (!format.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--trust-bundle-format: ", format.status().message()));
    }
    config.trust_bundle_format = *format;
  }
  if (flags.insecure_bootstrap) {
    config.insecure_bootstrap = true;
  }
  if (!flags.log_level.empty() && !ParseLogLevel(flags.log_level, &config.log_level)) {
    return absl::InvalidArgumentError("--log-level: expected debug, info, warn, error or off");
  }
  SIGIL_RETURN_IF_ERROR(FinishAgentConfig(config));
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

int Run(RunFlags& flags) {
  absl::StatusOr<AgentConfig> config = LoadConfig(flags);
  if (!config.ok()) {
    std::cerr << "error: " << config.status().message() << "\n";
    return kExitUsage;
  }
  InstallLogSink(MakeStderrSink(config->log_json), config->log_level);
  const sigset_t stop_signals = BlockStopSignals();

  // Set by the agent when the server refuses it for good; the signal wakes sigwait below.
  static std::atomic<bool> fatal{false};
  absl::StatusOr<std::unique_ptr<Agent>> agent =
      Agent::Start(*std::move(config), [](const absl::Status&) {
        fatal = true;
        kill(getpid(), SIGTERM);
      });
  if (!agent.ok()) {
    std::cerr << "error: starting sigil-agent: " << agent.status().message() << "\n";
    return kExitFailure;
  }
  int signal = 0;
  sigwait(&stop_signals, &signal);
  (*agent)->Shutdown();
  return fatal ? kExitFailure : kExitOk;
}

}  // namespace

void AddRunCommand(CLI::App& app, Action* action) {
  auto flags = std::make_shared<RunFlags>();
  CLI::App* cmd = app.add_subcommand("run", "Run the agent");
  cmd->add_option("--config", flags->config_file, "TOML configuration file");
  cmd->add_option("--server-address", flags->server_address,
                  "Node API of sigil-server, HOST:PORT (agent.server_address)");
  cmd->add_option("--trust-domain", flags->trust_domain, "Trust domain (agent.trust_domain)");
  cmd->add_option("--join-token", flags->join_token,
                  "Single-use join token from `sigil-server token generate` (agent.join_token)");
  cmd->add_option("--data-dir", flags->data_dir, "Data directory (agent.data_dir)");
  cmd->add_option("--trust-bundle", flags->trust_bundle,
                  "Bootstrap trust bundle file (agent.trust_bundle_path)");
  cmd->add_option("--trust-bundle-format", flags->trust_bundle_format,
                  "pem or spiffe (agent.trust_bundle_format)");
  cmd->add_option("--socket-path", flags->socket_path, "Workload API socket (agent.socket_path)");
  cmd->add_option("--admin-socket-path", flags->admin_socket_path,
                  "Admin socket (agent.admin_socket_path)");
  cmd->add_option("--node-attestor", flags->node_attestor,
                  "join_token or x509pop (node_attestor.type)");
  cmd->add_flag("--insecure-bootstrap", flags->insecure_bootstrap,
                "Attest the first time without verifying the server (trials only)");
  cmd->add_option("--log-level", flags->log_level, "debug, info, warn, error (agent.log_level)");
  cmd->callback([flags, action] { *action = [flags] { return Run(*flags); }; });
}

}  // namespace sigil::agent::cli
