// The Attest call: a bidirectional stream on which the agent sends its attestation data and
// public key, answers any challenges, and receives its SVID.
#include <atomic>
#include <memory>
#include <optional>
#include <variant>

#include "absl/strings/str_cat.h"

#include "server/nodeapi/node_call.h"
#include "server/nodeapi/node_service.h"
#include "server/nodeapi/public_key_check.h"
#include "sigil/log.h"
#include "sigil/status.h"

namespace sigil::server {
namespace {
constexpr std::string_view kLogComponent = "nodeapi";

namespace nodev1 = ::sigil::node::v1;
using nodeapi_internal::ToGrpc;

// More rounds than any attestor needs means a confused or hostile agent.
constexpr int kMaxChallengeRounds = 4;

// Limitation: the server sets no deadline of its own on an attestation waiting for an answer;
// an agent that never answers holds one of kMaxConcurrentAttestations slots until its
// connection drops (keepalive notices a vanished peer within about 80 s).

}  // namespace

class AttestStream final
    : public grpc::ServerBidiReactor<nodev1::AttestRequest, nodev1::AttestResponse> {
 public:
  AttestStream(NodeService& service, grpc::CallbackServerContext* ctx)
      : service_(service), peer_(PeerAddress(*ctx)) {
    if (!service_.attest_limiter_.Allow(peer_, 1, service_.options_.clock())) {
      Fail(absl::ResourceExhaustedError(
          absl::StrCat("too many attestation attempts from ", peer_, ": retry later")));
      return;
    }
    counted_ = true;
    if (service_.attestations_in_progress_.fetch_add(1) >= kMaxConcurrentAttestations) {
      Fail(absl::ResourceExhaustedError("too many attestations in progress: retry later"));
      return;
    }
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      Fail(absl::CancelledError("attestation stream closed before it completed"));
      return;
    }
    absl::Status status = Advance();
    if (!status.ok()) {
      Fail(status);
      return;
    }
    if (response_.has_result()) {
      StartWriteAndFinish(&response_, grpc::WriteOptions(), grpc::Status::OK);
    } else {
      StartWrite(&response_);
    }
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      Fail(absl::CancelledError("attestation stream closed before it completed"));
      return;
    }
    StartRead(&request_);
  }

  void OnDone() override {
    if (counted_) {
      service_.attestations_in_progress_.fetch_sub(1);
    }
    delete this;
  }

 private:
  // Moves the attestation one step on from request_, leaving the answer in response_.
  absl::Status Advance() {
    const absl::Time now = service_.options_.clock();
    absl::StatusOr<attestors::AttestationStep> step;
    if (attestation_ == nullptr) {
      if (!request_.has_params()) {
        return absl::InvalidArgumentError("the first Attest message must carry params");
      }
      const nodev1::AttestParams& params = request_.params();
      attestor_type_ = params.data().type();
      const attestors::NodeAttestor* attestor = service_.FindAttestor(attestor_type_);
      if (attestor == nullptr) {
        return absl::InvalidArgumentError(absl::StrCat(
            "node attestor \"", attestor_type_.substr(0, 64), "\" is not enabled on this server"));
      }
      // Checked before the attestor runs, so a bad key does not use up a join token.
      SIGIL_RETURN_IF_ERROR(CheckSubjectPublicKey(params.public_key()));
      public_key_ = params.public_key();
      step = attestor->Begin(params.data().payload(), now, &attestation_);
    } else {
      if (!request_.has_challenge_response()) {
        return absl::InvalidArgumentError("expected a challenge_response");
      }
      step = attestation_->Answer(request_.challenge_response(), now);
    }
    if (!step.ok()) {
      return step.status();
    }

    response_.Clear();
    if (auto* challenge = std::get_if<attestors::AttestationChallenge>(&*step)) {
      if (attestation_ == nullptr) {
        return absl::InternalError(
            absl::StrCat("node attestor ", attestor_type_, " sent a challenge without state"));
      }
      if (++rounds_ > kMaxChallengeRounds) {
        return absl::InvalidArgumentError("too many challenge rounds");
      }
      response_.set_challenge(std::move(challenge->bytes));
      return absl::OkStatus();
    }
    SIGIL_ASSIGN_OR_RETURN(
        *response_.mutable_result(),
        service_.CompleteAttestation(std::get<attestors::NodeAttestationResult>(*step),
                                     attestor_type_, public_key_, peer_));
    return absl::OkStatus();
  }

  void Fail(const absl::Status& status) {
    SIGIL_LOG(kInfo, "nodeapi.attestation_refused",
              {{"attestor", attestor_type_.substr(0, 64)},
               {"address", peer_},
               {"code", absl::StatusCodeToString(status.code())},
               {"reason", std::string(status.message())}});
    Finish(ToGrpc(status));
  }

  NodeService& service_;
  const std::string peer_;
  bool counted_ = false;
  std::string attestor_type_;
  std::string public_key_;
  std::unique_ptr<attestors::NodeAttestation> attestation_;
  int rounds_ = 0;
  nodev1::AttestRequest request_;
  nodev1::AttestResponse response_;
};

grpc::ServerBidiReactor<nodev1::AttestRequest, nodev1::AttestResponse>* NodeService::Attest(
    grpc::CallbackServerContext* ctx) {
  return new AttestStream(*this, ctx);
}

}  // namespace sigil::server
