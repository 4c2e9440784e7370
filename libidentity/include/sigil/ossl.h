// Owners for OpenSSL objects. Every object made by a *_new, get1 or d2i call is wrapped on the
// line that makes it; get0 results are borrowed and never wrapped.
#ifndef SIGIL_OSSL_H_
#define SIGIL_OSSL_H_

#include <memory>
#include <string_view>

#include "absl/status/status.h"
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace sigil {

template <auto kFree>
struct OsslFree {
  template <typename T>
  void operator()(T* ptr) const noexcept {
    kFree(ptr);
  }
};

using X509Ptr = std::unique_ptr<X509, OsslFree<&X509_free>>;
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, OsslFree<&EVP_PKEY_free>>;
using EvpPkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, OsslFree<&EVP_PKEY_CTX_free>>;
using EvpMdCtxPtr = std::unique_ptr<EVP_MD_CTX, OsslFree<&EVP_MD_CTX_free>>;
using BioPtr = std::unique_ptr<BIO, OsslFree<&BIO_free_all>>;
using BignumPtr = std::unique_ptr<BIGNUM, OsslFree<&BN_clear_free>>;
using X509StorePtr = std::unique_ptr<X509_STORE, OsslFree<&X509_STORE_free>>;
using X509StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, OsslFree<&X509_STORE_CTX_free>>;
using X509NamePtr = std::unique_ptr<X509_NAME, OsslFree<&X509_NAME_free>>;
using X509ExtensionPtr = std::unique_ptr<X509_EXTENSION, OsslFree<&X509_EXTENSION_free>>;
using Asn1IntegerPtr = std::unique_ptr<ASN1_INTEGER, OsslFree<&ASN1_INTEGER_free>>;
using Asn1OctetStringPtr = std::unique_ptr<ASN1_OCTET_STRING, OsslFree<&ASN1_OCTET_STRING_free>>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, OsslFree<&GENERAL_NAMES_free>>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, OsslFree<&ECDSA_SIG_free>>;

// A stack of X509 that owns its elements.
struct X509StackFree {
  void operator()(STACK_OF(X509) * stack) const noexcept { sk_X509_pop_free(stack, X509_free); }
};
using X509StackPtr = std::unique_ptr<STACK_OF(X509), X509StackFree>;

// Drains OpenSSL's thread-local error queue into an Internal status that starts with `what`,
// so one failure never leaks into the next call's diagnosis. Key material never appears in
// OpenSSL's error strings.
absl::Status CryptoError(std::string_view what);

// Same as CryptoError but with a caller-chosen code, for input the caller supplied
// (kInvalidArgument for malformed DER, say).
absl::Status CryptoError(absl::StatusCode code, std::string_view what);

// Empties the error queue without reporting it.
void ClearCryptoErrors();

}  // namespace sigil

#endif  // SIGIL_OSSL_H_
