// sigil-server agent list|show|count|evict|ban, and token generate.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include <nlohmann/json.hpp>

#include "admin.grpc.pb.h"
#include "server/cli/client.h"
#include "server/cli/command.h"
#include "server/cli/flags.h"
#include "server/cli/print.h"

namespace sigil::server::cli {
namespace {

namespace v1 = sigil::admin::v1;

constexpr int kListPageSize = 1000;

int List(const ClientOptions& options, bool banned_only) {
  auto stub = v1::AgentService::NewStub(AdminChannel(options));
  v1::ListAgentsRequest request;
  request.set_banned_only(banned_only);
  request.set_page_size(kListPageSize);
  std::string text;
  nlohmann::json agents = nlohmann::json::array();
  do {
    v1::ListAgentsResponse page;
    grpc::Status status = stub->ListAgents(CallContext().get(), request, &page);
    if (!status.ok()) {
      return ReportRpcError(options, "agent list", status);
    }
    for (const v1::Agent& agent : page.agents()) {
      absl::StrAppend(&text, "\n", AgentText(agent));
      agents.push_back(AgentToJson(agent));
    }
    request.set_page_token(page.next_page_token());
  } while (!request.page_token().empty());
  const std::string header = agents.size() == 1
                                 ? "Found 1 attested agent\n"
                                 : absl::StrCat("Found ", agents.size(), " attested agents\n");
  Print(options, header + text, nlohmann::json{{"agents", std::move(agents)}});
  return kExitOk;
}

int Show(const ClientOptions& options, const std::string& spiffe_id) {
  auto stub = v1::AgentService::NewStub(AdminChannel(options));
  v1::AgentIdRequest request;
  request.set_spiffe_id(spiffe_id);
  v1::Agent agent;
  grpc::Status status = stub->GetAgent(CallContext().get(), request, &agent);
  if (!status.ok()) {
    return ReportRpcError(options, "agent show", status);
  }
  Print(options, AgentText(agent), AgentToJson(agent));
  return kExitOk;
}

int Count(const ClientOptions& options) {
  auto stub = v1::AgentService::NewStub(AdminChannel(options));
  v1::CountResponse response;
  grpc::Status status = stub->CountAgents(CallContext().get(), {}, &response);
  if (!status.ok()) {
    return ReportRpcError(options, "agent count", status);
  }
  Print(options,
        absl::StrCat(response.count(),
                     response.count() == 1 ? " attested agent\n" : " attested agents\n"),
        nlohmann::json{{"count", response.count()}});
  return kExitOk;
}

int Evict(const ClientOptions& options, const std::string& spiffe_id, bool ban) {
  auto stub = v1::AgentService::NewStub(AdminChannel(options));
  v1::AgentIdRequest request;
  request.set_spiffe_id(spiffe_id);
  v1::Empty empty;
  grpc::Status status = ban ? stub->BanAgent(CallContext().get(), request, &empty)
                            : stub->EvictAgent(CallContext().get(), request, &empty);
  if (!status.ok()) {
    return ReportRpcError(options, ban ? "agent ban" : "agent evict", status);
  }
  Print(options,
        absl::StrCat(ban ? "Agent banned: " : "Agent evicted: ", Printable(spiffe_id), "\n"),
        nlohmann::json{{"spiffe_id", spiffe_id}, {ban ? "banned" : "evicted", true}});
  return kExitOk;
}

struct TokenFlags {
  std::string spiffe_id;
  std::string ttl;
};

int GenerateToken(const ClientOptions& options, const TokenFlags& flags) {
  v1::CreateJoinTokenRequest request;
  request.set_spiffe_id(flags.spiffe_id);
  if (!flags.ttl.empty()) {
    absl::StatusOr<int64_t> ttl = ParseDurationSeconds("--ttl", flags.ttl);
    if (!ttl.ok()) {
      return ReportUsage(ttl.status());
    }
    if (*ttl == 0) {
      return ReportUsage("--ttl: a join token needs a lifetime above zero");
    }
    request.set_ttl(*ttl);
  }
  auto stub = v1::AgentService::NewStub(AdminChannel(options));
  v1::JoinToken token;
  grpc::Status status = stub->CreateJoinToken(CallContext().get(), request, &token);
  if (!status.ok()) {
    return ReportRpcError(options, "token generate", status);
  }
  std::string text = absl::StrCat("Token: ", token.token(), "\n");
  absl::StrAppend(&text, "Agent ID: ", token.agent_id(), "\n");
  absl::StrAppend(&text, "Expires at: ", TimeText(token.expires_at()), "\n");
  nlohmann::json json = {
      {"token", token.token()}, {"expires_at", token.expires_at()}, {"agent_id", token.agent_id()}};
  if (!token.alias_entry_id().empty()) {
    absl::StrAppend(&text, "Node alias entry: ", token.alias_entry_id(), " (",
                    Printable(flags.spiffe_id), ")\n");
    json["alias_entry_id"] = token.alias_entry_id();
    json["spiffe_id"] = flags.spiffe_id;
  }
  Print(options, text, json);
  return kExitOk;
}

}  // namespace

void AddAgentCommands(CLI::App& app, ClientOptions& options, Action* action) {
  CLI::App* agent = app.add_subcommand("agent", "Manage attested agents");
  agent->require_subcommand(1);

  auto banned_only = std::make_shared<bool>(false);
  CLI::App* list = agent->add_subcommand("list", "List attested agents");
  AddClientFlags(list, options);
  list->add_flag("--banned", *banned_only, "Only banned agents");
  list->callback([&options, banned_only, action] {
    *action = [&options, banned_only] { return List(options, *banned_only); };
  });

  CLI::App* count = agent->add_subcommand("count", "Count attested agents");
  AddClientFlags(count, options);
  count->callback([&options, action] { *action = [&options] { return Count(options); }; });

  struct Verb {
    const char* name;
    const char* help;
  };
  for (const Verb& verb : {Verb{"show", "Show one attested agent"},
                           Verb{"evict", "Delete an agent's attestation: it must attest again"},
                           Verb{"ban", "Refuse an agent until it is evicted"}}) {
    auto spiffe_id = std::make_shared<std::string>();
    CLI::App* cmd = agent->add_subcommand(verb.name, verb.help);
    AddClientFlags(cmd, options);
    cmd->add_option("--spiffe-id", *spiffe_id, "The agent's SPIFFE ID")->required();
    const std::string name = verb.name;
    cmd->callback([&options, spiffe_id, action, name] {
      *action = [&options, spiffe_id, name] {
        return name == "show" ? Show(options, *spiffe_id)
                              : Evict(options, *spiffe_id, name == "ban");
      };
    });
  }
}

void AddTokenCommands(CLI::App& app, ClientOptions& options, Action* action) {
  CLI::App* token = app.add_subcommand("token", "Manage join tokens");
  token->require_subcommand(1);
  auto flags = std::make_shared<TokenFlags>();
  CLI::App* generate = token->add_subcommand("generate", "Make a single-use join token");
  AddClientFlags(generate, options);
  generate->add_option("--spiffe-id", flags->spiffe_id,
                       "Also make a node alias with this ID for the agent that joins");
  generate->add_option("--ttl", flags->ttl, "Lifetime: 10m, 1h or seconds (default: server's)");
  generate->callback([&options, flags, action] {
    *action = [&options, flags] { return GenerateToken(options, *flags); };
  });
}

}  // namespace sigil::server::cli
