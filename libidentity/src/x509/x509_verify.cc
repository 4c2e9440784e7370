#include "sigil/x509_verify.h"

#include <ctime>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include <openssl/x509_vfy.h>

#include "sigil/ossl.h"
#include "sigil/status.h"
#include "sigil/x509_svid.h"

namespace sigil {
namespace {

// A stack that borrows its certificates: the Certificate objects own them for the whole call.
struct BorrowedStackFree {
  void operator()(STACK_OF(X509) * stack) const noexcept { sk_X509_free(stack); }
};
using BorrowedX509Stack = std::unique_ptr<STACK_OF(X509), BorrowedStackFree>;

absl::StatusOr<BorrowedX509Stack> BorrowStack(absl::Span<const Certificate> certs) {
  BorrowedX509Stack stack(sk_X509_new_reserve(nullptr, static_cast<int>(certs.size())));
  if (stack == nullptr) {
    return CryptoError("allocating a certificate stack");
  }
  for (const Certificate& cert : certs) {
    sk_X509_push(stack.get(), cert.get());
  }
  return stack;
}

// Maps the validated path OpenSSL built back to our Certificate objects. Every element is one
// of the pointers we handed in (the leaf, an intermediate or a bundle authority), so matching
// by pointer is exact and costs no parsing.
std::vector<Certificate> PathOf(X509_STORE_CTX* ctx, absl::Span<const Certificate> chain,
                                const std::vector<Certificate>& roots) {
  std::vector<Certificate> path;
  STACK_OF(X509)* built = X509_STORE_CTX_get0_chain(ctx);
  for (int i = 0; i < sk_X509_num(built); ++i) {
    const X509* x = sk_X509_value(built, i);
    for (absl::Span<const Certificate> pool : {chain, absl::MakeConstSpan(roots)}) {
      auto it = std::find_if(pool.begin(), pool.end(),
                             [x](const Certificate& c) { return c.get() == x; });
      if (it != pool.end()) {
        path.push_back(*it);
        break;
      }
    }
  }
  return path;
}

absl::StatusOr<VerifiedX509Svid> VerifyPath(absl::Span<const Certificate> chain,
                                            const TrustBundle& bundle, SpiffeId id,
                                            absl::Time now) {
  const std::vector<Certificate>& roots = bundle.x509_authorities();
  if (roots.empty()) {  // X509-20, BUNDLE-02
    return absl::UnauthenticatedError(absl::StrCat(
        "bundle for trust domain ", bundle.trust_domain().name(), " has no X.509 authorities"));
  }
  SIGIL_ASSIGN_OR_RETURN(BorrowedX509Stack trusted, BorrowStack(roots));
  SIGIL_ASSIGN_OR_RETURN(BorrowedX509Stack untrusted, BorrowStack(chain.subspan(1)));

  // No X509_STORE: the bundle's authorities go in as a trusted stack, which spares building and
  // locking a store per call and keeps every lookup inside this one bundle (X509-19).
  X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (ctx == nullptr ||
      X509_STORE_CTX_init(ctx.get(), nullptr, chain.front().get(), untrusted.get()) != 1) {
    return CryptoError("initialising X.509 path validation");
  }
  X509_STORE_CTX_set0_trusted_stack(ctx.get(), trusted.get());
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  X509_VERIFY_PARAM_set_time(param, absl::ToTimeT(now));
  // Bundle entries are trust anchors whether or not they are self-signed (an upstream CA's
  // intermediate may be published as the authority), as in go-spiffe. No purpose is set, so
  // no extended key usage is required (X509-21); unknown critical extensions still fail.
  X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN);

  const int rc = X509_verify_cert(ctx.get());
  if (rc != 1) {
    const int error = X509_STORE_CTX_get_error(ctx.get());
    const int depth = X509_STORE_CTX_get_error_depth(ctx.get());
    ClearCryptoErrors();
    if (rc < 0 || error == X509_V_ERR_OUT_OF_MEM) {
      return absl::InternalError(absl::StrCat("X.509 path validation failed internally: ",
                                              X509_verify_cert_error_string(error)));
    }
    return absl::UnauthenticatedError(
        absl::StrCat("X509-SVID ", id.str(), " does not verify against the bundle of ",
                     bundle.trust_domain().name(), ": ", X509_verify_cert_error_string(error),
                     " (depth ", depth, ")"));
  }
  return VerifiedX509Svid{std::move(id), PathOf(ctx.get(), chain, roots)};
}

absl::StatusOr<SpiffeId> CheckChainShape(absl::Span<const Certificate> chain) {
  if (chain.empty()) {
    return absl::InvalidArgumentError("no certificates presented");
  }
  if (chain.size() > kMaxChainLength) {
    return absl::InvalidArgumentError(absl::StrCat(
        "chain has ", chain.size(), " certificates, more than the limit of ", kMaxChainLength));
  }
  return X509SvidLeafId(chain.front());
}

}  // namespace

absl::StatusOr<VerifiedX509Svid> VerifyX509Svid(absl::Span<const Certificate> chain,
                                                const BundleSet& bundles, absl::Time now) {
  SIGIL_ASSIGN_OR_RETURN(SpiffeId id, CheckChainShape(chain));
  // X509-19: the leaf's own trust domain decides the bundle; never another one, never a merge.
  const TrustBundle* bundle = bundles.Find(id.trust_domain());
  if (bundle == nullptr) {
    return absl::UnauthenticatedError(
        absl::StrCat("no bundle for trust domain ", id.trust_domain().name()));
  }
  return VerifyPath(chain, *bundle, std::move(id), now);
}

absl::StatusOr<VerifiedX509Svid> VerifyX509Svid(absl::Span<const Certificate> chain,
                                                const TrustBundle& bundle, absl::Time now) {
  SIGIL_ASSIGN_OR_RETURN(SpiffeId id, CheckChainShape(chain));
  if (id.trust_domain() != bundle.trust_domain()) {
    return absl::UnauthenticatedError(absl::StrCat("leaf trust domain ", id.trust_domain().name(),
                                                   " does not match bundle trust domain ",
                                                   bundle.trust_domain().name()));
  }
  return VerifyPath(chain, bundle, std::move(id), now);
}

}  // namespace sigil
