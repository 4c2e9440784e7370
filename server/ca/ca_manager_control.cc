// CaManager: the operator's controls (sigil-server authority show|prepare|activate|taint|revoke).
#define SIGIL_LOG_COMPONENT "ca"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

#include "server/ca/ca_manager.h"
#include "server/ca/ca_manager_internal.h"
#include "sigil/log.h"
#include "sigil/status.h"

namespace sigil::server {
namespace {

using ca_internal::Authority;
using ca_internal::LogAuthority;

std::string Name(AuthorityKind kind, std::string_view id) {
  return absl::StrCat(AsAbsl(AuthorityKindName(kind)), " authority ", AsAbsl(id));
}

}  // namespace

absl::StatusOr<Authority*> CaManager::FindForControl(AuthorityKind kind,
                                                     std::string_view authority_id,
                                                     std::string_view verb) {
  std::vector<Authority>& authorities = AuthoritiesOf(kind);
  if (!authority_id.empty()) {
    for (Authority& authority : authorities) {
      if (!authority.leaving() && authority.id() == authority_id) {
        return &authority;
      }
    }
    return absl::NotFoundError(absl::StrCat("no ", Name(kind, authority_id)));
  }

  std::vector<Authority*> old;
  for (Authority& authority : authorities) {
    if (!authority.leaving() && authority.state() == AuthorityState::kOld) {
      old.push_back(&authority);
    }
  }
  if (old.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("there is no old ", AsAbsl(AuthorityKindName(kind)), " authority to ",
                     AsAbsl(verb), "; name one with --id"));
  }
  if (old.size() > 1) {
    std::vector<std::string> ids;
    for (const Authority* authority : old) {
      ids.push_back(authority->id());
    }
    return absl::InvalidArgumentError(absl::StrCat(
        "there are ", old.size(), " old ", AsAbsl(AuthorityKindName(kind)), " authorities (",
        absl::StrJoin(ids, ", "), "); name the one to ", AsAbsl(verb), " with --id"));
  }
  return old.front();
}

std::vector<AuthorityRecord> CaManager::List(AuthorityKind kind) const {
  absl::MutexLock lock(&mu_);
  std::vector<AuthorityRecord> records;
  for (const Authority& authority : AuthoritiesOf(kind)) {
    if (!authority.leaving()) {
      records.push_back(authority.record);
    }
  }
  return records;
}

absl::StatusOr<AuthorityRecord> CaManager::Prepare(AuthorityKind kind) {
  absl::MutexLock lock(&mu_);
  SIGIL_RETURN_IF_ERROR(Publish());
  SIGIL_ASSIGN_OR_RETURN(AuthorityRecord prepared, PrepareLocked(kind, config_.clock()));
  SIGIL_RETURN_IF_ERROR(Publish());
  return prepared;
}

absl::StatusOr<AuthorityRecord> CaManager::Activate(AuthorityKind kind,
                                                    std::string_view authority_id) {
  absl::MutexLock lock(&mu_);
  // The prepared authority must be in the stored bundle before it signs anything.
  SIGIL_RETURN_IF_ERROR(Publish());
  Authority* prepared = Find(kind, AuthorityState::kPrepared);
  if (!authority_id.empty() && (prepared == nullptr || prepared->id() != authority_id)) {
    SIGIL_ASSIGN_OR_RETURN(Authority * named, FindForControl(kind, authority_id, "activate"));
    return absl::FailedPreconditionError(
        absl::StrCat(Name(kind, authority_id), " is ", AsAbsl(AuthorityStateName(named->state())),
                     "; only the prepared authority can be activated"));
  }
  if (prepared == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat("no ", AsAbsl(AuthorityKindName(kind)),
                                                      " authority is prepared; prepare one first"));
  }
  SIGIL_RETURN_IF_ERROR(ActivateLocked(kind, *prepared, "activated by the operator"));
  const AuthorityRecord activated = prepared->record;
  SIGIL_RETURN_IF_ERROR(Publish());
  return activated;
}

absl::StatusOr<AuthorityRecord> CaManager::Taint(AuthorityKind kind,
                                                 std::string_view authority_id) {
  absl::MutexLock lock(&mu_);
  SIGIL_RETURN_IF_ERROR(Publish());
  SIGIL_ASSIGN_OR_RETURN(Authority * target, FindForControl(kind, authority_id, "taint"));
  const std::string name = Name(kind, target->id());
  switch (target->state()) {
    case AuthorityState::kActive:
      return absl::FailedPreconditionError(
          absl::StrCat(name,
                       " is active and cannot be tainted; rotate first (authority prepare, then "
                       "authority activate), then taint it once it is old"));
    case AuthorityState::kPrepared:
      return absl::FailedPreconditionError(
          absl::StrCat(name, " is prepared and has signed nothing; revoke it instead"));
    case AuthorityState::kOld:
      break;
  }
  if (target->record.tainted) {
    return absl::FailedPreconditionError(absl::StrCat(name, " is already tainted"));
  }

  AuthorityRecord updated = target->record;
  updated.tainted = true;
  SIGIL_RETURN_IF_ERROR(Write(*target, std::move(updated)));
  const AuthorityRecord tainted = target->record;
  LogAuthority("ca.authority_tainted", tainted, "tainted by the operator");
  SIGIL_RETURN_IF_ERROR(Publish());
  return tainted;
}

absl::StatusOr<AuthorityRecord> CaManager::Revoke(AuthorityKind kind,
                                                  std::string_view authority_id) {
  absl::MutexLock lock(&mu_);
  SIGIL_RETURN_IF_ERROR(Publish());
  SIGIL_ASSIGN_OR_RETURN(Authority * target, FindForControl(kind, authority_id, "revoke"));
  const std::string name = Name(kind, target->id());
  if (target->state() == AuthorityState::kActive) {
    return absl::FailedPreconditionError(absl::StrCat(
        name,
        " is active and cannot be revoked; rotate first (authority prepare, then authority "
        "activate), taint it, then revoke it"));
  }
  if (kind == AuthorityKind::kX509 && target->state() == AuthorityState::kOld) {
    if (target->upstream_minted()) {
      return absl::FailedPreconditionError(absl::StrCat(
          name,
          " was minted by the upstream authority: the bundle trusts the upstream root, not this "
          "CA, so removing it would not withdraw trust from what it signed; taint it so agents "
          "replace their SVIDs and let it expire, or rotate the upstream CA"));
    }
    if (!target->record.tainted) {
      return absl::FailedPreconditionError(
          absl::StrCat(name,
                       " is not tainted; taint it first so that agents replace the SVIDs it signed "
                       "before trust in it goes (as SPIRE requires), then revoke it"));
    }
  }

  // The journal says "revoked" before anything is removed, so a crash part-way through is
  // finished by the next start instead of leaving the authority half-removed.
  AuthorityRecord updated = target->record;
  updated.revoked = true;
  SIGIL_RETURN_IF_ERROR(Write(*target, std::move(updated)));
  const AuthorityRecord revoked = target->record;
  LogAuthority("ca.authority_revoked", revoked, "revoked by the operator");
  SIGIL_RETURN_IF_ERROR(Publish());
  SIGIL_RETURN_IF_ERROR(FinishRemovals());
  return revoked;
}

}  // namespace sigil::server
