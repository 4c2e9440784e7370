// Internal to sigil_ca: the in-memory form of one authority, the signing snapshot, and the
// helpers the CaManager source files share.
#ifndef SIGIL_SERVER_CA_CA_MANAGER_INTERNAL_H_
#define SIGIL_SERVER_CA_CA_MANAGER_INTERNAL_H_

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "server/ca/ca_manager.h"
#include "server/datastore/types.h"
#include "sigil/bundle.h"
#include "sigil/certificate.h"
#include "sigil/keys.h"
#include "sigil/x509_issuer.h"

namespace sigil::server {

namespace ca_internal {

struct Authority {
  AuthorityRecord record;
  // X.509: the CA certificate, then upstream intermediates (parsed certificate_der).
  std::vector<Certificate> chain;
  PublicKey public_key;
  // Loaded for the active and prepared authorities only; `key_slot` names where it lives.
  std::optional<PrivateKey> key;
  std::string key_slot;
  // Built once for an X.509 authority whose key is loaded.
  std::optional<X509Issuer> issuer;
  // Past notAfter + grace: left out of the next bundle, then deleted once that is stored.
  bool pruning = false;

  const std::string& id() const { return record.authority_id; }
  AuthorityState state() const { return record.state; }
  // Revoked and pruned authorities are on their way out and no longer in the bundle.
  bool leaving() const { return record.revoked || pruning; }
  // True when the journal says it was minted by an upstream authority.
  bool upstream_minted() const { return !record.upstream_authority_id.empty(); }
};

// What signing needs, swapped as a whole after every change.
struct Snapshot {
  std::shared_ptr<const TrustBundle> bundle;
  std::optional<X509Issuer> x509_issuer;
  std::vector<Certificate> x509_intermediates;
  std::string x509_authority_id;
  std::optional<PrivateKey> jwt_key;
  std::string jwt_key_id;
  absl::Time jwt_not_after;
  std::vector<AuthorityRecord> tainted;
};

// The two key manager slots of a kind.
std::array<std::string_view, 2> KeySlots(AuthorityKind kind);

// When the next authority is prepared (half the life) and activated (5/6 of the life).
absl::Time PrepareTime(const AuthorityRecord& record);
absl::Time ActivateTime(const AuthorityRecord& record);

// RFC 3339 UTC to the second, for logs and messages.
std::string FormatRfc3339(absl::Time t);

// Logs one authority event ("ca.authority_prepared", ...) with kind, id, state, not_after and
// the upstream authority id when there is one. Never key material.
void LogAuthority(std::string_view event, const AuthorityRecord& record,
                  std::string_view reason = "");

}  // namespace ca_internal
}  // namespace sigil::server

#endif  // SIGIL_SERVER_CA_CA_MANAGER_INTERNAL_H_
