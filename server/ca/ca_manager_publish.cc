// CaManager: the bundle, the signing snapshot and the hot-path signing calls.
#define SIGIL_LOG_COMPONENT "ca"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

#include "server/ca/ca_manager.h"
#include "server/ca/ca_manager_internal.h"
#include "sigil/log.h"
#include "sigil/status.h"

namespace sigil::server {

using ca_internal::Authority;

absl::StatusOr<TrustBundle> CaManager::BuildBundle() {
  TrustBundle bundle(config_.trust_domain);
  bundle.set_refresh_hint(config_.bundle_refresh_hint);
  for (const Certificate& root : upstream_roots_) {
    bundle.AddX509Authority(root);
  }
  // An upstream-minted CA is an intermediate: relying parties trust the upstream root instead,
  // and the CA travels with each SVID.
  for (const Authority& authority : x509_) {
    if (!authority.leaving() && !authority.upstream_minted()) {
      bundle.AddX509Authority(authority.chain.front());
    }
  }
  for (const Authority& authority : jwt_) {
    if (!authority.leaving()) {
      SIGIL_RETURN_IF_ERROR(bundle.AddJwtAuthority(JwtAuthority{
          .key_id = authority.id(),
          .public_key = authority.public_key,
          .expires_at = authority.record.not_after,
      }));
    }
  }
  return bundle;
}

absl::Status CaManager::Publish() {
  SIGIL_ASSIGN_OR_RETURN(TrustBundle bundle, BuildBundle());
  // Encoded with the current sequence number, an unchanged bundle gives the stored document.
  bundle.set_sequence_number(static_cast<uint64_t>(published_sequence_));
  SIGIL_ASSIGN_OR_RETURN(std::string document, EncodeSpiffeBundle(bundle));
  const bool bundle_changed = document != published_document_;
  if (bundle_changed) {
    const int64_t sequence = published_sequence_ + 1;
    bundle.set_sequence_number(static_cast<uint64_t>(sequence));
    SIGIL_ASSIGN_OR_RETURN(document, EncodeSpiffeBundle(bundle));
    SIGIL_RETURN_IF_ERROR(config_.datastore
                              ->SetBundle(BundleRecord{.trust_domain = config_.trust_domain,
                                                       .document = document,
                                                       .sequence_number = sequence})
                              .status());
    published_document_ = std::move(document);
    published_sequence_ = sequence;
    const std::string sequence_text = absl::StrCat(sequence);
    const std::string x509_count = absl::StrCat(bundle.x509_authorities().size());
    const std::string jwt_count = absl::StrCat(bundle.jwt_authorities().size());
    SIGIL_LOG(kInfo, "ca.bundle_published",
              {{"trust_domain", config_.trust_domain.name()},
               {"sequence", sequence_text},
               {"x509_authorities", x509_count},
               {"jwt_authorities", jwt_count}});
  }

  std::shared_ptr<const Snapshot> snapshot =
      InstallSnapshot(std::make_shared<const TrustBundle>(std::move(bundle)));
  std::vector<std::string> tainted;
  for (const AuthorityRecord& record : snapshot->tainted) {
    tainted.push_back(
        absl::StrCat(AsAbsl(AuthorityKindName(record.kind)), ":", record.authority_id));
  }
  const bool tainted_changed = tainted != published_tainted_;
  published_tainted_ = std::move(tainted);
  if (!bundle_changed && !tainted_changed) {
    return absl::OkStatus();
  }

  std::vector<BundleCallback> callbacks;
  {
    absl::MutexLock lock(&subscribers_mu_);
    callbacks = subscribers_;
  }
  for (const BundleCallback& callback : callbacks) {
    callback(snapshot->bundle);
  }
  return absl::OkStatus();
}

std::shared_ptr<const ca_internal::Snapshot> CaManager::InstallSnapshot(
    std::shared_ptr<const TrustBundle> bundle) {
  auto snapshot = std::make_shared<Snapshot>();
  snapshot->bundle = std::move(bundle);
  if (const Authority* active = Find(AuthorityKind::kX509, AuthorityState::kActive);
      active != nullptr && active->issuer.has_value()) {
    snapshot->x509_issuer = active->issuer;
    if (active->upstream_minted()) {
      snapshot->x509_intermediates = active->chain;
    }
    snapshot->x509_authority_id = active->id();
  }
  if (const Authority* active = Find(AuthorityKind::kJwt, AuthorityState::kActive);
      active != nullptr && active->key.has_value()) {
    snapshot->jwt_key = active->key;
    snapshot->jwt_key_id = active->id();
    snapshot->jwt_not_after = active->record.not_after;
  }
  for (const std::vector<Authority>* authorities : {&x509_, &jwt_}) {
    for (const Authority& authority : *authorities) {
      if (!authority.leaving() && authority.record.tainted) {
        snapshot->tainted.push_back(authority.record);
      }
    }
  }

  std::shared_ptr<const Snapshot> installed = std::move(snapshot);
  absl::MutexLock lock(&snapshot_mu_);
  snapshot_ = installed;
  return installed;
}

std::shared_ptr<const ca_internal::Snapshot> CaManager::CurrentSnapshot() const {
  absl::ReaderMutexLock lock(&snapshot_mu_);
  return snapshot_;
}

absl::StatusOr<IssuedX509Svid> CaManager::SignX509Svid(const X509SvidParams& params,
                                                       std::string_view spki_der) const {
  const std::shared_ptr<const Snapshot> snapshot = CurrentSnapshot();
  if (!snapshot->x509_issuer.has_value()) {
    return absl::FailedPreconditionError("no active X.509 authority can sign");
  }
  SIGIL_ASSIGN_OR_RETURN(SignedCertificate leaf,
                         snapshot->x509_issuer->SignSvidForSpki(params, spki_der, config_.clock()));
  return IssuedX509Svid{.leaf = std::move(leaf),
                        .intermediates = snapshot->x509_intermediates,
                        .authority_id = snapshot->x509_authority_id};
}

absl::StatusOr<IssuedX509Svid> CaManager::SignX509SvidForKey(const X509SvidParams& params,
                                                             const PublicKey& key) const {
  const std::shared_ptr<const Snapshot> snapshot = CurrentSnapshot();
  if (!snapshot->x509_issuer.has_value()) {
    return absl::FailedPreconditionError("no active X.509 authority can sign");
  }
  SIGIL_ASSIGN_OR_RETURN(SignedCertificate leaf,
                         snapshot->x509_issuer->SignSvid(params, key, config_.clock()));
  return IssuedX509Svid{.leaf = std::move(leaf),
                        .intermediates = snapshot->x509_intermediates,
                        .authority_id = snapshot->x509_authority_id};
}

absl::StatusOr<SecretBytes> CaManager::SignJwtSvid(const JwtSvidClaims& claims) const {
  const std::shared_ptr<const Snapshot> snapshot = CurrentSnapshot();
  if (!snapshot->jwt_key.has_value()) {
    return absl::FailedPreconditionError("no active JWT authority can sign");
  }
  const absl::Time now = config_.clock();
  if (now >= snapshot->jwt_not_after) {
    return absl::FailedPreconditionError(
        absl::StrCat("the active JWT key ", snapshot->jwt_key_id, " expired at ",
                     ca_internal::FormatRfc3339(snapshot->jwt_not_after)));
  }
  // A token must not outlive the key that verifies it: validators drop the key from the
  // bundle once it expires.
  if (claims.expires_at > snapshot->jwt_not_after) {
    JwtSvidClaims capped = claims;
    capped.expires_at = snapshot->jwt_not_after;
    return sigil::SignJwtSvid(capped, *snapshot->jwt_key, snapshot->jwt_key_id, now);
  }
  return sigil::SignJwtSvid(claims, *snapshot->jwt_key, snapshot->jwt_key_id, now);
}

std::shared_ptr<const TrustBundle> CaManager::Bundle() const { return CurrentSnapshot()->bundle; }

absl::StatusOr<Certificate> CaManager::ActiveX509Ca() const {
  const std::shared_ptr<const Snapshot> snapshot = CurrentSnapshot();
  if (!snapshot->x509_issuer.has_value()) {
    return absl::FailedPreconditionError("no active X.509 authority");
  }
  return snapshot->x509_issuer->certificate();
}

std::vector<AuthorityRecord> CaManager::TaintedAuthorities() const {
  return CurrentSnapshot()->tainted;
}

void CaManager::Subscribe(BundleCallback callback) {
  absl::MutexLock lock(&subscribers_mu_);
  subscribers_.push_back(std::move(callback));
}

}  // namespace sigil::server
