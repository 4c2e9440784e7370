#include "server/nodeapi/node_service.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

#include "server/nodeapi/node_call.h"
#include "server/nodeapi/public_key_check.h"
#include "server/nodeapi/sync_stream.h"
#include "sigil/jwt_svid.h"
#include "sigil/keys.h"
#include "sigil/log.h"
#include "sigil/status.h"

namespace sigil::server {
namespace {
constexpr std::string_view kLogComponent = "nodeapi";

namespace nodev1 = ::sigil::node::v1;
using nodeapi_internal::FinishUnary;

std::map<std::string, std::unique_ptr<attestors::NodeAttestor>, std::less<>> ByType(
    std::vector<std::unique_ptr<attestors::NodeAttestor>> attestors) {
  std::map<std::string, std::unique_ptr<attestors::NodeAttestor>, std::less<>> out;
  for (auto& attestor : attestors) {
    std::string type(attestor->type());
    out.emplace(std::move(type), std::move(attestor));
  }
  return out;
}

// Per-item refusals say the same for an unknown entry and a foreign one, so an agent cannot
// probe which entry ids exist.
constexpr std::string_view kNotAuthorized = " does not exist or is not authorized for this agent";

absl::Status EntryUsable(const absl::StatusOr<std::shared_ptr<const RegistryEntry>>& entry,
                         std::string_view entry_id, absl::Time now) {
  if (!entry.ok()) {
    return absl::PermissionDeniedError(
        absl::StrCat("entry ", AsAbsl(entry_id), AsAbsl(kNotAuthorized)));
  }
  const RegistrationEntry& e = (*entry)->entry;
  if (e.expires_at.has_value() && *e.expires_at <= now) {
    return absl::PermissionDeniedError(absl::StrCat("entry ", AsAbsl(entry_id), " has expired"));
  }
  return absl::OkStatus();
}

absl::Status CheckAudiences(const google::protobuf::RepeatedPtrField<std::string>& audiences) {
  if (audiences.empty()) {
    return absl::InvalidArgumentError("audience: at least one is required");
  }
  if (static_cast<size_t>(audiences.size()) > kMaxAudiences) {
    return absl::InvalidArgumentError(
        absl::StrCat("audience: ", audiences.size(), " given, at most ", kMaxAudiences));
  }
  for (int i = 0; i < audiences.size(); ++i) {
    if (audiences[i].empty() || audiences[i].size() > kMaxAudienceLength) {
      return absl::InvalidArgumentError(
          absl::StrCat("audience[", i, "]: 1 to ", kMaxAudienceLength, " bytes are allowed"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::string PeerAddress(const grpc::ServerContextBase& ctx) {
  std::string peer = ctx.peer();
  // "ipv4:10.0.0.1:5555", "ipv6:[::1]:5555": the port changes with every connection.
  const size_t colon = peer.rfind(':');
  const size_t scheme = peer.find(':');
  if (colon != std::string::npos && colon != scheme) {
    peer.resize(colon);
  }
  return peer;
}

NodeService::NodeService(NodeServiceOptions options, CaManager& ca, DataStore& datastore,
                         Registry& registry,
                         std::vector<std::unique_ptr<attestors::NodeAttestor>> attestors)
    : options_(std::move(options)),
      ca_(ca),
      datastore_(datastore),
      registry_(registry),
      attestors_(ByType(std::move(attestors))),
      auth_(
          options_.trust_domain, [&ca] { return ca.Bundle(); }, registry, datastore),
      attest_limiter_(options_.attest_rate_limit, options_.attest_burst),
      sign_limiter_(options_.sign_rate_limit, options_.sign_burst),
      ledger_(datastore, options_.ledger),
      resume_cache_(options_.resume_cache_agents) {
  dispatcher_ = std::thread([this] { DispatchLoop(); });
}

NodeService::~NodeService() {
  StopStreams();
  {
    absl::MutexLock lock(&dispatch_mu_);
    dispatch_stop_ = true;
  }
  dispatcher_.join();
}

const attestors::NodeAttestor* NodeService::FindAttestor(std::string_view type) const {
  auto it = attestors_.find(type);
  return it == attestors_.end() ? nullptr : it->second.get();
}

absl::StatusOr<AuthenticatedAgent> NodeService::Authenticate(
    const grpc::CallbackServerContext& ctx) {
  const absl::Time now = options_.clock();
  SIGIL_ASSIGN_OR_RETURN(AuthenticatedAgent agent, auth_.Authenticate(ctx, now));
  ledger_.RecordSeen(agent.id, now, PeerAddress(ctx));
  return agent;
}

// --- Agent SVIDs --------------------------------------------------------------------------

absl::StatusOr<nodev1::AgentSvid> NodeService::SignAgentSvid(const SpiffeId& agent_id,
                                                             std::string_view public_key) {
  SIGIL_ASSIGN_OR_RETURN(
      IssuedX509Svid issued,
      ca_.SignX509Svid(X509SvidParams{.spiffe_id = agent_id, .ttl = options_.agent_svid_ttl},
                       public_key));
  nodev1::AgentSvid svid;
  svid.set_spiffe_id(agent_id.str());
  svid.set_expires_at(absl::ToUnixSeconds(issued.leaf.not_after));
  ledger_.Append({IssuanceRecord{.issued_at = options_.clock(),
                                 .kind = SvidKind::kX509,
                                 .spiffe_id = agent_id,
                                 .agent_id = agent_id,
                                 .serial = issued.leaf.serial_hex,
                                 .key_fingerprint = HexEncode(Sha256(public_key)),
                                 .expires_at = issued.leaf.not_after}});
  svid.add_cert_chain(std::move(issued.leaf.der));
  for (const Certificate& intermediate : issued.intermediates) {
    svid.add_cert_chain(intermediate.der());
  }
  return svid;
}

absl::StatusOr<nodev1::AttestResult> NodeService::CompleteAttestation(
    const attestors::NodeAttestationResult& result, std::string_view attestor_type,
    std::string_view public_key, std::string_view peer_address) {
  const SpiffeId& agent_id = result.agent_id;
  absl::StatusOr<AttestedNode> existing = datastore_.FetchNode(agent_id);
  if (existing.ok() && existing->banned) {
    return absl::PermissionDeniedError(absl::StrCat("agent ", agent_id.str(), " is banned"));
  }
  if (existing.ok() && !result.can_reattest) {
    return absl::PermissionDeniedError(absl::StrCat(
        "agent ", agent_id.str(), " is already attested and its attestor does not allow again"));
  }
  if (!existing.ok() && existing.status().code() != absl::StatusCode::kNotFound) {
    return existing.status();
  }

  SIGIL_ASSIGN_OR_RETURN(nodev1::AgentSvid svid, SignAgentSvid(agent_id, public_key));
  SIGIL_ASSIGN_OR_RETURN(Certificate leaf, Certificate::FromDer(svid.cert_chain(0)));
  const absl::Time now = options_.clock();
  AttestedNode node{.spiffe_id = agent_id,
                    .attestation_type = std::string(attestor_type),
                    .serial = leaf.SerialHex(),
                    .expires_at = leaf.not_after(),
                    .can_reattest = result.can_reattest,
                    .attested_at = now,
                    .last_seen_at = now,
                    .last_address = std::string(peer_address.substr(0, kMaxAddressLength))};
  for (const attestors::Selector& s : result.selectors) {
    node.selectors.push_back(Selector{s.type, s.value});
  }
  absl::StatusOr<AttestedNode> stored =
      existing.ok() ? datastore_.UpdateNode(node) : datastore_.CreateNode(node);
  if (!stored.ok()) {
    return stored.status();
  }
  if (stored->banned) {
    // Banned between our check and the write: UpdateNode keeps the ban, and so do we.
    return absl::PermissionDeniedError(absl::StrCat("agent ", agent_id.str(), " is banned"));
  }
  if (absl::Status refreshed = registry_.Refresh(); !refreshed.ok()) {
    SIGIL_LOG(kWarn, "nodeapi.registry_refresh_failed",
              {{"error", std::string(refreshed.message())}});
  }

  nodev1::AttestResult out;
  *out.mutable_svid() = std::move(svid);
  for (const Selector& s : stored->selectors) {
    nodev1::Selector* selector = out.add_node_selectors();
    selector->set_type(s.type);
    selector->set_value(s.value);
  }
  SIGIL_ASSIGN_OR_RETURN(std::string bundle, EncodeSpiffeBundle(*ca_.Bundle()));
  out.set_bundle(std::move(bundle));
  SIGIL_LOG(kInfo, "nodeapi.agent_attested",
            {{"agent_id", agent_id.str()},
             {"attestor", attestor_type},
             {"serial", node.serial},
             {"address", peer_address},
             {"reattested", existing.ok() ? "true" : "false"}});
  return out;
}

// --- RenewAgent ---------------------------------------------------------------------------

absl::Status NodeService::Renew(const AuthenticatedAgent& agent, std::string_view public_key,
                                nodev1::RenewAgentResponse* response) {
  SIGIL_RETURN_IF_ERROR(CheckSubjectPublicKey(public_key));
  SIGIL_ASSIGN_OR_RETURN(nodev1::AgentSvid svid, SignAgentSvid(agent.id, public_key));
  SIGIL_ASSIGN_OR_RETURN(Certificate leaf, Certificate::FromDer(svid.cert_chain(0)));

  // The current serial stays valid until the agent first uses the new one (PeerAuthenticator
  // then promotes it), so a lost answer does not lock the agent out.
  AttestedNode node = *agent.node;
  node.new_serial = leaf.SerialHex();
  node.new_expires_at = leaf.not_after();
  // The registry's copy does not follow last-seen updates (they append no event).
  node.last_seen_at = options_.clock();
  SIGIL_RETURN_IF_ERROR(datastore_.UpdateNode(node).status());
  if (absl::Status refreshed = registry_.Refresh(); !refreshed.ok()) {
    SIGIL_LOG(kWarn, "nodeapi.registry_refresh_failed",
              {{"error", std::string(refreshed.message())}});
  }
  SIGIL_LOG(kInfo, "nodeapi.agent_renewed",
            {{"agent_id", agent.id.str()}, {"new_serial", node.new_serial}});
  *response->mutable_svid() = std::move(svid);
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* NodeService::RenewAgent(grpc::CallbackServerContext* ctx,
                                                  const nodev1::RenewAgentRequest* request,
                                                  nodev1::RenewAgentResponse* response) {
  absl::StatusOr<AuthenticatedAgent> agent = Authenticate(*ctx);
  if (!agent.ok()) {
    return FinishUnary(ctx, agent.status());
  }
  if (!sign_limiter_.Allow(agent->id.str(), 1, options_.clock())) {
    return FinishUnary(ctx, absl::ResourceExhaustedError("signing rate limit reached"));
  }
  return FinishUnary(ctx, Renew(*agent, request->public_key(), response));
}

// --- Signing ------------------------------------------------------------------------------

void NodeService::SignX509Batch(const AuthenticatedAgent& agent,
                                const nodev1::SignX509SvidsRequest& request,
                                nodev1::SignX509SvidsResponse* response) {
  const absl::Time now = options_.clock();
  std::vector<std::string_view> ids;
  ids.reserve(request.requests_size());
  for (const nodev1::X509SvidRequest& item : request.requests()) {
    ids.push_back(item.entry_id());
  }
  const std::vector<absl::StatusOr<std::shared_ptr<const RegistryEntry>>> entries =
      registry_.AuthorizedEntries(agent.id, ids);

  std::vector<IssuanceRecord> records;
  records.reserve(ids.size());
  for (int i = 0; i < request.requests_size(); ++i) {
    const nodev1::X509SvidRequest& item = request.requests(i);
    nodev1::X509SvidResult* result = response->add_results();
    result->set_entry_id(item.entry_id());
    absl::Status usable = EntryUsable(entries[i], item.entry_id(), now);
    if (usable.ok()) {
      usable = CheckSubjectPublicKey(item.public_key());
    }
    if (!usable.ok()) {
      result->set_error_code(static_cast<int32_t>(usable.code()));
      result->set_error_message(std::string(usable.message()));
      continue;
    }
    const RegistrationEntry& entry = (*entries[i])->entry;
    const absl::Duration ttl = entry.x509_svid_ttl_seconds > 0
                                   ? absl::Seconds(entry.x509_svid_ttl_seconds)
                                   : options_.default_x509_svid_ttl;
    absl::StatusOr<IssuedX509Svid> issued = ca_.SignX509Svid(
        X509SvidParams{.spiffe_id = entry.spiffe_id, .dns_names = entry.dns_names, .ttl = ttl},
        item.public_key());
    if (!issued.ok()) {
      result->set_error_code(static_cast<int32_t>(issued.status().code()));
      result->set_error_message(std::string(issued.status().message()));
      continue;
    }
    result->set_expires_at(absl::ToUnixSeconds(issued->leaf.not_after));
    records.push_back(IssuanceRecord{.issued_at = now,
                                     .kind = SvidKind::kX509,
                                     .spiffe_id = entry.spiffe_id,
                                     .entry_id = entry.entry_id,
                                     .agent_id = agent.id,
                                     .serial = issued->leaf.serial_hex,
                                     .key_fingerprint = HexEncode(Sha256(item.public_key())),
                                     .expires_at = issued->leaf.not_after});
    result->add_cert_chain(std::move(issued->leaf.der));
    for (const Certificate& intermediate : issued->intermediates) {
      result->add_cert_chain(intermediate.der());
    }
  }
  ledger_.Append(std::move(records));
}

grpc::ServerUnaryReactor* NodeService::SignX509Svids(grpc::CallbackServerContext* ctx,
                                                     const nodev1::SignX509SvidsRequest* request,
                                                     nodev1::SignX509SvidsResponse* response) {
  absl::StatusOr<AuthenticatedAgent> agent = Authenticate(*ctx);
  if (!agent.ok()) {
    return FinishUnary(ctx, agent.status());
  }
  const size_t n = static_cast<size_t>(request->requests_size());
  if (n == 0 || n > kMaxSignBatch) {
    return FinishUnary(ctx, absl::InvalidArgumentError(absl::StrCat(
                                "requests: ", n, " given; 1 to ", kMaxSignBatch, " per call")));
  }
  if (!sign_limiter_.Allow(agent->id.str(), static_cast<int64_t>(n), options_.clock())) {
    return FinishUnary(ctx, absl::ResourceExhaustedError(absl::StrCat(
                                "signing rate limit reached (", options_.sign_rate_limit,
                                " SVIDs per second, ", options_.sign_burst, " at once)")));
  }
  SignX509Batch(*agent, *request, response);
  return FinishUnary(ctx, absl::OkStatus());
}

absl::Status NodeService::SignJwt(const AuthenticatedAgent& agent,
                                  const nodev1::SignJwtSvidRequest& request,
                                  nodev1::SignJwtSvidResponse* response) {
  SIGIL_RETURN_IF_ERROR(CheckAudiences(request.audience()));
  const absl::Time now = options_.clock();
  absl::StatusOr<std::shared_ptr<const RegistryEntry>> stored =
      registry_.AuthorizedEntry(agent.id, request.entry_id());
  SIGIL_RETURN_IF_ERROR(EntryUsable(stored, request.entry_id(), now));
  const RegistrationEntry& entry = (*stored)->entry;
  const absl::Duration ttl = entry.jwt_svid_ttl_seconds > 0
                                 ? absl::Seconds(entry.jwt_svid_ttl_seconds)
                                 : options_.default_jwt_svid_ttl;
  JwtSvidClaims claims{.subject = entry.spiffe_id,
                       .audiences = {request.audience().begin(), request.audience().end()},
                       .expires_at = now + ttl};
  SIGIL_ASSIGN_OR_RETURN(SecretBytes token, ca_.SignJwtSvid(claims));

  // The CA may have brought exp back to its key's expiry; read what it wrote.
  absl::Time expires_at = claims.expires_at;
  if (absl::StatusOr<UnverifiedJwt> decoded = ParseJwtSvidInsecure(token.view());
      decoded.ok() && decoded->claims.contains("exp") &&
      decoded->claims["exp"].is_number_integer()) {
    expires_at = absl::FromUnixSeconds(decoded->claims["exp"].get<int64_t>());
  }
  ledger_.Append({IssuanceRecord{.issued_at = now,
                                 .kind = SvidKind::kJwt,
                                 .spiffe_id = entry.spiffe_id,
                                 .entry_id = entry.entry_id,
                                 .agent_id = agent.id,
                                 .expires_at = expires_at,
                                 .audiences = claims.audiences}});
  response->set_token(std::string(token.view()));
  response->set_expires_at(absl::ToUnixSeconds(expires_at));
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* NodeService::SignJwtSvid(grpc::CallbackServerContext* ctx,
                                                   const nodev1::SignJwtSvidRequest* request,
                                                   nodev1::SignJwtSvidResponse* response) {
  absl::StatusOr<AuthenticatedAgent> agent = Authenticate(*ctx);
  if (!agent.ok()) {
    return FinishUnary(ctx, agent.status());
  }
  if (!sign_limiter_.Allow(agent->id.str(), 1, options_.clock())) {
    return FinishUnary(ctx, absl::ResourceExhaustedError("signing rate limit reached"));
  }
  return FinishUnary(ctx, SignJwt(*agent, *request, response));
}

// --- Sync dispatch ------------------------------------------------------------------------

void NodeService::Schedule(std::shared_ptr<SyncStream> stream) {
  if (stream->MarkQueued()) {
    absl::MutexLock lock(&dispatch_mu_);
    dispatch_queue_.push_back(std::move(stream));
  }
}

void NodeService::DispatchLoop() {
  for (;;) {
    std::shared_ptr<SyncStream> stream;
    {
      absl::MutexLock lock(&dispatch_mu_);
      dispatch_mu_.Await(absl::Condition(
          +[](NodeService* self) ABSL_NO_THREAD_SAFETY_ANALYSIS {
            return self->dispatch_stop_ || !self->dispatch_queue_.empty();
          },
          this));
      if (dispatch_queue_.empty()) {
        return;  // stopping, and nothing left to serve
      }
      stream = std::move(dispatch_queue_.front());
      dispatch_queue_.pop_front();
    }
    stream->Work();
  }
}

bool NodeService::AddStream(SyncStream* stream) {
  absl::MutexLock lock(&streams_mu_);
  if (streams_stopped_) {
    return false;
  }
  streams_.insert(stream);
  return true;
}

void NodeService::RemoveStream(SyncStream* stream) {
  absl::MutexLock lock(&streams_mu_);
  streams_.erase(stream);
}

void NodeService::StopStreams() {
  std::vector<std::shared_ptr<SyncStream>> open;
  {
    absl::MutexLock lock(&streams_mu_);
    streams_stopped_ = true;
    for (SyncStream* stream : streams_) {
      if (std::shared_ptr<SyncStream> alive = stream->Alive(); alive != nullptr) {
        open.push_back(std::move(alive));
      }
    }
  }
  for (const std::shared_ptr<SyncStream>& stream : open) {
    stream->Stop(absl::UnavailableError("server is shutting down"));
  }
}

bool NodeService::AwaitOpenSyncStreams(size_t n, absl::Duration timeout) {
  struct Wait {
    NodeService* self;
    size_t n;
  } wait{this, n};
  absl::MutexLock lock(&streams_mu_);
  return streams_mu_.AwaitWithTimeout(
      absl::Condition(
          +[](Wait* w) ABSL_NO_THREAD_SAFETY_ANALYSIS { return w->self->streams_.size() <= w->n; },
          &wait),
      timeout);
}

size_t NodeService::open_sync_streams() const {
  absl::MutexLock lock(&streams_mu_);
  return streams_.size();
}

}  // namespace sigil::server
