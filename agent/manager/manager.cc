#include "agent/manager/manager.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

#include "agent/manager/authority_ids.h"
#include "agent/manager/entry_convert.h"
#include "sigil/log.h"
#include "sigil/status.h"

namespace sigil::agent {
namespace {

constexpr std::string_view kLogComponent = "agent";

// Half of the SVID's lifetime after its notBefore.
absl::Time HalfLife(const X509Svid& svid) {
  const absl::Time not_before = svid.leaf().not_before();
  return not_before + (svid.expires_at() - not_before) / 2;
}

std::string TimeText(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

}  // namespace

Manager::Manager(ManagerOptions options, X509Svid agent_svid)
    : options_(std::move(options)), agent_svid_(std::move(agent_svid)) {
  absl::MutexLock lock(&mu_);
  if (std::shared_ptr<const TrustBundle> bundle = options_.trust->bundle(); bundle != nullptr) {
    bundles_.Put(*bundle);
    options_.cache->SetBundles(bundles_);
  }
}

Manager::~Manager() { Stop(); }

void Manager::Start() {
  sync_thread_ = std::thread([this] { SyncLoop(); });
  rotation_thread_ = std::thread([this] { RotationLoop(); });
}

void Manager::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    if (sync_stream_ != nullptr) {
      sync_stream_->Cancel();
    }
  }
  if (sync_thread_.joinable()) {
    sync_thread_.join();
  }
  if (rotation_thread_.joinable()) {
    rotation_thread_.join();
  }
}

void Manager::Wake() {
  absl::MutexLock lock(&mu_);
  wake_ = true;
}

bool Manager::SleepFor(absl::Duration d) {
  absl::MutexLock lock(&mu_);
  auto done = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return stopping_ || failed_; };
  mu_.AwaitWithTimeout(absl::Condition(&done), d);
  return !stopping_ && !failed_;
}

X509Svid Manager::agent_svid() const {
  absl::MutexLock lock(&mu_);
  return agent_svid_;
}

int64_t Manager::last_revision() const {
  absl::MutexLock lock(&mu_);
  return last_revision_;
}

ManagerHealth Manager::Health(absl::Time now) const {
  absl::MutexLock lock(&mu_);
  ManagerHealth h;
  h.agent_id = agent_svid_.spiffe_id().str();
  h.agent_svid_expires_at = agent_svid_.expires_at();
  h.connected = connected_;
  h.last_revision = last_revision_;
  if (failed_) {
    h.reason = "the server refused this agent";
  } else if (now >= agent_svid_.expires_at()) {
    h.reason = absl::StrCat("agent SVID expired at ", TimeText(agent_svid_.expires_at()));
  } else if (bundles_.Find(options_.trust->trust_domain()) == nullptr) {
    h.reason = "no trust bundle yet";
  } else {
    h.ready = true;
  }
  return h;
}

// ---- Sync ----------------------------------------------------------------------------------

void Manager::SyncLoop() {
  Backoff backoff(options_.initial_backoff, options_.max_backoff);
  while (true) {
    int64_t revision;
    {
      absl::MutexLock lock(&mu_);
      if (stopping_ || failed_) {
        return;
      }
      revision = last_revision_;
    }
    absl::StatusOr<std::unique_ptr<SyncStream>> stream = options_.client->OpenSync(revision);
    absl::Status ended;
    if (stream.ok()) {
      {
        absl::MutexLock lock(&mu_);
        if (stopping_) {
          return;
        }
        sync_stream_ = stream->get();
      }
      nodeapi::SyncUpdate update;
      while ((*stream)->Read(&update)) {
        {
          absl::MutexLock lock(&mu_);
          if (!connected_ || server_down_logged_) {
            SIGIL_LOG(kInfo, "sync.connected", {{"last_revision", absl::StrCat(revision)}});
          }
          connected_ = true;
          server_down_logged_ = false;
        }
        backoff.Reset();
        (void)ApplyUpdate(update);
        Wake();
      }
      {
        absl::MutexLock lock(&mu_);
        sync_stream_ = nullptr;
        connected_ = false;
      }
      ended = (*stream)->Finish();
    } else {
      ended = stream.status();
    }
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) {
        return;
      }
      if (reopen_sync_) {
        // Cancelled on purpose: the agent SVID changed and the stream moves to the new channel.
        reopen_sync_ = false;
        continue;
      }
    }
    if (absl::IsPermissionDenied(ended)) {
      HandleRefusal(ended);
      continue;
    }
    const absl::Duration wait = backoff.Next();
    SIGIL_LOG(kWarn, "sync.disconnected",
              {{"error", AsStd(ended.message())},
               {"code", absl::StatusCodeToString(ended.code())},
               {"retry_in", absl::FormatDuration(wait)}});
    if (!SleepFor(wait)) {
      return;
    }
  }
}

absl::Status Manager::ApplyUpdate(const nodeapi::SyncUpdate& update) {
  absl::Status first_error;
  std::vector<AgentEntry> entries;
  entries.reserve(update.entries_size());
  for (const nodeapi::Entry& e : update.entries()) {
    absl::StatusOr<AgentEntry> entry = EntryFromProto(e);
    if (!entry.ok()) {
      SIGIL_LOG(kError, "sync.entry_skipped", {{"error", AsStd(entry.status().message())}});
      first_error.Update(entry.status());
      continue;
    }
    entries.push_back(*std::move(entry));
  }
  std::vector<std::string> removed(update.removed_entry_ids().begin(),
                                   update.removed_entry_ids().end());
  ApplyBundles(update);
  absl::Status applied = update.full() ? options_.cache->ReplaceEntries(std::move(entries))
                                       : options_.cache->UpdateEntries(std::move(entries), removed);
  if (!applied.ok()) {
    SIGIL_LOG(kError, "sync.update_refused", {{"error", AsStd(applied.message())}});
    first_error.Update(applied);
  }

  absl::MutexLock lock(&mu_);
  for (const std::string& id : removed) {
    issued_.erase(id);
    forced_.erase(id);
  }
  for (const std::string& tainted : update.tainted_authorities()) {
    const std::string id = absl::AsciiStrToLower(tainted);
    size_t count = 0;
    for (const auto& [entry_id, issued] : issued_) {
      if (std::find(issued.authority_ids.begin(), issued.authority_ids.end(), id) !=
          issued.authority_ids.end()) {
        forced_.insert(entry_id);
        ++count;
      }
    }
    const std::vector<std::string> agent_ids = ChainAuthorityIds(agent_svid_.chain());
    if (std::find(agent_ids.begin(), agent_ids.end(), id) != agent_ids.end()) {
      agent_rekey_ = true;
    }
    SIGIL_LOG(kWarn, "authority.tainted",
              {{"authority_id", id}, {"svids_to_rekey", absl::StrCat(count)}});
  }
  if (update.revision() > last_revision_) {
    last_revision_ = update.revision();
  }
  return first_error;
}

void Manager::ApplyBundles(const nodeapi::SyncUpdate& update) {
  if (update.bundles().empty() && update.removed_bundles().empty()) {
    return;
  }
  const TrustDomain& own = options_.trust->trust_domain();
  std::optional<TrustBundle> own_bundle;
  BundleSet snapshot;
  {
    absl::MutexLock lock(&mu_);
    for (const nodeapi::Bundle& b : update.bundles()) {
      absl::StatusOr<TrustDomain> td = TrustDomain::FromString(b.trust_domain());
      absl::StatusOr<TrustBundle> bundle =
          td.ok() ? ParseSpiffeBundle(*td, b.document()) : td.status();
      if (!bundle.ok()) {
        SIGIL_LOG(
            kError, "sync.bundle_skipped",
            {{"trust_domain", b.trust_domain()}, {"error", AsStd(bundle.status().message())}});
        continue;
      }
      if (*td == own) {
        if (bundle->x509_authorities().empty()) {
          // Losing every authority of our own trust domain would make the server unreachable
          // and every SVID unverifiable; keep the last good bundle and say so.
          SIGIL_LOG(kError, "sync.own_bundle_empty", {{"trust_domain", own.name()}});
          continue;
        }
        own_bundle = *bundle;
      }
      bundles_.Put(*std::move(bundle));
    }
    for (const std::string& name : update.removed_bundles()) {
      absl::StatusOr<TrustDomain> td = TrustDomain::FromString(name);
      if (td.ok() && *td != own) {
        bundles_.Remove(*td);
      }
    }
    snapshot = bundles_;
  }
  options_.cache->SetBundles(snapshot);
  if (own_bundle.has_value()) {
    (void)options_.trust->SetBundle(*own_bundle);
    if (absl::Status s = options_.store->SaveBundle(*own_bundle); !s.ok()) {
      SIGIL_LOG(kError, "bundle.save_failed", {{"error", AsStd(s.message())}});
    }
  }
}

// ---- Rotation ------------------------------------------------------------------------------

void Manager::RotationLoop() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_ || failed_) {
        return;
      }
      wake_ = false;
    }
    RotateOnce(options_.clock());
    absl::MutexLock lock(&mu_);
    auto due = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return stopping_ || failed_ || wake_; };
    mu_.AwaitWithTimeout(absl::Condition(&due), options_.rotation_interval);
  }
}

size_t Manager::RotateOnce(absl::Time now) {
  RenewAgentSvidIfDue(now);
  return RenewWorkloadSvids(now);
}

void Manager::InstallAgentSvid(X509Svid svid) {
  if (absl::Status s = options_.store->SaveSvid(svid); !s.ok()) {
    SIGIL_LOG(kError, "agent_svid.save_failed", {{"error", AsStd(s.message())}});
  }
  (void)options_.client->SetIdentity(svid);
  SIGIL_LOG(kInfo, "agent_svid.installed",
            {{"spiffe_id", svid.spiffe_id().str()},
             {"serial", svid.leaf().SerialHex()},
             {"not_after", TimeText(svid.expires_at())}});
  absl::MutexLock lock(&mu_);
  agent_svid_ = std::move(svid);
  agent_rekey_ = false;
  // The open Sync stream runs on the previous channel; reopen it on the new one.
  if (sync_stream_ != nullptr) {
    reopen_sync_ = true;
    sync_stream_->Cancel();
  }
}

void Manager::RenewAgentSvidIfDue(absl::Time now) {
  bool expired = false;
  {
    absl::MutexLock lock(&mu_);
    if (failed_ || now < agent_retry_at_ || (!agent_rekey_ && now < HalfLife(agent_svid_))) {
      return;
    }
    expired = now >= agent_svid_.expires_at();
    if (expired) {
      agent_retry_at_ = now + absl::Seconds(30);
    }
  }
  if (expired) {
    // The server will not take an expired client certificate, so renewal cannot work: only a
    // new attestation can. Cached workload SVIDs stay in service meanwhile.
    if (options_.attestor != nullptr && options_.attestor->CanReattest()) {
      HandleRefusal(absl::UnauthenticatedError("the agent SVID has expired"));
    } else {
      SIGIL_LOG(kError, "agent_svid.expired",
                {{"meaning",
                  "the server was unreachable until the agent SVID expired; a join_token agent "
                  "cannot attest again: issue a new token and restart the agent"}});
    }
    return;
  }
  absl::StatusOr<PrivateKey> key = PrivateKey::Generate(KeyType::kEcP256);
  absl::StatusOr<X509Svid> renewed = key.ok() ? options_.client->RenewAgent(*key) : key.status();
  if (!renewed.ok()) {
    if (absl::IsPermissionDenied(renewed.status())) {
      HandleRefusal(renewed.status());
      return;
    }
    SIGIL_LOG(kWarn, "agent_svid.renew_failed", {{"error", AsStd(renewed.status().message())}});
    absl::MutexLock lock(&mu_);
    agent_retry_at_ = now + absl::Seconds(5);
    return;
  }
  InstallAgentSvid(*std::move(renewed));
}

size_t Manager::RenewWorkloadSvids(absl::Time now) {
  struct Pending {
    std::string entry_id;
    int64_t revision;
    std::string hint;
    PrivateKey key;
  };
  std::vector<Pending> pending;
  absl::flat_hash_set<std::string> seen;
  {
    std::vector<SvidRequest> needed = options_.cache->SvidsNeeded(now);
    absl::MutexLock lock(&mu_);
    if (failed_) {
      return 0;
    }
    auto wanted = [&](const std::string& id) {
      auto retry = retry_at_.find(id);
      return (retry == retry_at_.end() || now >= retry->second) && seen.insert(id).second;
    };
    for (const SvidRequest& r : needed) {
      if (wanted(r.entry->entry_id)) {
        pending.push_back({r.entry->entry_id, r.entry->revision, r.entry->hint,
                           *PrivateKey::Generate(KeyType::kEcP256)});
      }
    }
    for (const std::string& id : forced_) {
      auto issued = issued_.find(id);
      if (issued != issued_.end() && wanted(id)) {
        pending.push_back({id, issued->second.revision, issued->second.hint,
                           *PrivateKey::Generate(KeyType::kEcP256)});
      }
    }
  }
  size_t stored = 0;
  for (size_t start = 0; start < pending.size(); start += options_.sign_batch_size) {
    const size_t end = std::min(pending.size(), start + options_.sign_batch_size);
    std::vector<X509SvidSigningRequest> requests;
    for (size_t i = start; i < end; ++i) {
      requests.push_back({pending[i].entry_id, pending[i].key.public_key()});
    }
    absl::StatusOr<std::vector<X509SvidSigningResult>> results =
        options_.client->SignX509Svids(requests);
    if (!results.ok()) {
      absl::MutexLock lock(&mu_);
      if (!server_down_logged_) {
        SIGIL_LOG(kWarn, "x509_svid.sign_failed",
                  {{"error", AsStd(results.status().message())},
                   {"waiting", absl::StrCat(pending.size() - start)}});
        server_down_logged_ = true;
      }
      break;  // the server is away: try again next round, keep serving what the cache has
    }
    {
      absl::MutexLock lock(&mu_);
      server_down_logged_ = false;
    }
    for (size_t i = 0; i < results->size(); ++i) {
      Pending& p = pending[start + i];
      X509SvidSigningResult& result = (*results)[i];
      absl::StatusOr<X509Svid> svid =
          result.chain.ok() ? X509Svid::FromParts(*std::move(result.chain), p.key, p.hint)
                            : result.chain.status();
      absl::Status set =
          svid.ok() ? options_.cache->SetX509Svid(p.entry_id, p.revision, *svid) : svid.status();
      absl::MutexLock lock(&mu_);
      if (!set.ok()) {
        SIGIL_LOG(kWarn, "x509_svid.not_issued",
                  {{"entry_id", p.entry_id}, {"error", AsStd(set.message())}});
        retry_at_[p.entry_id] = now + options_.entry_retry_delay;
        continue;
      }
      ++stored;
      retry_at_.erase(p.entry_id);
      forced_.erase(p.entry_id);
      issued_[p.entry_id] = {p.revision, p.hint, ChainAuthorityIds(svid->chain())};
      SIGIL_LOG(kDebug, "x509_svid.issued",
                {{"entry_id", p.entry_id},
                 {"spiffe_id", svid->spiffe_id().str()},
                 {"serial", svid->leaf().SerialHex()},
                 {"not_after", TimeText(svid->expires_at())}});
    }
  }
  return stored;
}

// ---- Refusal -------------------------------------------------------------------------------

void Manager::HandleRefusal(const absl::Status& status) {
  SIGIL_LOG(
      kError, "agent.refused",
      {{"error", AsStd(status.message())},
       {"meaning",
        "the server no longer accepts this agent: evicted, banned, unknown, or its SVID expired"}});
  if (options_.attestor != nullptr && options_.attestor->CanReattest()) {
    absl::StatusOr<PrivateKey> key = PrivateKey::Generate(KeyType::kEcP256);
    absl::StatusOr<AttestOutcome> outcome =
        key.ok() ? options_.client->Attest(*options_.attestor, *key, /*insecure=*/false)
                 : key.status();
    if (outcome.ok()) {
      SIGIL_LOG(kInfo, "agent.reattested", {{"spiffe_id", outcome->agent_svid.spiffe_id().str()}});
      InstallAgentSvid(std::move(outcome->agent_svid));
      return;
    }
    SIGIL_LOG(kError, "agent.reattest_failed", {{"error", AsStd(outcome.status().message())}});
    if (!absl::IsPermissionDenied(outcome.status())) {
      return;  // the server may be away: the sync loop retries with backoff
    }
    Fatal(absl::PermissionDeniedError(
        absl::StrCat("the server refused this agent and refused attestation again: ",
                     outcome.status().message())));
    return;
  }
  (void)options_.store->ForgetSvid();
  Fatal(absl::PermissionDeniedError(absl::StrCat(
      "the server refused this agent (", status.message(),
      "). A join token works only once: issue a new one with `sigil-server token generate` and "
      "restart the agent with --join-token; the stored agent SVID in ",
      options_.store->data_dir(), " was removed")));
}

void Manager::Fatal(const absl::Status& status) {
  SIGIL_LOG(kError, "agent.stopping", {{"error", AsStd(status.message())}});
  {
    absl::MutexLock lock(&mu_);
    if (failed_) {
      return;
    }
    failed_ = true;
  }
  if (options_.on_fatal) {
    options_.on_fatal(status);
  }
}

absl::StatusOr<SecretBytes> NodeJwtSvidSigner::Sign(const AgentEntry& entry,
                                                    absl::Span<const std::string> audiences,
                                                    absl::Time /*now*/) {
  absl::StatusOr<SecretBytes> token = client_.SignJwtSvid(entry.entry_id, audiences);
  if (!token.ok() && absl::IsPermissionDenied(token.status())) {
    return token.status();
  }
  if (!token.ok()) {
    return absl::UnavailableError(
        absl::StrCat("could not reach the server for a JWT-SVID: ", token.status().message()));
  }
  return token;
}

}  // namespace sigil::agent
