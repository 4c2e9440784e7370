// The records sigil-server keeps in its datastore: registration entries, attested nodes, join
// tokens, bundles, the CA journal, federation relationships, the issuance ledger and the change
// log. They are plain values with no knowledge of how they are stored; the Validate* helpers
// check every field against the rules below and name the field and the rule on failure.
#ifndef SIGIL_SERVER_DATASTORE_TYPES_H_
#define SIGIL_SERVER_DATASTORE_TYPES_H_

#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "sigil/secret_bytes.h"
#include "sigil/spiffe_id.h"

namespace sigil::server {

inline constexpr size_t kMaxSelectorTypeLength = 64;
inline constexpr size_t kMaxSelectorValueLength = 1024;
inline constexpr size_t kMaxEntrySelectors = 64;
inline constexpr size_t kMaxNodeSelectors = 512;
inline constexpr size_t kMaxEntryIdLength = 255;
inline constexpr size_t kMaxDnsNames = 64;
inline constexpr size_t kMaxDnsNameLength = 253;
inline constexpr size_t kMaxFederatesWith = 64;
inline constexpr size_t kMaxHintLength = 1024;
inline constexpr size_t kMaxOwnerLength = 256;
inline constexpr size_t kMaxDescriptionLength = 4096;
inline constexpr size_t kMaxAttestationTypeLength = 64;
inline constexpr size_t kMaxSerialLength = 128;
inline constexpr size_t kMaxAddressLength = 256;
inline constexpr size_t kMaxJoinTokenLength = 512;
inline constexpr size_t kMaxBundleDocumentBytes = 4 << 20;
inline constexpr size_t kMaxAuthorityIdLength = 256;
inline constexpr size_t kMaxAuthorityDerBytes = 64 << 10;
inline constexpr size_t kMaxUrlLength = 2048;
inline constexpr size_t kMaxErrorTextLength = 4096;
inline constexpr size_t kMaxFingerprintLength = 128;
inline constexpr size_t kMaxAudiences = 32;
inline constexpr size_t kMaxAudienceLength = 1024;

// A selector such as "unix:uid:1000": type "unix", value "uid:1000". The type is 1 to 64 bytes
// of [a-z0-9_-]; the value is 1 to 1024 bytes with no control characters (bytes below 0x20 and
// 0x7f), and may itself contain colons.
struct Selector {
  std::string type;
  std::string value;

  // Splits `text` at its first colon and validates both halves.
  static absl::StatusOr<Selector> Parse(std::string_view text);
  // "type:value".
  std::string ToString() const;

  friend bool operator==(const Selector&, const Selector&) = default;
  friend auto operator<=>(const Selector&, const Selector&) = default;
};

absl::Status ValidateSelector(const Selector& selector);

// A registration entry: which SPIFFE ID a workload matching `selectors` gets from an agent (or
// node alias) named `parent_id`. No two entries share (spiffe_id, parent_id, selector set).
// The store owns `revision`, `created_at` and `updated_at`; anything the caller puts there is
// ignored on writes.
struct RegistrationEntry {
  // Empty on create asks the store for a random UUIDv4. Otherwise 1 to 255 bytes of
  // [A-Za-z0-9._-].
  std::string entry_id;
  SpiffeId spiffe_id;  // never a bare trust domain ID
  SpiffeId parent_id;
  // At least one, at most 64, no duplicates. The store returns them sorted.
  std::vector<Selector> selectors;
  int32_t x509_svid_ttl_seconds = 0;   // 0: the server's default; never negative
  int32_t jwt_svid_ttl_seconds = 0;    // 0: the server's default; never negative
  std::vector<std::string> dns_names;  // in the order given; the first becomes the CN
  std::vector<TrustDomain> federates_with;
  bool admin = false;
  bool downstream = false;
  std::string hint;
  std::optional<absl::Time> expires_at;
  // 1 after creation, plus one on every update.
  int64_t revision = 0;
  std::string owner;
  std::string description;
  absl::Time created_at;
  absl::Time updated_at;
};

// Checks every caller-owned field of `entry`; an empty entry_id passes (the store fills it).
absl::Status ValidateRegistrationEntry(const RegistrationEntry& entry);

// An agent that has attested. `serial` is its current agent SVID's serial (hex); `new_serial`
// the one issued during a rotation and not yet seen in use. All fields are the caller's.
struct AttestedNode {
  SpiffeId spiffe_id;
  std::string attestation_type;  // 1 to 64 bytes of [a-z0-9_-], e.g. "join_token"
  std::string serial;
  absl::Time expires_at;
  std::string new_serial;
  absl::Time new_expires_at;
  bool banned = false;
  bool can_reattest = false;
  std::vector<Selector> selectors;  // at most 512, no duplicates; returned sorted
  absl::Time attested_at;
  absl::Time last_seen_at;
  std::string last_address;
};

absl::Status ValidateAttestedNode(const AttestedNode& node);

// A single-use join token. The store keeps only its SHA-256, so `token` is known only to
// whoever created it or presents it.
struct JoinToken {
  SecretBytes token;  // 1 to 512 bytes
  absl::Time expires_at;
  // When set, the agent that joins with this token gets a node alias with this SPIFFE ID.
  std::optional<SpiffeId> alias_id;
};

absl::Status ValidateJoinToken(const JoinToken& token);

// A trust domain's bundle, own or federated. `document` is the encoded SPIFFE bundle JSON; the
// store treats it as opaque text of at most 4 MiB. `updated_at` is set by the store.
struct BundleRecord {
  TrustDomain trust_domain;
  std::string document;
  int64_t sequence_number = 0;  // never negative
  absl::Time updated_at;
};

absl::Status ValidateBundleRecord(const BundleRecord& bundle);

enum class AuthorityKind { kX509, kJwt };
enum class AuthorityState { kPrepared, kActive, kOld };

// "x509" / "jwt"; "prepared" / "active" / "old".
std::string_view AuthorityKindName(AuthorityKind kind);
absl::StatusOr<AuthorityKind> ParseAuthorityKind(std::string_view name);
std::string_view AuthorityStateName(AuthorityState state);
absl::StatusOr<AuthorityState> ParseAuthorityState(std::string_view name);

// One signing authority in the CA journal. `authority_id` is the subject key ID in hex for
// X.509 and the `kid` for JWT. `created_at` is set by the store when the record is first
// written and kept by later upserts.
struct AuthorityRecord {
  AuthorityKind kind = AuthorityKind::kX509;
  std::string authority_id;  // 1 to 256 printable ASCII bytes, no spaces
  AuthorityState state = AuthorityState::kPrepared;
  bool tainted = false;
  bool revoked = false;
  std::string public_key_der;   // SubjectPublicKeyInfo, 1 byte to 64 KiB
  std::string certificate_der;  // X.509 only (required there); empty for JWT
  std::string upstream_authority_id;
  absl::Time not_before;
  absl::Time not_after;  // after not_before
  absl::Time created_at;
};

absl::Status ValidateAuthorityRecord(const AuthorityRecord& authority);

enum class FederationProfile { kHttpsWeb, kHttpsSpiffe };

// "https_web" / "https_spiffe".
std::string_view FederationProfileName(FederationProfile profile);
absl::StatusOr<FederationProfile> ParseFederationProfile(std::string_view name);

// What the federation client last saw at a relationship's bundle endpoint.
struct FederationRefreshState {
  std::optional<absl::Time> last_refresh;
  std::string last_error;  // empty after a successful refresh; at most 4096 bytes
  int64_t last_sequence = 0;
};

// How the server fetches a foreign trust domain's bundle.
struct FederationRelationship {
  TrustDomain trust_domain;
  std::string bundle_endpoint_url;  // "https://...", at most 2048 bytes
  FederationProfile profile = FederationProfile::kHttpsWeb;
  // Required for https_spiffe, refused for https_web.
  std::optional<SpiffeId> endpoint_spiffe_id;
  FederationRefreshState refresh;
};

absl::Status ValidateFederationRelationship(const FederationRelationship& relationship);
absl::Status ValidateFederationRefreshState(const FederationRefreshState& refresh);

enum class SvidKind { kX509, kJwt };

// "x509" / "jwt".
std::string_view SvidKindName(SvidKind kind);
absl::StatusOr<SvidKind> ParseSvidKind(std::string_view name);

// One SVID the server issued: the issuance ledger's row.
struct IssuanceRecord {
  absl::Time issued_at;
  SvidKind kind = SvidKind::kX509;
  SpiffeId spiffe_id;
  std::string entry_id;              // empty for SVIDs minted without an entry
  std::optional<SpiffeId> agent_id;  // absent for SVIDs minted through the admin API
  std::string serial;                // hex for X.509; empty or the jti for JWT
  std::string key_fingerprint;       // SPKI SHA-256 hex for X.509
  absl::Time expires_at;
  std::vector<std::string> audiences;  // JWT only; at most 32
};

absl::Status ValidateIssuanceRecord(const IssuanceRecord& record);

// What changed, as recorded in the change log.
enum class EventKind {
  kEntryCreated,
  kEntryUpdated,
  kEntryDeleted,
  kNodeCreated,
  kNodeUpdated,
  kNodeBanned,
  kNodeEvicted,
  kBundleSet,
  kBundleDeleted,
  kAuthoritySet,
  kAuthorityDeleted,
  kFederationSet,
  kFederationDeleted,
};

// "entry_created", "node_banned", ...
std::string_view EventKindName(EventKind kind);
absl::StatusOr<EventKind> ParseEventKind(std::string_view name);

// One change-log event. `revision` rises by at least one per event, in commit order.
// `subject` names what changed: an entry ID, a node's SPIFFE ID, a trust domain name, or
// "<kind>:<authority_id>" for authorities.
struct Event {
  int64_t revision = 0;
  EventKind kind = EventKind::kEntryCreated;
  std::string subject;
  absl::Time recorded_at;
};

}  // namespace sigil::server

#endif  // SIGIL_SERVER_DATASTORE_TYPES_H_
