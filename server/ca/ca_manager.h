// The trust domain's signing authorities: an X.509 CA that signs X509-SVIDs and a JWT key that
// signs JWT-SVIDs, each rotated on its own, and the trust bundle that publishes them.
//
// Each kind (X.509, JWT) has at most one `active` authority (the one that signs), at most one
// `prepared` authority (the next one, already in the bundle so that relying parties trust it
// before it signs anything) and any number of `old` ones (retired, kept in the bundle while
// what they signed may still be in use). The timeline of one authority, with life L =
// notAfter - notBefore (24 h by default):
//
//   prepared ──(previous one reaches 5/6 of its life)──▶ active
//   active ──(reaches L/2: the next one is prepared; reaches 5L/6: the next one takes over)──▶ old
//   old ──(notAfter + old_authority_grace passed)──▶ pruned: out of the bundle, journal and keys
//
// Every change of the bundle's content raises its sequence number by one and stores the
// re-encoded SPIFFE bundle with DataStore::SetBundle. The authorities live in the datastore's
// CA journal (UpsertAuthority) and their keys in a KeyManager, so a new CaManager on the same
// datastore and key directory carries on where the previous one stopped.
//
// Keys: each kind uses two key manager slots ("x509-ca-a"/"x509-ca-b", "jwt-key-a"/
// "jwt-key-b"), one for the active and one for the prepared authority; a slot is reused once
// its authority is old, and the authority's key is found again at start by matching public
// keys. An old authority needs no private key: it only verifies.
//
// The journal's certificate_der of an X.509 authority holds the CA certificate followed by any
// upstream intermediates, concatenated DER (read it with ParseDerCertificates).
//
// Thread-safety: every method may be called from any thread. Changes (Tick and the manual
// controls) are serialised by one mutex and may take milliseconds (key generation, datastore
// writes); List() waits for a change in progress. Signing, Bundle(), ActiveX509Ca() and
// TaintedAuthorities() never touch the datastore and never wait for a change: they take a
// second mutex only long enough to copy a shared_ptr to an immutable snapshot.
#ifndef SIGIL_SERVER_CA_CA_MANAGER_H_
#define SIGIL_SERVER_CA_CA_MANAGER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

#include "server/ca/key_manager.h"
#include "server/ca/upstream_authority.h"
#include "server/datastore/datastore.h"
#include "server/datastore/types.h"
#include "sigil/bundle.h"
#include "sigil/certificate.h"
#include "sigil/jwt_svid.h"
#include "sigil/keys.h"
#include "sigil/secret_bytes.h"
#include "sigil/spiffe_id.h"
#include "sigil/x509_issuer.h"

namespace sigil::server {

namespace ca_internal {
struct Authority;
struct Snapshot;
}  // namespace ca_internal

inline constexpr absl::Duration kDefaultBundleRefreshHint = absl::Minutes(5);
// How long an old authority stays in the bundle after its notAfter. Nothing it signed can
// outlive its notAfter (issuance caps every SVID there), so the grace only covers relying
// parties whose clocks run behind and bundles still in flight.
inline constexpr absl::Duration kDefaultOldAuthorityGrace = absl::Hours(1);

struct CaManagerConfig {
  TrustDomain trust_domain;
  // Life of each X.509 CA and JWT key.
  absl::Duration ca_ttl = kDefaultX509CaTtl;
  KeyType x509_key_type = KeyType::kEcP256;
  KeyType jwt_key_type = KeyType::kEcP256;
  // Subject of the X.509 CAs; empty gives sigil::X509CaParams's default.
  std::vector<X509NameEntry> ca_subject;
  // When set, X.509 CAs are intermediates minted by this authority (see upstream_authority.h)
  // and the bundle's X.509 authorities are its roots. Owned.
  std::unique_ptr<UpstreamAuthority> upstream_authority;
  // Required. Owned.
  std::unique_ptr<KeyManager> key_manager;
  // Required. Borrowed: must outlive the manager.
  DataStore* datastore = nullptr;
  // Required. The only source of time for rotation and signing.
  std::function<absl::Time()> clock;
  // spiffe_refresh_hint of the published bundle.
  absl::Duration bundle_refresh_hint = kDefaultBundleRefreshHint;
  absl::Duration old_authority_grace = kDefaultOldAuthorityGrace;
};

// An X509-SVID just signed, and what must travel with it.
struct IssuedX509Svid {
  SignedCertificate leaf;
  // The certificates between the leaf and a bundle root: the signing CA and any upstream
  // intermediates when the CA is upstream-minted; empty when the CA is itself a bundle root.
  std::vector<Certificate> intermediates;
  // The signing CA's authority id (subject key id, hex).
  std::string authority_id;
};

// Called with the new bundle after every change of the bundle or of the set of tainted
// authorities, in order, on the thread that made the change.
using BundleCallback = std::function<void(const std::shared_ptr<const TrustBundle>&)>;

class CaManager {
 public:
  // Loads the journal, the stored bundle and the keys of the active and prepared authorities;
  // finishes revocations a crash interrupted; demotes to old an active or prepared authority
  // whose key is lost or which has expired; makes sure each kind has an active authority
  // (activating the prepared one if there is one, otherwise making a new one); and stores the
  // bundle if it changed (a first start stores sequence number 1). Call Tick() right after.
  //
  // Fails with kInvalidArgument for a bad config (a required member missing, a non-positive
  // ca_ttl, a negative hint or grace), kDataLoss when a journal record cannot be parsed, and
  // passes on key manager, upstream authority and datastore errors.
  static absl::StatusOr<std::unique_ptr<CaManager>> Create(CaManagerConfig config);
  ~CaManager();
  CaManager(const CaManager&) = delete;
  CaManager& operator=(const CaManager&) = delete;

  // Moves the rotation along to the clock's now; the server calls it every few seconds. In
  // order: stores the bundle if an earlier store failed; prunes old authorities (and upstream
  // roots) past notAfter + grace; replaces an expired or missing active authority at once;
  // prepares the next authority when the active one is past half its life; activates the
  // prepared one when the active one is past 5/6 of its life. A preparation is stored in the
  // bundle before anything activates it. Both kinds are handled even when one fails; the
  // first error is returned (a failed step is retried on the next Tick).
  absl::Status Tick();

  // --- Manual control (sigil-server authority show|prepare|activate|taint|revoke) ----------
  // An empty `authority_id` picks the default named for each call. All fail with
  // kFailedPrecondition when the rule they break is about the authority's state, with
  // kNotFound for an unknown id, and pass on datastore and key errors.

  // The authorities of `kind`, oldest first (revoked ones are gone).
  std::vector<AuthorityRecord> List(AuthorityKind kind) const;

  // Prepares the next authority now (it joins the bundle at once). Refused while one is
  // prepared.
  absl::StatusOr<AuthorityRecord> Prepare(AuthorityKind kind);

  // Activates the prepared authority (its id may be given to make sure the right one is
  // activated); the active one becomes old. Refused when none is prepared.
  absl::StatusOr<AuthorityRecord> Activate(AuthorityKind kind, std::string_view authority_id = "");

  // Marks an old authority tainted: agents are to replace everything chained to it. Defaults
  // to the only old authority. Refused for the active authority (rotate first: prepare,
  // activate, then taint the now-old one), for a prepared one (it has signed nothing: revoke
  // it instead), and for one already tainted.
  absl::StatusOr<AuthorityRecord> Taint(AuthorityKind kind, std::string_view authority_id = "");

  // Removes an authority from the bundle, the journal and the key manager: what it signed is
  // no longer trusted. Defaults to the only old authority. Refused for the active authority;
  // an old X.509 authority must be tainted first (as SPIRE requires), so agents have replaced
  // their SVIDs before the trust goes; a prepared one has signed nothing and may go at once;
  // and an upstream-minted X.509 CA cannot be revoked this way, because the bundle holds the
  // upstream root it chains to, not the CA. JWT authorities need no taint first.
  absl::StatusOr<AuthorityRecord> Revoke(AuthorityKind kind, std::string_view authority_id = "");

  // Tainted authorities of both kinds, for the sync layer to push to agents.
  std::vector<AuthorityRecord> TaintedAuthorities() const;

  // --- Signing (hot path) -----------------------------------------------------------------

  // Signs an X509-SVID for the SubjectPublicKeyInfo DER `spki_der` with the active CA; the
  // notAfter is capped at the CA's. Errors as X509Issuer::SignSvidForSpki (kInvalidArgument
  // for bad params or SPKI, kFailedPrecondition when the CA has expired).
  absl::StatusOr<IssuedX509Svid> SignX509Svid(const X509SvidParams& params,
                                              std::string_view spki_der) const;
  absl::StatusOr<IssuedX509Svid> SignX509SvidForKey(const X509SvidParams& params,
                                                    const PublicKey& key) const;
  // Signs a JWT-SVID with the active JWT key, naming its kid; an expiry past the key's
  // notAfter is brought back to it. Errors as sigil::SignJwtSvid, plus kFailedPrecondition
  // when the key has expired.
  absl::StatusOr<SecretBytes> SignJwtSvid(const JwtSvidClaims& claims) const;
  // Limitation: there is no SignDownstreamCa yet, so entries marked `downstream` cannot obtain
  // an intermediate CA from this server.

  // --- State ------------------------------------------------------------------------------

  // The last stored bundle: X.509 and JWT authorities (JWT ones with expires_at = notAfter),
  // sequence number and refresh hint. Never null.
  std::shared_ptr<const TrustBundle> Bundle() const;
  // The active X.509 CA certificate. kFailedPrecondition only when a failed Tick left no
  // active authority (Create() always leaves one).
  absl::StatusOr<Certificate> ActiveX509Ca() const;
  // Registers `callback` for the manager's lifetime. It must not call Tick or the manual
  // controls (they would wait for the change that is calling it).
  void Subscribe(BundleCallback callback);

 private:
  using Authority = ca_internal::Authority;
  using Snapshot = ca_internal::Snapshot;

  explicit CaManager(CaManagerConfig config);

  std::vector<Authority>& AuthoritiesOf(AuthorityKind kind) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  const std::vector<Authority>& AuthoritiesOf(AuthorityKind kind) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The authority of `kind` in `state` that is not on its way out; null when there is none.
  Authority* Find(AuthorityKind kind, AuthorityState state) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<Authority*> FindForControl(AuthorityKind kind, std::string_view authority_id,
                                            std::string_view verb)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Start (ca_manager.cc).
  absl::Status Load(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status LoadStoredBundle() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status SettleStates(AuthorityKind kind, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status LoadKey(Authority& authority) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Making and moving authorities (ca_manager_authorities.cc).
  absl::StatusOr<Authority> MakeAuthority(AuthorityKind kind, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<Authority> MakeX509Authority(const PrivateKey& key, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<Authority> MakeJwtAuthority(const PrivateKey& key, absl::Time now) const;
  absl::StatusOr<std::string> FreeKeySlot(AuthorityKind kind) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Write(Authority& authority, AuthorityRecord updated)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Retire(Authority& authority, std::string_view reason)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<AuthorityRecord> PrepareLocked(AuthorityKind kind, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<AuthorityRecord> CreateActiveLocked(AuthorityKind kind, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status ActivateLocked(AuthorityKind kind, Authority& next, std::string_view reason)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status RotateKind(AuthorityKind kind, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Prune(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status FinishRemovals() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status DeleteKeyOf(const Authority& authority) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Publication (ca_manager_publish.cc).
  absl::StatusOr<TrustBundle> BuildBundle() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Stores the bundle when its content changed (sequence number + 1), then installs a new
  // signing snapshot and tells subscribers when the bundle or the tainted set changed.
  absl::Status Publish() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::shared_ptr<const Snapshot> InstallSnapshot(std::shared_ptr<const TrustBundle> bundle)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::shared_ptr<const Snapshot> CurrentSnapshot() const;

  const CaManagerConfig config_;

  // Serialises every change: journal, keys, bundle publication, subscriber calls.
  mutable absl::Mutex mu_;
  std::vector<Authority> x509_ ABSL_GUARDED_BY(mu_);
  std::vector<Authority> jwt_ ABSL_GUARDED_BY(mu_);
  // X.509 bundle authorities that are not this server's own CAs: upstream roots.
  std::vector<Certificate> upstream_roots_ ABSL_GUARDED_BY(mu_);
  std::string published_document_ ABSL_GUARDED_BY(mu_);
  int64_t published_sequence_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::string> published_tainted_ ABSL_GUARDED_BY(mu_);

  mutable absl::Mutex subscribers_mu_;
  std::vector<BundleCallback> subscribers_ ABSL_GUARDED_BY(subscribers_mu_);

  mutable absl::Mutex snapshot_mu_;
  std::shared_ptr<const Snapshot> snapshot_ ABSL_GUARDED_BY(snapshot_mu_);
};

}  // namespace sigil::server

#endif  // SIGIL_SERVER_CA_CA_MANAGER_H_
