#include "attestors/node/x509pop.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "absl/strings/str_cat.h"
#include <openssl/rsa.h>
#include <openssl/x509_vfy.h>

#include "sigil/status.h"

namespace sigil::attestors {
namespace {

struct BorrowedStackFree {
  void operator()(STACK_OF(X509) * stack) const noexcept { sk_X509_free(stack); }
};
// Holds pointers the Certificate objects own for the whole verification.
using BorrowedX509Stack = std::unique_ptr<STACK_OF(X509), BorrowedStackFree>;

std::string SignedBytes(std::string_view nonce) {
  return absl::StrCat(AsAbsl(kX509PopSignatureContext), AsAbsl(nonce));
}

// RSA keys sign with PSS (salt = digest length); EC keys with plain ECDSA.
absl::Status ConfigureSignaturePadding(EVP_PKEY_CTX* pctx, KeyType type) {
  switch (type) {
    case KeyType::kEcP256:
    case KeyType::kEcP384:
    case KeyType::kEcP521:
      return absl::OkStatus();
    case KeyType::kRsa2048:
    case KeyType::kRsa3072:
    case KeyType::kRsa4096:
      if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) <= 0 ||
          EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) <= 0 ||
          EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) <= 0) {
        return CryptoError("x509pop: setting RSA-PSS parameters");
      }
      return absl::OkStatus();
  }
  return absl::InvalidArgumentError("x509pop: key is neither EC nor RSA");
}

bool VerifySignature(const PublicKey& key, std::string_view message, std::string_view signature) {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;  // owned by ctx
  if (ctx == nullptr ||
      EVP_DigestVerifyInit(ctx.get(), &pctx, EVP_sha256(), nullptr, key.get()) != 1 ||
      !ConfigureSignaturePadding(pctx, key.type()).ok()) {
    ClearCryptoErrors();
    return false;
  }
  const int ok = EVP_DigestVerify(
      ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
      reinterpret_cast<const unsigned char*>(message.data()), message.size());
  ClearCryptoErrors();
  return ok == 1;
}

// A selector value is 1 to 1024 bytes without control characters (the datastore's rule).
absl::Status CheckSelectorValue(std::string_view what, std::string_view value) {
  if (value.empty() || value.size() > 1024) {
    return absl::InvalidArgumentError(absl::StrCat("x509pop: ", AsAbsl(what),
                                                   " makes a selector value of ", value.size(),
                                                   " bytes; 1 to 1024 are allowed"));
  }
  for (unsigned char c : value) {
    if (c < 0x20 || c == 0x7f) {
      return absl::InvalidArgumentError(
          absl::StrCat("x509pop: ", AsAbsl(what), " has a control character"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> SubjectCommonNames(const Certificate& leaf) {
  std::vector<std::string> names;
  const X509_NAME* subject = X509_get_subject_name(leaf.get());
  for (int i = X509_NAME_get_index_by_NID(subject, NID_commonName, -1); i >= 0;
       i = X509_NAME_get_index_by_NID(subject, NID_commonName, i)) {
    const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, i));
    unsigned char* utf8 = nullptr;
    const int len = ASN1_STRING_to_UTF8(&utf8, data);
    if (len < 0) {
      return CryptoError(absl::StatusCode::kInvalidArgument,
                         "x509pop: subject common name is not convertible to UTF-8");
    }
    names.emplace_back(reinterpret_cast<const char*>(utf8), static_cast<size_t>(len));
    OPENSSL_free(utf8);
  }
  return names;
}

absl::Status CheckLeafUsage(const Certificate& leaf) {
  if (leaf.IsCa()) {
    return absl::InvalidArgumentError("x509pop: leaf certificate is a CA");
  }
  // X509_get_*key_usage return UINT32_MAX when the extension is absent: no restriction.
  const uint32_t key_usage = X509_get_key_usage(leaf.get());
  if (key_usage != UINT32_MAX && (key_usage & KU_DIGITAL_SIGNATURE) == 0) {
    return absl::InvalidArgumentError("x509pop: leaf keyUsage does not allow digitalSignature");
  }
  const uint32_t ext_key_usage = X509_get_extended_key_usage(leaf.get());
  if (ext_key_usage != UINT32_MAX && (ext_key_usage & (XKU_SSL_CLIENT | XKU_ANYEKU)) == 0) {
    return absl::InvalidArgumentError("x509pop: leaf extendedKeyUsage does not allow clientAuth");
  }
  return absl::OkStatus();
}

// The waiting half of an attestation: the verified facts and the nonce sent.
class X509PopAttestation final : public NodeAttestation {
 public:
  X509PopAttestation(PublicKey leaf_key, std::string nonce, NodeAttestationResult result)
      : leaf_key_(std::move(leaf_key)), nonce_(std::move(nonce)), result_(std::move(result)) {}

  absl::StatusOr<AttestationStep> Answer(std::string_view response, absl::Time) override {
    if (answered_) {
      return absl::FailedPreconditionError("x509pop: the challenge was already answered");
    }
    answered_ = true;
    if (response.empty() || response.size() > kMaxChallengeResponse) {
      return absl::InvalidArgumentError(absl::StrCat("x509pop: challenge response is ",
                                                     response.size(), " bytes; 1 to ",
                                                     kMaxChallengeResponse, " are allowed"));
    }
    if (!VerifySignature(leaf_key_, SignedBytes(nonce_), response)) {
      return absl::PermissionDeniedError(
          "x509pop: challenge response is not a signature by the certificate's key");
    }
    return AttestationStep(std::move(result_));
  }

 private:
  const PublicKey leaf_key_;
  const std::string nonce_;
  NodeAttestationResult result_;
  bool answered_ = false;
};

absl::StatusOr<std::string> ReadSmallFile(const std::string& path, size_t max_size) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    const std::string message = absl::StrCat("opening ", path, ": ", std::strerror(err));
    return err == ENOENT   ? absl::NotFoundError(message)
           : err == EACCES ? absl::PermissionDeniedError(message)
                           : absl::UnavailableError(message);
  }
  std::string out;
  char buf[16384];
  absl::Status status;
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      status = absl::UnavailableError(absl::StrCat("reading ", path, ": ", std::strerror(errno)));
      break;
    }
    if (n == 0) {
      break;
    }
    if (out.size() + static_cast<size_t>(n) > max_size) {
      status =
          absl::InvalidArgumentError(absl::StrCat(path, " is larger than ", max_size, " bytes"));
      break;
    }
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  if (!status.ok()) {
    return status;
  }
  return out;
}

}  // namespace

std::string MakeX509PopPayload(const std::vector<Certificate>& chain) { return ConcatDer(chain); }

absl::StatusOr<std::string> AnswerX509PopChallenge(const PrivateKey& key,
                                                   std::string_view challenge) {
  if (challenge.size() != kX509PopNonceBytes) {
    return absl::InvalidArgumentError(absl::StrCat("x509pop: challenge is ", challenge.size(),
                                                   " bytes, expected ", kX509PopNonceBytes));
  }
  const std::string message = SignedBytes(challenge);
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;  // owned by ctx
  if (ctx == nullptr ||
      EVP_DigestSignInit(ctx.get(), &pctx, EVP_sha256(), nullptr, key.get()) != 1) {
    return CryptoError("x509pop: starting the challenge signature");
  }
  SIGIL_RETURN_IF_ERROR(ConfigureSignaturePadding(pctx, key.type()));
  size_t size = 0;
  const auto* in = reinterpret_cast<const unsigned char*>(message.data());
  if (EVP_DigestSign(ctx.get(), nullptr, &size, in, message.size()) != 1) {
    return CryptoError("x509pop: sizing the challenge signature");
  }
  std::string signature(size, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &size, in,
                     message.size()) != 1) {
    return CryptoError("x509pop: signing the challenge");
  }
  signature.resize(size);
  return signature;
}

absl::StatusOr<std::vector<Certificate>> LoadX509PopCaBundle(const std::string& path) {
  SIGIL_ASSIGN_OR_RETURN(std::string pem, ReadSmallFile(path, kMaxX509PopCaBundleFile));
  absl::StatusOr<std::vector<Certificate>> certs =
      ParsePemCertificates(pem, kMaxBundleCertificates);
  if (!certs.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("x509pop CA bundle ", path, ": ", certs.status().message()));
  }
  if (certs->empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("x509pop CA bundle ", path, " holds no certificate"));
  }
  return *std::move(certs);
}

absl::StatusOr<std::unique_ptr<X509PopAttestor>> X509PopAttestor::Create(
    TrustDomain trust_domain, std::vector<Certificate> ca_certificates) {
  if (ca_certificates.empty()) {
    return absl::InvalidArgumentError("x509pop: no CA certificate configured");
  }
  X509StorePtr store(X509_STORE_new());
  if (store == nullptr) {
    return CryptoError("x509pop: allocating the CA store");
  }
  for (const Certificate& ca : ca_certificates) {
    if (X509_STORE_add_cert(store.get(), ca.get()) != 1) {
      // The same certificate twice is harmless; anything else is not.
      ClearCryptoErrors();
    }
  }
  return std::unique_ptr<X509PopAttestor>(
      new X509PopAttestor(std::move(trust_domain), std::move(ca_certificates), std::move(store)));
}

X509PopAttestor::~X509PopAttestor() = default;

absl::StatusOr<AttestationStep> X509PopAttestor::Begin(
    std::string_view payload, absl::Time now,
    std::unique_ptr<NodeAttestation>* out_attestation) const {
  if (payload.empty() || payload.size() > kMaxNodeAttestationPayload) {
    return absl::InvalidArgumentError(absl::StrCat("x509pop: payload is ", payload.size(),
                                                   " bytes; 1 to ", kMaxNodeAttestationPayload,
                                                   " are allowed"));
  }
  absl::StatusOr<std::vector<Certificate>> chain = ParseDerCertificates(payload);
  if (!chain.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("x509pop: payload certificate chain: ", chain.status().message()));
  }
  if (chain->empty()) {
    return absl::InvalidArgumentError("x509pop: payload holds no certificate");
  }
  const Certificate& leaf = chain->front();
  SIGIL_RETURN_IF_ERROR(CheckLeafUsage(leaf));

  // Path validation: the configured CAs are the anchors, the rest of the chain untrusted.
  BorrowedX509Stack untrusted(sk_X509_new_null());
  if (untrusted == nullptr) {
    return CryptoError("x509pop: allocating a certificate stack");
  }
  for (size_t i = 1; i < chain->size(); ++i) {
    sk_X509_push(untrusted.get(), (*chain)[i].get());
  }
  X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (ctx == nullptr ||
      X509_STORE_CTX_init(ctx.get(), store_.get(), leaf.get(), untrusted.get()) != 1) {
    return CryptoError("x509pop: setting up chain verification");
  }
  X509_STORE_CTX_set_time(ctx.get(), 0, static_cast<time_t>(absl::ToUnixSeconds(now)));
  if (X509_verify_cert(ctx.get()) != 1) {
    const int err = X509_STORE_CTX_get_error(ctx.get());
    ClearCryptoErrors();
    return absl::PermissionDeniedError(
        absl::StrCat("x509pop: certificate chain does not verify to a configured CA: ",
                     X509_verify_cert_error_string(err), " (depth ",
                     X509_STORE_CTX_get_error_depth(ctx.get()), ")"));
  }

  // Selectors: leaf names, then each CA of the validated path (found among our objects by
  // pointer: every element of the built chain is one we handed in).
  std::vector<Selector> selectors;
  SIGIL_ASSIGN_OR_RETURN(std::vector<std::string> cns, SubjectCommonNames(leaf));
  const std::vector<std::string> dns = leaf.DnsSans();
  if (cns.size() + dns.size() > kMaxX509PopNames) {
    return absl::InvalidArgumentError(absl::StrCat("x509pop: leaf has ", cns.size() + dns.size(),
                                                   " names, more than ", kMaxX509PopNames));
  }
  for (const std::string& cn : cns) {
    SIGIL_RETURN_IF_ERROR(CheckSelectorValue("subject common name", cn));
    selectors.push_back({std::string(kX509PopType), "subject:cn:" + cn});
  }
  for (const std::string& name : dns) {
    SIGIL_RETURN_IF_ERROR(CheckSelectorValue("DNS SAN", name));
    selectors.push_back({std::string(kX509PopType), "san:dns:" + name});
  }
  STACK_OF(X509)* path = X509_STORE_CTX_get0_chain(ctx.get());
  for (int i = 1; i < sk_X509_num(path); ++i) {
    const X509* ca = sk_X509_value(path, i);
    for (const std::vector<Certificate>* pool :
         std::initializer_list<const std::vector<Certificate>*>{&chain.value(), &roots_}) {
      for (const Certificate& cert : *pool) {
        if (cert.get() == ca) {
          selectors.push_back(
              {std::string(kX509PopType), "ca:fingerprint:" + cert.Sha256Fingerprint()});
        }
      }
    }
  }
  NormalizeSelectors(selectors);

  SIGIL_ASSIGN_OR_RETURN(SpiffeId agent_id,
                         MakeAgentId(trust_domain_, kX509PopType, leaf.Sha256Fingerprint()));
  SIGIL_ASSIGN_OR_RETURN(PublicKey leaf_key, leaf.public_key());
  SIGIL_ASSIGN_OR_RETURN(std::string nonce, RandomBytes(kX509PopNonceBytes));
  *out_attestation =
      std::make_unique<X509PopAttestation>(std::move(leaf_key), nonce,
                                           NodeAttestationResult{.agent_id = std::move(agent_id),
                                                                 .selectors = std::move(selectors),
                                                                 .can_reattest = true});
  return AttestationStep(AttestationChallenge{std::move(nonce)});
}

}  // namespace sigil::attestors
