#include "server/nodeapi/server_svid.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

#include "server/ca/files.h"
#include "sigil/keys.h"
#include "sigil/log.h"
#include "sigil/status.h"

namespace sigil::server {
namespace {
constexpr std::string_view kLogComponent = "nodeapi";
}  // namespace

struct ServerSvidRotator::Wake {
  absl::Mutex mu;
  bool poked ABSL_GUARDED_BY(mu) = false;
  bool stop ABSL_GUARDED_BY(mu) = false;
};

ServerSvidRotator::ServerSvidRotator(ServerSvidOptions options, CaManager& ca)
    : options_(std::move(options)),
      server_id_(*SpiffeId::FromPath(options_.trust_domain, "/sigil/server")),
      ca_(ca),
      wake_(std::make_shared<Wake>()) {}

absl::StatusOr<std::unique_ptr<ServerSvidRotator>> ServerSvidRotator::Start(
    ServerSvidOptions options, CaManager& ca) {
  if (!options.clock) {
    options.clock = [] { return absl::Now(); };
  }
  SIGIL_RETURN_IF_ERROR(EnsurePrivateDirectory(options.directory, 0700));
  std::unique_ptr<ServerSvidRotator> rotator(new ServerSvidRotator(std::move(options), ca));
  SIGIL_RETURN_IF_ERROR(rotator->Rotate());
  ca.Subscribe([wake = rotator->wake_](const std::shared_ptr<const TrustBundle>&) {
    absl::MutexLock lock(&wake->mu);
    wake->poked = true;
  });
  rotator->thread_ = std::thread([r = rotator.get()] { r->Run(); });
  return rotator;
}

ServerSvidRotator::~ServerSvidRotator() {
  {
    absl::MutexLock lock(&wake_->mu);
    wake_->stop = true;
  }
  if (thread_.joinable()) {
    thread_.join();
  }
}

std::string ServerSvidRotator::path() const {
  return absl::StrCat(options_.directory, "/", AsAbsl(kServerSvidFileName));
}

std::string ServerSvidRotator::serial() const {
  absl::MutexLock lock(&mu_);
  return serial_;
}

absl::Time ServerSvidRotator::not_after() const {
  absl::MutexLock lock(&mu_);
  return not_after_;
}

absl::Status ServerSvidRotator::Rotate() {
  const absl::Time now = options_.clock();
  SIGIL_ASSIGN_OR_RETURN(PrivateKey key, PrivateKey::Generate(KeyType::kEcP256));
  SIGIL_ASSIGN_OR_RETURN(
      IssuedX509Svid svid,
      ca_.SignX509SvidForKey(X509SvidParams{.spiffe_id = server_id_, .ttl = options_.ttl},
                             key.public_key()));
  SIGIL_ASSIGN_OR_RETURN(Certificate leaf, svid.leaf.ToCertificate());

  std::string file(key.ToPkcs8Pem().view());
  absl::StrAppend(&file, leaf.ToPem(), ConcatPem(svid.intermediates));
  absl::Status written = WriteFileAtomically(options_.directory, kServerSvidFileName, file, 0600);
  WipeString(file);
  SIGIL_RETURN_IF_ERROR(written);

  {
    absl::MutexLock lock(&mu_);
    serial_ = svid.leaf.serial_hex;
    authority_id_ = svid.authority_id;
    issued_at_ = now;
    not_after_ = svid.leaf.not_after;
  }
  SIGIL_LOG(kInfo, "nodeapi.server_svid_written",
            {{"spiffe_id", server_id_.str()},
             {"serial", svid.leaf.serial_hex},
             {"not_after", absl::FormatTime(svid.leaf.not_after)},
             {"authority_id", svid.authority_id}});
  return absl::OkStatus();
}

bool ServerSvidRotator::Due(absl::Time now) const {
  std::string authority;
  {
    absl::MutexLock lock(&mu_);
    if (now >= issued_at_ + (not_after_ - issued_at_) / 2) {
      return true;
    }
    authority = authority_id_;
  }
  for (const AuthorityRecord& tainted : ca_.TaintedAuthorities()) {
    if (tainted.authority_id == authority) {
      return true;
    }
  }
  const std::vector<AuthorityRecord> x509 = ca_.List(AuthorityKind::kX509);
  return std::none_of(x509.begin(), x509.end(),
                      [&](const AuthorityRecord& r) { return r.authority_id == authority; });
}

void ServerSvidRotator::Run() {
  for (;;) {
    {
      absl::MutexLock lock(&wake_->mu);
      wake_->mu.AwaitWithTimeout(
          absl::Condition(
              +[](Wake* w) ABSL_NO_THREAD_SAFETY_ANALYSIS { return w->stop || w->poked; },
              wake_.get()),
          options_.check_interval);
      if (wake_->stop) {
        return;
      }
      wake_->poked = false;
    }
    if (!Due(options_.clock())) {
      continue;
    }
    if (absl::Status status = Rotate(); !status.ok()) {
      // Retried on the next check; the current SVID stays in place until it expires.
      SIGIL_LOG(kWarn, "nodeapi.server_svid_renewal_failed",
                {{"error", std::string(status.message())}});
    }
  }
}

}  // namespace sigil::server
