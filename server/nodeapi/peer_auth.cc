#include "server/nodeapi/peer_auth.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include <grpc/grpc_security_constants.h>

#include "attestors/node/node_attestor.h"
#include "sigil/certificate.h"
#include "sigil/log.h"
#include "sigil/status.h"
#include "sigil/x509_verify.h"

namespace sigil::server {
namespace {
constexpr std::string_view kLogComponent = "nodeapi";

// The PEM texts gRPC reports are a leaf and a short chain: anything larger is not an SVID.
constexpr size_t kMaxPeerPem = 64 * 1024;

std::string_view FirstProperty(const grpc::AuthContext& auth, const char* name) {
  std::vector<grpc::string_ref> values = auth.FindPropertyValues(name);
  if (values.empty()) {
    return {};
  }
  return std::string_view(values.front().data(), values.front().size());
}

}  // namespace

PeerAuthenticator::PeerAuthenticator(TrustDomain trust_domain, BundleSource bundle,
                                     Registry& registry, DataStore& datastore, size_t cache_size)
    : trust_domain_(std::move(trust_domain)),
      bundle_(std::move(bundle)),
      registry_(registry),
      datastore_(datastore),
      cache_size_(std::max<size_t>(cache_size, 1)) {}

absl::StatusOr<AuthenticatedAgent> PeerAuthenticator::Authenticate(
    const grpc::ServerContextBase& ctx, absl::Time now) {
  std::shared_ptr<const grpc::AuthContext> auth = ctx.auth_context();
  if (auth == nullptr) {
    return absl::UnauthenticatedError("no TLS client certificate: only Attest is allowed");
  }
  const std::string_view leaf = FirstProperty(*auth, GRPC_X509_PEM_CERT_PROPERTY_NAME);
  const std::string_view chain = FirstProperty(*auth, GRPC_X509_PEM_CERT_CHAIN_PROPERTY_NAME);
  return AuthenticatePem(leaf, chain, now);
}

absl::StatusOr<AuthenticatedAgent> PeerAuthenticator::AuthenticatePem(std::string_view leaf_pem,
                                                                      std::string_view chain_pem,
                                                                      absl::Time now) {
  if (leaf_pem.empty()) {
    return absl::UnauthenticatedError("no TLS client certificate: only Attest is allowed");
  }
  if (leaf_pem.size() > kMaxPeerPem || chain_pem.size() > kMaxPeerPem) {
    return absl::UnauthenticatedError("client certificate chain is too large to be an agent SVID");
  }
  std::shared_ptr<const TrustBundle> bundle = bundle_();
  const uint64_t sequence = bundle->sequence_number().value_or(0);

  std::optional<Verified> verified = Lookup(leaf_pem, sequence);
  if (!verified.has_value()) {
    SIGIL_ASSIGN_OR_RETURN(Verified fresh, VerifyCertificate(leaf_pem, chain_pem, *bundle, now));
    fresh.bundle_sequence = sequence;
    Remember(leaf_pem, fresh);
    verified = std::move(fresh);
  } else if (now >= verified->not_after) {
    return absl::UnauthenticatedError(
        absl::StrCat("agent SVID of ", verified->id.str(), " has expired"));
  }

  SIGIL_ASSIGN_OR_RETURN(std::shared_ptr<const AttestedNode> node, CheckNode(*verified, now));
  return AuthenticatedAgent{.id = verified->id,
                            .serial = verified->serial,
                            .svid_expires_at = verified->not_after,
                            .node = std::move(node)};
}

absl::StatusOr<PeerAuthenticator::Verified> PeerAuthenticator::VerifyCertificate(
    std::string_view leaf_pem, std::string_view chain_pem, const TrustBundle& bundle,
    absl::Time now) const {
  // The leaf comes from its own property; the chain property (whose order gRPC does not
  // promise, and which may hold the root) only supplies intermediates.
  absl::StatusOr<std::vector<Certificate>> chain = ParsePemCertificates(leaf_pem, 1);
  if (!chain.ok() || chain->empty()) {
    return absl::UnauthenticatedError(
        absl::StrCat("client certificate is unreadable: ",
                     chain.ok() ? "no certificate" : std::string(chain.status().message())));
  }
  if (!chain_pem.empty()) {
    absl::StatusOr<std::vector<Certificate>> presented = ParsePemCertificates(chain_pem);
    if (!presented.ok()) {
      return absl::UnauthenticatedError(
          absl::StrCat("client certificate chain is unreadable: ", presented.status().message()));
    }
    for (Certificate& cert : *presented) {
      if (!(cert == chain->front())) {
        chain->push_back(std::move(cert));
      }
    }
  }
  absl::StatusOr<VerifiedX509Svid> svid = VerifyX509Svid(*chain, bundle, now);
  if (!svid.ok()) {
    return absl::UnauthenticatedError(
        absl::StrCat("client certificate is not a valid SVID of trust domain ",
                     trust_domain_.name(), ": ", svid.status().message()));
  }
  if (!svid->spiffe_id.path().starts_with(attestors::kAgentPathPrefix)) {
    return absl::PermissionDeniedError(
        absl::StrCat(svid->spiffe_id.str(), " is not an agent ID (spiffe://", trust_domain_.name(),
                     AsAbsl(attestors::kAgentPathPrefix), "...)"));
  }
  const Certificate& leaf = chain->front();
  return Verified{.id = svid->spiffe_id, .serial = leaf.SerialHex(), .not_after = leaf.not_after()};
}

absl::StatusOr<std::shared_ptr<const AttestedNode>> PeerAuthenticator::CheckNode(
    const Verified& verified, absl::Time now) {
  std::shared_ptr<const AttestedNode> node = registry_.FindNode(verified.id);
  if (node == nullptr) {
    return absl::PermissionDeniedError(
        absl::StrCat("agent ", verified.id.str(), " is not attested (evicted?): attest again"));
  }
  if (node->banned) {
    return absl::PermissionDeniedError(absl::StrCat("agent ", verified.id.str(), " is banned"));
  }
  if (verified.serial == node->serial) {
    return node;
  }
  if (verified.serial != node->new_serial || node->new_serial.empty()) {
    return absl::PermissionDeniedError(
        absl::StrCat("agent ", verified.id.str(), " presented an SVID that is no longer current"));
  }

  // First call with a renewed SVID: the agent evidently has it, so the old one retires. Until
  // now both stayed valid, in case the renewal's answer never reached the agent.
  AttestedNode promoted = *node;
  promoted.serial = promoted.new_serial;
  promoted.expires_at = promoted.new_expires_at;
  promoted.new_serial.clear();
  promoted.new_expires_at = absl::Time();
  // The registry's copy does not follow last-seen updates (they append no event).
  promoted.last_seen_at = now;
  absl::StatusOr<AttestedNode> stored = datastore_.UpdateNode(promoted);
  if (!stored.ok()) {
    // The call may proceed: the serial is one we issued. The promotion is retried next call.
    SIGIL_LOG(kWarn, "nodeapi.serial_promotion_failed",
              {{"agent_id", verified.id.str()}, {"error", std::string(stored.status().message())}});
    return node;
  }
  if (absl::Status refreshed = registry_.Refresh(); !refreshed.ok()) {
    SIGIL_LOG(kWarn, "nodeapi.registry_refresh_failed",
              {{"error", std::string(refreshed.message())}});
  }
  SIGIL_LOG(kInfo, "nodeapi.agent_svid_promoted",
            {{"agent_id", verified.id.str()}, {"serial", verified.serial}});
  return std::make_shared<const AttestedNode>(*std::move(stored));
}

std::optional<PeerAuthenticator::Verified> PeerAuthenticator::Lookup(std::string_view leaf_pem,
                                                                     uint64_t bundle_sequence) {
  absl::MutexLock lock(&mu_);
  auto it = by_pem_.find(AsAbsl(leaf_pem));
  if (it == by_pem_.end()) {
    return std::nullopt;
  }
  if (it->second->second.bundle_sequence != bundle_sequence) {
    // Verified under another bundle: an authority may have gone since. Verify again.
    lru_.erase(it->second);
    by_pem_.erase(it);
    return std::nullopt;
  }
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->second;
}

void PeerAuthenticator::Remember(std::string_view leaf_pem, const Verified& verified) {
  absl::MutexLock lock(&mu_);
  if (by_pem_.contains(AsAbsl(leaf_pem))) {
    return;
  }
  lru_.emplace_front(std::string(leaf_pem), verified);
  by_pem_.emplace(absl::string_view(lru_.front().first), lru_.begin());
  while (lru_.size() > cache_size_) {
    by_pem_.erase(absl::string_view(lru_.back().first));
    lru_.pop_back();
  }
}

size_t PeerAuthenticator::cached_certificates() const {
  absl::MutexLock lock(&mu_);
  return lru_.size();
}

}  // namespace sigil::server
