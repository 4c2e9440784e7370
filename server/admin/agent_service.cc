#include "server/admin/agent_service.h"

#include <string>

#include "absl/strings/str_cat.h"

#include "server/admin/entry_convert.h"
#include "server/admin/entry_rules.h"
#include "server/admin/well_known_ids.h"
#include "sigil/keys.h"
#include "sigil/log.h"
#include "sigil/secret_bytes.h"
#include "sigil/status.h"

namespace sigil::server {
namespace {
constexpr std::string_view kLogComponent = "admin";

namespace v1 = sigil::admin::v1;

absl::StatusOr<SpiffeId> ParseAgentId(const std::string& text) {
  if (text.empty()) {
    return absl::InvalidArgumentError("spiffe_id is required: name the agent by its SPIFFE ID");
  }
  absl::StatusOr<SpiffeId> id = SpiffeId::Parse(text);
  if (!id.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("spiffe_id: ", id.status().message()));
  }
  return id;
}

void AgentToProto(const AttestedNode& node, v1::Agent* proto) {
  proto->set_spiffe_id(node.spiffe_id.str());
  proto->set_attestation_type(node.attestation_type);
  proto->set_serial(node.serial);
  proto->set_expires_at(ToUnixSecondsOrZero(node.expires_at));
  proto->set_banned(node.banned);
  proto->set_can_reattest(node.can_reattest);
  for (const Selector& selector : node.selectors) {
    SelectorToProto(selector, proto->add_selectors());
  }
  proto->set_attested_at(ToUnixSecondsOrZero(node.attested_at));
  proto->set_last_seen_at(ToUnixSecondsOrZero(node.last_seen_at));
  proto->set_last_address(node.last_address);
}

// Runs one agent action and logs it with the caller.
template <typename Fn>
grpc::ServerUnaryReactor* AgentAction(grpc::CallbackServerContext* ctx, const PeerLookup& peers,
                                      std::string_view event, const std::string& agent_id, Fn fn) {
  absl::Status status = fn();
  SIGIL_LOG(kInfo, "admin.agent_action",
            {{"action", event},
             {"caller_uid", CallerUid(peers, *ctx)},
             {"spiffe_id", agent_id},
             {"error", AsStd(status.message())}});
  return FinishCall(ctx, status);
}

}  // namespace

grpc::ServerUnaryReactor* AgentService::ListAgents(grpc::CallbackServerContext* ctx,
                                                   const v1::ListAgentsRequest* request,
                                                   v1::ListAgentsResponse* response) {
  SIGIL_LOG(kDebug, "admin.agent_list", {{"caller_uid", CallerUid(peers_, *ctx)}});
  NodeFilter filter;
  if (request->banned_only()) {
    filter.banned = true;
  }
  absl::StatusOr<Page<AttestedNode>> page = core_.datastore->ListNodes(
      filter, PageRequest{.page_size = request->page_size(), .page_token = request->page_token()});
  if (page.ok()) {
    for (const AttestedNode& node : page->items) {
      AgentToProto(node, response->add_agents());
    }
    response->set_next_page_token(page->next_page_token);
  }
  return FinishCall(ctx, page.status());
}

grpc::ServerUnaryReactor* AgentService::GetAgent(grpc::CallbackServerContext* ctx,
                                                 const v1::AgentIdRequest* request,
                                                 v1::Agent* response) {
  SIGIL_LOG(kDebug, "admin.agent_get",
            {{"caller_uid", CallerUid(peers_, *ctx)}, {"spiffe_id", request->spiffe_id()}});
  absl::StatusOr<SpiffeId> id = ParseAgentId(request->spiffe_id());
  if (!id.ok()) {
    return FinishCall(ctx, id.status());
  }
  absl::StatusOr<AttestedNode> node = core_.datastore->FetchNode(*id);
  if (node.ok()) {
    AgentToProto(*node, response);
  }
  return FinishCall(ctx, node.status());
}

grpc::ServerUnaryReactor* AgentService::CountAgents(grpc::CallbackServerContext* ctx,
                                                    const v1::CountAgentsRequest*,
                                                    v1::CountResponse* response) {
  SIGIL_LOG(kDebug, "admin.agent_count", {{"caller_uid", CallerUid(peers_, *ctx)}});
  absl::StatusOr<int64_t> count = core_.datastore->CountNodes(NodeFilter{});
  if (count.ok()) {
    response->set_count(*count);
  }
  return FinishCall(ctx, count.status());
}

grpc::ServerUnaryReactor* AgentService::EvictAgent(grpc::CallbackServerContext* ctx,
                                                   const v1::AgentIdRequest* request, v1::Empty*) {
  return AgentAction(ctx, peers_, "evict", request->spiffe_id(), [&]() -> absl::Status {
    SIGIL_ASSIGN_OR_RETURN(const SpiffeId id, ParseAgentId(request->spiffe_id()));
    return core_.datastore->EvictNode(id).status();
  });
}

grpc::ServerUnaryReactor* AgentService::BanAgent(grpc::CallbackServerContext* ctx,
                                                 const v1::AgentIdRequest* request, v1::Empty*) {
  return AgentAction(ctx, peers_, "ban", request->spiffe_id(), [&]() -> absl::Status {
    SIGIL_ASSIGN_OR_RETURN(const SpiffeId id, ParseAgentId(request->spiffe_id()));
    return core_.datastore->BanNode(id).status();
  });
}

absl::Status AgentService::CreateToken(const v1::CreateJoinTokenRequest& request,
                                       v1::JoinToken& response) {
  if (request.ttl() < 0) {
    return absl::InvalidArgumentError("ttl is negative");
  }
  const TrustDomain& td = *core_.config.trust_domain;
  const absl::Duration ttl =
      request.ttl() == 0 ? core_.config.join_token_ttl : absl::Seconds(request.ttl());
  const absl::Time now = core_.clock();

  SIGIL_ASSIGN_OR_RETURN(std::string random, RandomBytes(kJoinTokenRandomBytes));
  JoinToken token;
  token.token = SecretBytes::Adopt(HexEncode(random));
  WipeString(random);
  token.expires_at = now + ttl;
  const std::string token_id = JoinTokenId(token.token);
  const SpiffeId agent_id = JoinTokenAgentId(td, token_id);

  // The alias entry is checked with the rules of any entry and written first: it is the step
  // that can be refused (a bad or duplicate ID). Should storing the token then fail, the entry
  // is deleted again, so neither half outlives a failed call.
  std::optional<RegistrationEntry> alias;
  if (!request.spiffe_id().empty()) {
    absl::StatusOr<SpiffeId> alias_id = SpiffeId::Parse(request.spiffe_id());
    if (!alias_id.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("spiffe_id: ", alias_id.status().message()));
    }
    RegistrationEntry entry{.spiffe_id = *alias_id, .parent_id = ServerSpiffeId(td)};
    entry.selectors = {JoinTokenSelector(token_id)};
    entry.description = "node alias for the agent that joins with a join token";
    SIGIL_RETURN_IF_ERROR(ValidateRegistrationEntry(entry));
    SIGIL_RETURN_IF_ERROR(CheckEntryPolicy(
        entry, EntryPolicy{.trust_domain = td, .max_svid_ttl = core_.config.ca_ttl}, now));
    SIGIL_ASSIGN_OR_RETURN(alias, core_.datastore->CreateEntry(std::move(entry)));
    token.alias_id = alias->spiffe_id;
  }
  if (absl::Status stored = core_.datastore->CreateJoinToken(token); !stored.ok()) {
    if (alias.has_value()) {
      (void)core_.datastore->DeleteEntry(alias->entry_id);
    }
    return stored;
  }

  response.set_token(std::string(token.token.view()));
  response.set_expires_at(absl::ToUnixSeconds(token.expires_at));
  response.set_agent_id(agent_id.str());
  if (alias.has_value()) {
    response.set_alias_entry_id(alias->entry_id);
  }
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* AgentService::CreateJoinToken(grpc::CallbackServerContext* ctx,
                                                        const v1::CreateJoinTokenRequest* request,
                                                        v1::JoinToken* response) {
  absl::Status status = CreateToken(*request, *response);
  // The token is a secret: the log names the agent it will make, never the token.
  const std::string expires = std::to_string(response->expires_at());
  SIGIL_LOG(kInfo, status.ok() ? "admin.join_token_created" : "admin.join_token_refused",
            {{"caller_uid", CallerUid(peers_, *ctx)},
             {"agent_id", response->agent_id()},
             {"alias_spiffe_id", request->spiffe_id()},
             {"alias_entry_id", response->alias_entry_id()},
             {"expires_at", expires},
             {"error", AsStd(status.message())}});
  return FinishCall(ctx, status);
}

}  // namespace sigil::server
