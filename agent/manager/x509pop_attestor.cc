#include "agent/manager/x509pop_attestor.h"

#include "absl/strings/str_cat.h"

#include "agent/manager/agent_store.h"
#include "attestors/node/x509pop.h"
#include "sigil/certificate.h"
#include "sigil/status.h"

namespace sigil::agent {
namespace {

constexpr size_t kMaxFileSize = 1024 * 1024;

}  // namespace

absl::StatusOr<std::string> X509PopAttestorClient::Payload() {
  SIGIL_ASSIGN_OR_RETURN(std::string chain_pem, ReadSmallFile(certificate_path_, kMaxFileSize));
  absl::StatusOr<std::vector<Certificate>> chain = ParsePemCertificates(chain_pem);
  if (!chain.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(certificate_path_, ": ", chain.status().message()));
  }
  SIGIL_ASSIGN_OR_RETURN(std::string key_text, ReadSmallFile(private_key_path_, kMaxFileSize));
  SecretBytes key_pem = SecretBytes::Adopt(std::move(key_text));
  absl::StatusOr<PrivateKey> key = PrivateKey::FromPkcs8Pem(key_pem.view());
  if (!key.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(private_key_path_, ": ", key.status().message()));
  }
  absl::StatusOr<PublicKey> leaf_key = chain->front().public_key();
  if (!leaf_key.ok() || !key->Matches(*leaf_key)) {
    return absl::InvalidArgumentError(absl::StrCat(
        private_key_path_, " is not the key of the first certificate in ", certificate_path_));
  }
  absl::MutexLock lock(&mu_);
  key_ = *std::move(key);
  return attestors::MakeX509PopPayload(*chain);
}

absl::StatusOr<std::string> X509PopAttestorClient::AnswerChallenge(std::string_view challenge) {
  absl::MutexLock lock(&mu_);
  if (!key_.has_value()) {
    return absl::FailedPreconditionError("x509pop: challenge before payload");
  }
  return attestors::AnswerX509PopChallenge(*key_, challenge);
}

}  // namespace sigil::agent
