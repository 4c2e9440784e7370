#include "agent/nodeclient/server_trust.h"

#include "absl/strings/str_cat.h"

#include "sigil/certificate.h"
#include "sigil/log.h"
#include "sigil/status.h"
#include "sigil/x509_verify.h"

namespace sigil::agent {
namespace {

constexpr std::string_view kLogComponent = "nodeclient";

// TLS chains are short; this also bounds the work a hostile peer can cause.
constexpr size_t kMaxServerChainPemSize = 256 * 1024;

class ServerVerifier final : public grpc::experimental::ExternalCertificateVerifier {
 public:
  ServerVerifier(std::shared_ptr<const ServerTrust> trust, Clock clock, bool insecure)
      : trust_(std::move(trust)), clock_(std::move(clock)), insecure_(insecure) {}

  bool Verify(grpc::experimental::TlsCustomVerificationCheckRequest* request,
              std::function<void(grpc::Status)> /*callback*/, grpc::Status* sync_status) override {
    *sync_status = Check(request);
    return true;  // always answered synchronously
  }

  void Cancel(grpc::experimental::TlsCustomVerificationCheckRequest* /*request*/) override {}

 private:
  grpc::Status Check(grpc::experimental::TlsCustomVerificationCheckRequest* request) const {
    if (insecure_) {
      SIGIL_LOG(kWarn, "server.unverified",
                {{"reason", "insecure bootstrap: the server's identity is NOT checked"}});
      return grpc::Status::OK;
    }
    std::shared_ptr<const TrustBundle> bundle = trust_->bundle();
    if (bundle == nullptr) {
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                          "no trust bundle to verify the server with");
    }
    const grpc::string_ref chain = request->peer_cert_full_chain();
    absl::Status verified =
        VerifyServerChain(std::string_view(chain.data(), chain.size()), *bundle, clock_());
    if (!verified.ok()) {
      SIGIL_LOG(kError, "server.verify_failed", {{"error", AsStd(verified.message())}});
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, std::string(verified.message()));
    }
    return grpc::Status::OK;
  }

  const std::shared_ptr<const ServerTrust> trust_;
  const Clock clock_;
  const bool insecure_;
};

}  // namespace

SpiffeId ServerSpiffeId(const TrustDomain& td) {
  // A valid trust domain with a fixed valid path always forms a valid ID.
  return *SpiffeId::FromPath(td, "/sigil/server");
}

std::shared_ptr<const TrustBundle> ServerTrust::bundle() const {
  absl::MutexLock lock(&mu_);
  return bundle_;
}

absl::Status ServerTrust::SetBundle(TrustBundle bundle) {
  if (bundle.trust_domain() != trust_domain_) {
    return absl::InvalidArgumentError(absl::StrCat("bundle of trust domain ",
                                                   bundle.trust_domain().name(), " given for ",
                                                   trust_domain_.name()));
  }
  auto shared = std::make_shared<const TrustBundle>(std::move(bundle));
  absl::MutexLock lock(&mu_);
  bundle_ = std::move(shared);
  return absl::OkStatus();
}

absl::Status VerifyServerChain(std::string_view pem_chain, const TrustBundle& bundle,
                               absl::Time now) {
  if (pem_chain.size() > kMaxServerChainPemSize) {
    return absl::InvalidArgumentError("server certificate chain is over 256 KiB");
  }
  absl::StatusOr<std::vector<Certificate>> chain = ParsePemCertificates(pem_chain);
  if (!chain.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("server certificate chain: ", chain.status().message()));
  }
  absl::StatusOr<VerifiedX509Svid> verified = VerifyX509Svid(*chain, bundle, now);
  if (!verified.ok()) {
    return absl::UnauthenticatedError(
        absl::StrCat("server certificate: ", verified.status().message()));
  }
  const SpiffeId expected = ServerSpiffeId(bundle.trust_domain());
  if (verified->spiffe_id != expected) {
    return absl::UnauthenticatedError(absl::StrCat("server presented ", verified->spiffe_id.str(),
                                                   ", expected ", expected.str()));
  }
  return absl::OkStatus();
}

std::shared_ptr<grpc::experimental::CertificateVerifier> MakeServerVerifier(
    std::shared_ptr<const ServerTrust> trust, Clock clock, bool insecure) {
  return grpc::experimental::ExternalCertificateVerifier::Create<ServerVerifier>(
      std::move(trust), std::move(clock), insecure);
}

}  // namespace sigil::agent
