#include "agent/manager/bootstrap.h"

#include "absl/strings/str_cat.h"

#include "sigil/log.h"
#include "sigil/status.h"
#include "sigil/x509_verify.h"

namespace sigil::agent {
namespace {

constexpr std::string_view kLogComponent = "agent";

std::string TimeText(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

// Chooses the bundle the server is verified with. Returns true when there is one.
absl::StatusOr<bool> InstallTrust(const BootstrapOptions& o) {
  absl::StatusOr<std::optional<TrustBundle>> stored = o.store->LoadBundle(o.trust->trust_domain());
  if (!stored.ok()) {
    // A damaged bundle file is not fatal when the operator gave a bootstrap bundle.
    SIGIL_LOG(kWarn, "bundle.stored_unusable", {{"error", AsStd(stored.status().message())}});
    stored = std::optional<TrustBundle>();
  }
  if (stored->has_value()) {
    SIGIL_RETURN_IF_ERROR(o.trust->SetBundle(**stored));
    return true;
  }
  if (o.bootstrap_bundle.has_value()) {
    SIGIL_RETURN_IF_ERROR(o.trust->SetBundle(*o.bootstrap_bundle));
    return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<X509Svid> Bootstrap(const BootstrapOptions& o) {
  SIGIL_ASSIGN_OR_RETURN(const bool trusted, InstallTrust(o));
  const absl::Time now = o.clock();

  absl::StatusOr<std::optional<X509Svid>> stored = o.store->LoadSvid();
  if (!stored.ok()) {
    SIGIL_LOG(kWarn, "agent_svid.stored_unusable", {{"error", AsStd(stored.status().message())}});
    stored = std::optional<X509Svid>();
  }
  if (stored->has_value()) {
    const X509Svid& svid = **stored;
    if (now < svid.expires_at() && svid.spiffe_id().MemberOf(o.trust->trust_domain()) && trusted) {
      SIGIL_LOG(kInfo, "agent.resumed",
                {{"spiffe_id", svid.spiffe_id().str()},
                 {"serial", svid.leaf().SerialHex()},
                 {"not_after", TimeText(svid.expires_at())}});
      SIGIL_RETURN_IF_ERROR(o.client->SetIdentity(svid));
      return svid;
    }
    SIGIL_LOG(kWarn, "agent_svid.stored_expired",
              {{"spiffe_id", svid.spiffe_id().str()}, {"not_after", TimeText(svid.expires_at())}});
  }

  if (o.attestor == nullptr) {
    return absl::FailedPreconditionError(
        stored->has_value()
            ? "the stored agent SVID has expired and there is nothing to attest with: pass a new "
              "--join-token (sigil-server token generate)"
            : "the agent has not attested yet: pass --join-token (sigil-server token generate)");
  }
  const bool insecure = !trusted;
  if (insecure && !o.insecure_bootstrap) {
    return absl::FailedPreconditionError(
        "no trust bundle to verify the server with: pass --trust-bundle FILE (the server's "
        "bundle, `sigil-server bundle show`) or, for a trial only, --insecure-bootstrap");
  }
  if (insecure) {
    SIGIL_LOG(kWarn, "bootstrap.insecure",
              {{"warning",
                "--insecure-bootstrap: attesting WITHOUT verifying the server; anyone able to "
                "intercept this connection can impersonate it. Use --trust-bundle in "
                "production."}});
  }

  SIGIL_ASSIGN_OR_RETURN(PrivateKey key, PrivateKey::Generate(KeyType::kEcP256));
  absl::StatusOr<AttestOutcome> outcome = o.client->Attest(*o.attestor, key, insecure);
  if (!outcome.ok()) {
    if (absl::IsPermissionDenied(outcome.status()) && !o.attestor->CanReattest()) {
      return absl::PermissionDeniedError(absl::StrCat(
          "attestation refused: ", outcome.status().message(),
          " (a join token works once and expires: issue a new one with `sigil-server token "
          "generate`)"));
    }
    return absl::Status(outcome.status().code(),
                        absl::StrCat("attestation: ", outcome.status().message()));
  }
  if (outcome->bundle.has_value()) {
    SIGIL_RETURN_IF_ERROR(o.trust->SetBundle(*outcome->bundle));
    SIGIL_RETURN_IF_ERROR(o.store->SaveBundle(*outcome->bundle));
  } else if (insecure) {
    return absl::UnavailableError(
        "the server sent no bundle with the agent SVID; an insecure bootstrap cannot continue");
  }
  // The SVID must chain to the bundle we now trust: after an insecure bootstrap this is the
  // first check that the two agree.
  if (std::shared_ptr<const TrustBundle> bundle = o.trust->bundle(); bundle != nullptr) {
    absl::StatusOr<VerifiedX509Svid> verified =
        VerifyX509Svid(outcome->agent_svid.chain(), *bundle, now);
    if (!verified.ok()) {
      return absl::UnauthenticatedError(absl::StrCat(
          "the agent SVID from the server does not verify: ", verified.status().message()));
    }
  }
  SIGIL_RETURN_IF_ERROR(o.store->SaveSvid(outcome->agent_svid));
  SIGIL_RETURN_IF_ERROR(o.client->SetIdentity(outcome->agent_svid));
  SIGIL_LOG(kInfo, "agent.attested",
            {{"spiffe_id", outcome->agent_svid.spiffe_id().str()},
             {"attestor", std::string(o.attestor->type())},
             {"serial", outcome->agent_svid.leaf().SerialHex()},
             {"not_after", TimeText(outcome->agent_svid.expires_at())}});
  return std::move(outcome->agent_svid);
}

}  // namespace sigil::agent
