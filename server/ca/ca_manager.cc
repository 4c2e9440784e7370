// CaManager: configuration checks, start (loading and settling the journal), Tick.
#define SIGIL_LOG_COMPONENT "ca"

#include "server/ca/ca_manager.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

#include "server/ca/ca_manager_internal.h"
#include "sigil/log.h"
#include "sigil/status.h"

namespace sigil::server {
namespace {

using ca_internal::Authority;
using ca_internal::KeySlots;
using ca_internal::LogAuthority;

constexpr AuthorityKind kKinds[] = {AuthorityKind::kX509, AuthorityKind::kJwt};

absl::Status ValidateConfig(const CaManagerConfig& config) {
  if (config.key_manager == nullptr) {
    return absl::InvalidArgumentError("CA config: key_manager is required");
  }
  if (config.datastore == nullptr) {
    return absl::InvalidArgumentError("CA config: datastore is required");
  }
  if (!config.clock) {
    return absl::InvalidArgumentError("CA config: clock is required");
  }
  if (config.ca_ttl <= absl::ZeroDuration() || config.ca_ttl > kMaxX509Ttl) {
    return absl::InvalidArgumentError(absl::StrCat(
        "CA config: ca_ttl must be positive and at most ", absl::FormatDuration(kMaxX509Ttl),
        ", got ", absl::FormatDuration(config.ca_ttl)));
  }
  if (config.bundle_refresh_hint < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("CA config: bundle_refresh_hint must not be negative");
  }
  if (config.old_authority_grace < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("CA config: old_authority_grace must not be negative");
  }
  return absl::OkStatus();
}

// Rebuilds the in-memory form of a journal record. A record that does not parse means the
// journal was damaged; starting anyway would publish a bundle without it and silently distrust
// everything it signed, so this is an error.
absl::StatusOr<Authority> ParseAuthority(AuthorityRecord record) {
  const std::string where = absl::StrCat("CA journal: ", AsAbsl(AuthorityKindName(record.kind)),
                                         " authority ", record.authority_id, ": ");
  absl::StatusOr<PublicKey> public_key = PublicKey::FromSpkiDer(record.public_key_der);
  if (!public_key.ok()) {
    return absl::DataLossError(
        absl::StrCat(where, "public_key_der: ", public_key.status().message()));
  }
  std::vector<Certificate> chain;
  if (record.kind == AuthorityKind::kX509) {
    absl::StatusOr<std::vector<Certificate>> certs = ParseDerCertificates(record.certificate_der);
    if (!certs.ok() || certs->empty()) {
      return absl::DataLossError(absl::StrCat(
          where, "certificate_der: ", certs.ok() ? "no certificate" : certs.status().message()));
    }
    absl::StatusOr<PublicKey> cert_key = certs->front().public_key();
    if (!cert_key.ok() || !cert_key->Equals(*public_key)) {
      return absl::DataLossError(
          absl::StrCat(where, "the certificate's key differs from public_key_der"));
    }
    chain = *std::move(certs);
  }
  return Authority{
      .record = std::move(record), .chain = std::move(chain), .public_key = *public_key};
}

}  // namespace

CaManager::CaManager(CaManagerConfig config) : config_(std::move(config)) {}

CaManager::~CaManager() = default;

absl::StatusOr<std::unique_ptr<CaManager>> CaManager::Create(CaManagerConfig config) {
  SIGIL_RETURN_IF_ERROR(ValidateConfig(config));
  std::unique_ptr<CaManager> ca(new CaManager(std::move(config)));
  {
    absl::MutexLock lock(&ca->mu_);
    SIGIL_RETURN_IF_ERROR(ca->Load(ca->config_.clock()));
  }
  return ca;
}

std::vector<Authority>& CaManager::AuthoritiesOf(AuthorityKind kind) {
  return kind == AuthorityKind::kX509 ? x509_ : jwt_;
}

const std::vector<Authority>& CaManager::AuthoritiesOf(AuthorityKind kind) const {
  return kind == AuthorityKind::kX509 ? x509_ : jwt_;
}

Authority* CaManager::Find(AuthorityKind kind, AuthorityState state) {
  for (Authority& authority : AuthoritiesOf(kind)) {
    if (!authority.leaving() && authority.state() == state) {
      return &authority;
    }
  }
  return nullptr;
}

absl::Status CaManager::Load(absl::Time now) {
  for (AuthorityKind kind : kKinds) {
    SIGIL_ASSIGN_OR_RETURN(std::vector<AuthorityRecord> records,
                           config_.datastore->ListAuthorities(kind));
    for (AuthorityRecord& record : records) {
      SIGIL_ASSIGN_OR_RETURN(Authority authority, ParseAuthority(std::move(record)));
      AuthoritiesOf(kind).push_back(std::move(authority));
    }
  }
  SIGIL_RETURN_IF_ERROR(LoadStoredBundle());
  for (AuthorityKind kind : kKinds) {
    SIGIL_RETURN_IF_ERROR(SettleStates(kind, now));
  }
  SIGIL_RETURN_IF_ERROR(Publish());
  // Revocations a crash interrupted: the bundle just stored no longer holds them.
  return FinishRemovals();
}

// The stored bundle carries the sequence number to continue from, and the upstream roots: the
// journal records only this server's CAs, so an X.509 authority of the stored bundle that is
// none of them is a root an upstream authority handed over earlier.
absl::Status CaManager::LoadStoredBundle() {
  absl::StatusOr<BundleRecord> stored = config_.datastore->FetchBundle(config_.trust_domain);
  if (absl::IsNotFound(stored.status())) {
    return absl::OkStatus();
  }
  if (!stored.ok()) {
    return stored.status();
  }
  published_document_ = stored->document;
  published_sequence_ = stored->sequence_number;

  absl::StatusOr<TrustBundle> bundle = ParseSpiffeBundle(config_.trust_domain, stored->document);
  if (!bundle.ok()) {
    // Our own bundle is rebuilt from the journal, so only upstream roots can be lost here.
    SIGIL_LOG(kError, "ca.stored_bundle_unreadable",
              {{"trust_domain", config_.trust_domain.name()},
               {"error", AsStd(bundle.status().message())}});
    return absl::OkStatus();
  }
  for (const Certificate& cert : bundle->x509_authorities()) {
    const bool ours = std::any_of(x509_.begin(), x509_.end(), [&](const Authority& authority) {
      return authority.chain.front() == cert;
    });
    if (!ours) {
      upstream_roots_.push_back(cert);
    }
  }
  return absl::OkStatus();
}

// Brings the journal of one kind back to a state Tick can work from: one active authority that
// can sign, at most one prepared one, keys loaded.
absl::Status CaManager::SettleStates(AuthorityKind kind, absl::Time now) {
  std::vector<Authority>& authorities = AuthoritiesOf(kind);
  // A crash between the two journal writes of an activation can leave two active (or, with a
  // hand-edited journal, two prepared) authorities: the newest one keeps the state.
  for (AuthorityState state : {AuthorityState::kActive, AuthorityState::kPrepared}) {
    Authority* newest = nullptr;
    for (Authority& authority : authorities) {
      if (!authority.leaving() && authority.state() == state &&
          (newest == nullptr || authority.record.not_before >= newest->record.not_before)) {
        newest = &authority;
      }
    }
    for (Authority& authority : authorities) {
      if (!authority.leaving() && authority.state() == state && &authority != newest) {
        SIGIL_RETURN_IF_ERROR(Retire(authority, "a newer authority has the same state"));
      }
    }
  }

  for (Authority& authority : authorities) {
    if (authority.leaving() || authority.state() == AuthorityState::kOld) {
      continue;
    }
    SIGIL_RETURN_IF_ERROR(LoadKey(authority));
    if (!authority.key.has_value()) {
      SIGIL_RETURN_IF_ERROR(Retire(authority, "its private key is no longer in the key manager"));
    } else if (now >= authority.record.not_after) {
      SIGIL_RETURN_IF_ERROR(Retire(authority, "it expired while the server was stopped"));
    }
  }

  if (Find(kind, AuthorityState::kActive) != nullptr) {
    return absl::OkStatus();
  }
  if (Authority* prepared = Find(kind, AuthorityState::kPrepared)) {
    return ActivateLocked(kind, *prepared, "no usable active authority at start");
  }
  return CreateActiveLocked(kind, now).status();
}

// Finds the authority's private key in one of its kind's slots by matching public keys.
absl::Status CaManager::LoadKey(Authority& authority) {
  for (std::string_view slot : KeySlots(authority.record.kind)) {
    absl::StatusOr<PrivateKey> key = config_.key_manager->GetKey(slot);
    if (absl::IsNotFound(key.status())) {
      continue;
    }
    if (!key.ok()) {
      return absl::Status(key.status().code(), absl::StrCat("loading CA key ", AsAbsl(slot), ": ",
                                                            key.status().message()));
    }
    if (!key->Matches(authority.public_key)) {
      continue;
    }
    if (authority.record.kind == AuthorityKind::kX509) {
      SIGIL_ASSIGN_OR_RETURN(X509Issuer issuer, X509Issuer::Create(authority.chain.front(), *key));
      authority.issuer = std::move(issuer);
    }
    authority.key = *std::move(key);
    authority.key_slot = std::string(slot);
    return absl::OkStatus();
  }
  return absl::OkStatus();
}

absl::Status CaManager::Tick() {
  absl::MutexLock lock(&mu_);
  const absl::Time now = config_.clock();
  // Nothing may be activated while an earlier change is still unpublished, so a failed store
  // is retried first and stops the tick if it fails again.
  SIGIL_RETURN_IF_ERROR(Publish());
  absl::Status first = Prune(now);
  for (AuthorityKind kind : kKinds) {
    absl::Status status = RotateKind(kind, now);
    if (first.ok()) {
      first = std::move(status);
    }
  }
  return first;
}

absl::Status CaManager::RotateKind(AuthorityKind kind, absl::Time now) {
  if (Authority* prepared = Find(kind, AuthorityState::kPrepared);
      prepared != nullptr && now >= prepared->record.not_after) {
    SIGIL_RETURN_IF_ERROR(Retire(*prepared, "it expired before it was activated"));
  }

  Authority* active = Find(kind, AuthorityState::kActive);
  if (active == nullptr || now >= active->record.not_after) {
    // Late (the server was stopped, or preparation kept failing): replace it at once.
    if (Authority* prepared = Find(kind, AuthorityState::kPrepared)) {
      SIGIL_RETURN_IF_ERROR(ActivateLocked(kind, *prepared, "the active authority expired"));
    } else {
      if (active != nullptr) {
        SIGIL_RETURN_IF_ERROR(Retire(*active, "it expired with no successor prepared"));
      }
      SIGIL_RETURN_IF_ERROR(CreateActiveLocked(kind, now).status());
    }
    SIGIL_RETURN_IF_ERROR(Publish());
  }

  active = Find(kind, AuthorityState::kActive);
  if (Find(kind, AuthorityState::kPrepared) == nullptr &&
      now >= ca_internal::PrepareTime(active->record)) {
    SIGIL_RETURN_IF_ERROR(PrepareLocked(kind, now).status());
    // Published before it can be activated, here or by a later tick.
    SIGIL_RETURN_IF_ERROR(Publish());
  }

  active = Find(kind, AuthorityState::kActive);
  Authority* prepared = Find(kind, AuthorityState::kPrepared);
  if (prepared != nullptr && now >= ca_internal::ActivateTime(active->record)) {
    SIGIL_RETURN_IF_ERROR(
        ActivateLocked(kind, *prepared, "the active authority reached 5/6 of its life"));
    SIGIL_RETURN_IF_ERROR(Publish());
  }
  return absl::OkStatus();
}

absl::Status CaManager::Prune(absl::Time now) {
  bool changed = false;
  for (AuthorityKind kind : kKinds) {
    for (Authority& authority : AuthoritiesOf(kind)) {
      if (!authority.leaving() && authority.state() == AuthorityState::kOld &&
          now >= authority.record.not_after + config_.old_authority_grace) {
        authority.pruning = true;
        changed = true;
        LogAuthority("ca.authority_pruned", authority.record, "expired and past the grace");
      }
    }
  }
  const auto expired = [&](const Certificate& root) {
    return now >= root.not_after() + config_.old_authority_grace;
  };
  for (const Certificate& root : upstream_roots_) {
    if (expired(root)) {
      SIGIL_LOG(kInfo, "ca.upstream_root_pruned",
                {{"serial", root.SerialHex()},
                 {"not_after", ca_internal::FormatRfc3339(root.not_after())}});
      changed = true;
    }
  }
  upstream_roots_.erase(std::remove_if(upstream_roots_.begin(), upstream_roots_.end(), expired),
                        upstream_roots_.end());
  if (changed) {
    SIGIL_RETURN_IF_ERROR(Publish());
  }
  // Also finishes removals whose publication failed on an earlier call.
  return FinishRemovals();
}

// Deletes from the journal and key manager the authorities the stored bundle no longer holds.
// Called only after a successful Publish(), so nothing is forgotten before it is unpublished.
absl::Status CaManager::FinishRemovals() {
  for (AuthorityKind kind : kKinds) {
    std::vector<Authority>& authorities = AuthoritiesOf(kind);
    for (const Authority& authority : authorities) {
      if (!authority.leaving()) {
        continue;
      }
      absl::Status deleted = config_.datastore->DeleteAuthority(kind, authority.id());
      if (!deleted.ok() && !absl::IsNotFound(deleted)) {
        return deleted;
      }
      SIGIL_RETURN_IF_ERROR(DeleteKeyOf(authority));
    }
    authorities.erase(std::remove_if(authorities.begin(), authorities.end(),
                                     [](const Authority& a) { return a.leaving(); }),
                      authorities.end());
  }
  return absl::OkStatus();
}

// A slot may since have been reused by a newer authority, so only a key that is this
// authority's is deleted.
absl::Status CaManager::DeleteKeyOf(const Authority& authority) {
  for (std::string_view slot : KeySlots(authority.record.kind)) {
    absl::StatusOr<PrivateKey> key = config_.key_manager->GetKey(slot);
    if (!key.ok() || !key->Matches(authority.public_key)) {
      continue;
    }
    absl::Status deleted = config_.key_manager->DeleteKey(slot);
    if (!deleted.ok() && !absl::IsNotFound(deleted)) {
      return deleted;
    }
  }
  return absl::OkStatus();
}

}  // namespace sigil::server
