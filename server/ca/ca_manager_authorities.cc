// CaManager: making authorities and moving them between prepared, active and old.
#define SIGIL_LOG_COMPONENT "ca"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

#include "server/ca/ca_manager.h"
#include "server/ca/ca_manager_internal.h"
#include "server/ca/cert_facts.h"
#include "sigil/log.h"
#include "sigil/status.h"

namespace sigil::server {

namespace ca_internal {

std::array<std::string_view, 2> KeySlots(AuthorityKind kind) {
  if (kind == AuthorityKind::kX509) {
    return {"x509-ca-a", "x509-ca-b"};
  }
  return {"jwt-key-a", "jwt-key-b"};
}

absl::Time PrepareTime(const AuthorityRecord& record) {
  return record.not_before + (record.not_after - record.not_before) / 2;
}

absl::Time ActivateTime(const AuthorityRecord& record) {
  return record.not_before + (record.not_after - record.not_before) * 5 / 6;
}

std::string FormatRfc3339(absl::Time t) {
  return absl::FormatTime(absl::RFC3339_sec, t, absl::UTCTimeZone());
}

void LogAuthority(std::string_view event, const AuthorityRecord& record, std::string_view reason) {
  const std::string not_after = FormatRfc3339(record.not_after);
  SIGIL_LOG(kInfo, event,
            {{"kind", AuthorityKindName(record.kind)},
             {"authority_id", record.authority_id},
             {"state", AuthorityStateName(record.state)},
             {"tainted", record.tainted ? "true" : "false"},
             {"not_after", not_after},
             {"upstream_authority_id", record.upstream_authority_id},
             {"reason", reason}});
}

}  // namespace ca_internal

using ca_internal::Authority;
using ca_internal::LogAuthority;

absl::StatusOr<std::string> CaManager::FreeKeySlot(AuthorityKind kind) {
  for (std::string_view slot : ca_internal::KeySlots(kind)) {
    const std::vector<Authority>& authorities = AuthoritiesOf(kind);
    const bool taken = std::any_of(authorities.begin(), authorities.end(), [&](const Authority& a) {
      return !a.leaving() && a.key.has_value() && a.key_slot == slot;
    });
    if (!taken) {
      return std::string(slot);
    }
  }
  // Only the active and the prepared authority hold keys, and there is never more than one
  // of each, so this means the state was corrupted in memory.
  return absl::InternalError(
      absl::StrCat("both ", AsAbsl(AuthorityKindName(kind)), " key slots are in use"));
}

absl::StatusOr<Authority> CaManager::MakeAuthority(AuthorityKind kind, absl::Time now) {
  SIGIL_ASSIGN_OR_RETURN(std::string slot, FreeKeySlot(kind));
  const KeyType type = kind == AuthorityKind::kX509 ? config_.x509_key_type : config_.jwt_key_type;
  SIGIL_ASSIGN_OR_RETURN(PrivateKey key, config_.key_manager->GenerateKey(slot, type));
  SIGIL_ASSIGN_OR_RETURN(Authority authority, kind == AuthorityKind::kX509
                                                  ? MakeX509Authority(key, now)
                                                  : MakeJwtAuthority(key, now));
  authority.key = std::move(key);
  authority.key_slot = std::move(slot);
  return authority;
}

absl::StatusOr<Authority> CaManager::MakeX509Authority(const PrivateKey& key, absl::Time now) {
  const X509CaParams params{
      .trust_domain = config_.trust_domain, .subject = config_.ca_subject, .ttl = config_.ca_ttl};
  std::vector<Certificate> chain;
  std::string upstream_id;
  if (config_.upstream_authority != nullptr) {
    SIGIL_ASSIGN_OR_RETURN(MintedX509Ca minted,
                           config_.upstream_authority->MintX509Ca(params, key.public_key(), now));
    if (minted.chain.empty() || minted.upstream_roots.empty()) {
      return absl::InternalError(
          "upstream authority returned no CA certificate or no root to trust");
    }
    absl::StatusOr<PublicKey> minted_key = minted.chain.front().public_key();
    if (!minted_key.ok() || !key.Matches(*minted_key) || !minted.chain.front().IsCa()) {
      return absl::InternalError(
          "upstream authority returned a certificate that is not a CA for the key it was given");
    }
    chain = std::move(minted.chain);
    // Roots are trusted from now on, even if the journal write below fails: trusting a root a
    // moment early is harmless, while a CA chained to a root missing from the bundle is not.
    for (Certificate& root : minted.upstream_roots) {
      if (std::find(upstream_roots_.begin(), upstream_roots_.end(), root) ==
          upstream_roots_.end()) {
        upstream_roots_.push_back(std::move(root));
      }
    }
    upstream_id = AuthorityKeyIdHex(chain.front());
    if (upstream_id.empty()) {
      upstream_id = "upstream";  // the record must still say it is not a root of ours
    }
  } else {
    SIGIL_ASSIGN_OR_RETURN(Certificate ca, SelfSignX509Ca(params, key, now));
    chain.push_back(std::move(ca));
  }

  SIGIL_ASSIGN_OR_RETURN(std::string id, SubjectKeyIdHex(chain.front()));
  SIGIL_ASSIGN_OR_RETURN(X509Issuer issuer, X509Issuer::Create(chain.front(), key));
  const PublicKey public_key = key.public_key();
  AuthorityRecord record{
      .kind = AuthorityKind::kX509,
      .authority_id = std::move(id),
      .state = AuthorityState::kPrepared,
      .public_key_der = public_key.ToSpkiDer(),
      .certificate_der = ConcatDer(chain),
      .upstream_authority_id = std::move(upstream_id),
      .not_before = chain.front().not_before(),
      .not_after = chain.front().not_after(),
  };
  return Authority{.record = std::move(record),
                   .chain = std::move(chain),
                   .public_key = public_key,
                   .issuer = std::move(issuer)};
}

absl::StatusOr<Authority> CaManager::MakeJwtAuthority(const PrivateKey& key, absl::Time now) const {
  // A random kid, as SPIRE uses: it names the key in the bundle and in every token header and
  // reveals nothing about the key.
  SIGIL_ASSIGN_OR_RETURN(std::string nonce, RandomBytes(16));
  const absl::Time not_before = absl::FromUnixSeconds(absl::ToUnixSeconds(now));
  const PublicKey public_key = key.public_key();
  AuthorityRecord record{
      .kind = AuthorityKind::kJwt,
      .authority_id = HexEncode(nonce),
      .state = AuthorityState::kPrepared,
      .public_key_der = public_key.ToSpkiDer(),
      .not_before = not_before,
      .not_after = not_before + config_.ca_ttl,
  };
  return Authority{.record = std::move(record), .public_key = public_key};
}

absl::Status CaManager::Write(Authority& authority, AuthorityRecord updated) {
  SIGIL_ASSIGN_OR_RETURN(authority.record, config_.datastore->UpsertAuthority(updated));
  return absl::OkStatus();
}

// Moves an active or prepared authority to old. It keeps verifying (it stays in the bundle)
// but never signs again, so its key is let go and its slot can be reused.
absl::Status CaManager::Retire(Authority& authority, std::string_view reason) {
  AuthorityRecord updated = authority.record;
  updated.state = AuthorityState::kOld;
  SIGIL_RETURN_IF_ERROR(Write(authority, std::move(updated)));
  authority.key.reset();
  authority.issuer.reset();
  authority.key_slot.clear();
  LogAuthority("ca.authority_retired", authority.record, reason);
  return absl::OkStatus();
}

absl::StatusOr<AuthorityRecord> CaManager::PrepareLocked(AuthorityKind kind, absl::Time now) {
  if (const Authority* prepared = Find(kind, AuthorityState::kPrepared)) {
    return absl::FailedPreconditionError(
        absl::StrCat(AsAbsl(AuthorityKindName(kind)), " authority ", prepared->id(),
                     " is already prepared; activate or revoke it first"));
  }
  SIGIL_ASSIGN_OR_RETURN(Authority authority, MakeAuthority(kind, now));
  AuthorityRecord record = authority.record;
  SIGIL_RETURN_IF_ERROR(Write(authority, std::move(record)));
  LogAuthority("ca.authority_prepared", authority.record);
  AuthoritiesOf(kind).push_back(std::move(authority));
  return AuthoritiesOf(kind).back().record;
}

absl::StatusOr<AuthorityRecord> CaManager::CreateActiveLocked(AuthorityKind kind, absl::Time now) {
  SIGIL_ASSIGN_OR_RETURN(Authority authority, MakeAuthority(kind, now));
  AuthorityRecord record = authority.record;
  record.state = AuthorityState::kActive;
  SIGIL_RETURN_IF_ERROR(Write(authority, std::move(record)));
  LogAuthority("ca.authority_activated", authority.record, "no usable active authority");
  AuthoritiesOf(kind).push_back(std::move(authority));
  return AuthoritiesOf(kind).back().record;
}

// The current active authority is retired first: a crash between the two writes then leaves
// no active authority and a prepared one, which the next start activates.
absl::Status CaManager::ActivateLocked(AuthorityKind kind, Authority& next,
                                       std::string_view reason) {
  if (Authority* current = Find(kind, AuthorityState::kActive)) {
    SIGIL_RETURN_IF_ERROR(Retire(*current, "its successor was activated"));
  }
  AuthorityRecord updated = next.record;
  updated.state = AuthorityState::kActive;
  SIGIL_RETURN_IF_ERROR(Write(next, std::move(updated)));
  LogAuthority("ca.authority_activated", next.record, reason);
  return absl::OkStatus();
}

}  // namespace sigil::server
