#include "sigil/x509_issuer.h"

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "extensions.h"
#include "leaf_der.h"
#include "sigil/ossl.h"
#include "sigil/status.h"
#include "spki.h"
#include "x509_facts.h"

namespace sigil {
namespace {

using x509_internal::AddExtension;
using x509_internal::AuthorityKeyId;
using x509_internal::BasicConstraints;
using x509_internal::CertFacts;
using x509_internal::EncodeAndSignLeaf;
using x509_internal::kCrlSignBit;
using x509_internal::kDigitalSignatureBit;
using x509_internal::KeyIdentifier;
using x509_internal::KeyUsage;
using x509_internal::kKeyAgreementBit;
using x509_internal::kKeyCertSignBit;
using x509_internal::kKeyEnciphermentBit;
using x509_internal::LeafFields;
using x509_internal::LeafTemplate;
using x509_internal::MakeLeafTemplate;
using x509_internal::ReadCertFacts;
using x509_internal::ServerAndClientAuth;
using x509_internal::SetSpki;
using x509_internal::SpkiFromDer;
using x509_internal::SpkiFromPublicKey;
using x509_internal::SpkiParts;
using x509_internal::SubjectAltName;
using x509_internal::SubjectKeyId;

using EvpMdPtr = std::unique_ptr<EVP_MD, OsslFree<&EVP_MD_free>>;

constexpr size_t kSerialBytes = 16;
constexpr size_t kMaxNameEntries = 32;
constexpr size_t kMaxNameValueLength = 1024;
// An empty Name: SEQUENCE {}.
constexpr std::string_view kEmptyNameDer("\x30\x00", 2);
// RFC 5280's upper bound for a commonName.
constexpr size_t kMaxCommonNameLength = 64;

// ---- parameter checks -------------------------------------------------------------------

absl::Status ValidateTtl(absl::Duration ttl) {
  if (ttl <= absl::ZeroDuration() || ttl > kMaxX509Ttl) {
    return absl::InvalidArgumentError(absl::StrCat(
        "ttl must be positive and at most 100 years, got ", absl::FormatDuration(ttl)));
  }
  return absl::OkStatus();
}

bool IsLabelByte(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

// A hostname or a "*."-prefixed wildcard: labels of 1-63 letters, digits and hyphens.
absl::Status ValidateDnsName(std::string_view name) {
  if (name.empty() || name.size() > kMaxX509DnsNameLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("DNS name must be 1 to ", kMaxX509DnsNameLength, " bytes, got ", name.size()));
  }
  std::string_view rest = name;
  if (rest.substr(0, 2) == "*.") {
    rest.remove_prefix(2);
  }
  size_t label_start = 0;
  for (size_t i = 0; i <= rest.size(); ++i) {
    if (i == rest.size() || rest[i] == '.') {
      const size_t length = i - label_start;
      if (length == 0 || length > 63) {
        return absl::InvalidArgumentError(
            absl::StrCat("DNS name \"", AsAbsl(name), "\" has an empty or over-long label"));
      }
      label_start = i + 1;
    } else if (!IsLabelByte(rest[i])) {
      return absl::InvalidArgumentError(absl::StrCat(
          "DNS name \"", AsAbsl(name), "\" has a byte outside letters, digits, '-' and '.'"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateLeafParams(const X509SvidParams& params,
                                const std::optional<TrustDomain>& ca_domain) {
  if (!ca_domain.has_value()) {
    return absl::FailedPreconditionError(
        "signing CA carries no SPIFFE ID, so it may sign CA certificates but not X509-SVIDs");
  }
  const SpiffeId& id = params.spiffe_id;
  if (id.str().size() > kMaxSpiffeIdLength) {  // ID-16
    return absl::InvalidArgumentError(absl::StrCat(
        "SPIFFE ID is ", id.str().size(), " bytes, more than the limit of ", kMaxSpiffeIdLength));
  }
  if (id.IsTrustDomainId()) {  // X509-02
    return absl::InvalidArgumentError(absl::StrCat(
        "SPIFFE ID ", id.str(), " has no path: a trust domain ID cannot be a leaf SVID"));
  }
  if (!id.MemberOf(*ca_domain)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "SPIFFE ID ", id.str(), " is not in the CA's trust domain ", ca_domain->name()));
  }
  if (params.dns_names.size() > kMaxX509DnsNames) {
    return absl::InvalidArgumentError(absl::StrCat("more than ", kMaxX509DnsNames, " DNS names"));
  }
  for (const std::string& dns : params.dns_names) {
    SIGIL_RETURN_IF_ERROR(ValidateDnsName(dns));
  }
  return ValidateTtl(params.ttl);
}

absl::Status ValidateCaParams(const X509CaParams& params) {
  if (params.path_len.has_value() && *params.path_len < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("path_len must not be negative, got ", *params.path_len));
  }
  return ValidateTtl(params.ttl);
}

// ---- names, serials and times ------------------------------------------------------------

absl::Status AddNameEntries(X509_NAME* name, const std::vector<X509NameEntry>& entries) {
  if (entries.size() > kMaxNameEntries) {
    return absl::InvalidArgumentError(
        absl::StrCat("subject has more than ", kMaxNameEntries, " attributes"));
  }
  for (const X509NameEntry& entry : entries) {
    if (entry.value.size() > kMaxNameValueLength) {
      return absl::InvalidArgumentError(absl::StrCat("subject attribute ", entry.attribute,
                                                     " is longer than ", kMaxNameValueLength,
                                                     " bytes"));
    }
    if (X509_NAME_add_entry_by_txt(name, entry.attribute.c_str(), MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(entry.value.data()),
                                   static_cast<int>(entry.value.size()), -1, 0) != 1) {
      return CryptoError(absl::StatusCode::kInvalidArgument,
                         absl::StrCat("subject attribute ", entry.attribute,
                                      " is unknown or its value breaks the attribute's rules"));
    }
  }
  return absl::OkStatus();
}

bool HasCommonName(const std::vector<X509NameEntry>& entries) {
  for (const X509NameEntry& entry : entries) {
    if (OBJ_txt2nid(entry.attribute.c_str()) == NID_commonName) {
      return true;
    }
  }
  return false;
}

// A random positive serial of 16 bytes. The first byte is kept in 0x40..0x7f: the DER INTEGER
// is then always 16 bytes long (positive, no leading zero octet), 126 bits are random, and its
// hex form has no leading zero, so it reads the same whichever hex convention a caller uses.
absl::StatusOr<std::string> RandomSerial() {
  unsigned char serial[kSerialBytes];
  if (RAND_bytes(serial, sizeof(serial)) != 1) {
    return CryptoError("generating a serial number");
  }
  serial[0] = static_cast<unsigned char>((serial[0] & 0x3f) | 0x40);
  return std::string(reinterpret_cast<const char*>(serial), sizeof(serial));
}

absl::StatusOr<std::string> SetRandomSerial(X509* cert) {
  SIGIL_ASSIGN_OR_RETURN(std::string serial, RandomSerial());
  if (ASN1_STRING_set(X509_get_serialNumber(cert), serial.data(),
                      static_cast<int>(serial.size())) != 1) {
    return CryptoError("setting the serial number");
  }
  return HexEncode(serial);
}

std::string SerialDecimal(X509* cert) {
  BignumPtr bn(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr));
  char* dec = bn == nullptr ? nullptr : BN_bn2dec(bn.get());
  if (dec == nullptr) {
    ClearCryptoErrors();
    return "0";
  }
  std::string out = dec;
  OPENSSL_free(dec);
  return out;
}

absl::Status SetValidity(X509* cert, absl::Time not_before, absl::Time not_after) {
  if (ASN1_TIME_set(X509_getm_notBefore(cert), absl::ToTimeT(not_before)) == nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(cert), absl::ToTimeT(not_after)) == nullptr) {
    return CryptoError("setting the validity period");
  }
  return absl::OkStatus();
}

// ---- assembling ---------------------------------------------------------------------------

const char* DigestName(KeyType signer) {
  switch (signer) {
    case KeyType::kEcP384:
      return "SHA384";
    case KeyType::kEcP521:
      return "SHA512";
    default:
      return "SHA256";
  }
}

absl::StatusOr<EvpMdPtr> FetchDigest(KeyType signer) {
  // An explicitly fetched digest spares OpenSSL 3.0 an implicit fetch on every signature.
  EvpMdPtr md(EVP_MD_fetch(nullptr, DigestName(signer), nullptr));
  if (md == nullptr) {
    return CryptoError("fetching the signature digest");
  }
  return md;
}

struct Validity {
  absl::Time not_before;
  absl::Time not_after;
};

// A certificate with version, serial, validity and public key set; names and extensions follow.
absl::StatusOr<X509Ptr> NewCertificate(const SpkiParts& spki, const Validity& validity,
                                       std::string* serial_hex) {
  X509Ptr cert(X509_new());
  if (cert == nullptr || X509_set_version(cert.get(), X509_VERSION_3) != 1) {
    return CryptoError("allocating a certificate");
  }
  SIGIL_ASSIGN_OR_RETURN(*serial_hex, SetRandomSerial(cert.get()));
  SIGIL_RETURN_IF_ERROR(SetValidity(cert.get(), validity.not_before, validity.not_after));
  SIGIL_RETURN_IF_ERROR(SetSpki(cert.get(), spki));
  return cert;
}

absl::StatusOr<std::string> SignAndEncode(X509* cert, const PrivateKey& key, const EVP_MD* md) {
  if (X509_sign(cert, key.get(), md) <= 0) {
    return CryptoError("signing a certificate");
  }
  unsigned char* out = nullptr;
  const int length = i2d_X509(cert, &out);
  if (length <= 0) {
    return CryptoError("encoding a certificate");
  }
  std::string der(reinterpret_cast<char*>(out), static_cast<size_t>(length));
  OPENSSL_free(out);
  return der;
}

absl::StatusOr<Validity> ClampedValidity(absl::Time now, absl::Duration ttl,
                                         absl::Time ca_not_before, absl::Time ca_not_after) {
  if (now < ca_not_before) {
    return absl::FailedPreconditionError(absl::StrCat(
        "signing CA is not valid until ", absl::FormatTime(ca_not_before, absl::UTCTimeZone())));
  }
  if (now >= ca_not_after) {
    return absl::FailedPreconditionError(absl::StrCat(
        "signing CA expired at ", absl::FormatTime(ca_not_after, absl::UTCTimeZone())));
  }
  // Whole seconds: ASN.1 times carry no fraction, and the recorded not_after must equal what
  // a parser reads back.
  const absl::Time not_before = absl::FromTimeT(absl::ToTimeT(now - kX509Backdate));
  const absl::Time not_after = absl::FromTimeT(absl::ToTimeT(std::min(now + ttl, ca_not_after)));
  return Validity{not_before, not_after};
}

// The trust domain a signing CA's URI SAN names, or nullopt for a CA without URI SANs (an
// operator's corporate CA used as an upstream authority: it signs intermediates, never leaves).
absl::StatusOr<std::optional<TrustDomain>> CaTrustDomain(const CertFacts& facts) {
  if (facts.uris.empty()) {
    return std::optional<TrustDomain>();
  }
  if (facts.uris.size() != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("signing CA must carry exactly one URI SAN spiffe://<trust domain>, found ",
                     facts.uris.size()));
  }
  absl::StatusOr<SpiffeId> id = SpiffeId::Parse(facts.uris.front());
  if (!id.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("signing CA URI SAN is not a SPIFFE ID: ", id.status().message()));
  }
  if (!id->IsTrustDomainId()) {  // X509-09
    return absl::InvalidArgumentError(
        absl::StrCat("signing CA SPIFFE ID ", id->str(), " has a path"));
  }
  return std::optional<TrustDomain>(id->trust_domain());
}

absl::StatusOr<std::string> KeyIdOfCa(X509* ca) {
  const ASN1_OCTET_STRING* skid = X509_get0_subject_key_id(ca);
  if (skid != nullptr) {
    return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(skid)),
                       static_cast<size_t>(ASN1_STRING_length(skid)));
  }
  // A CA from elsewhere (an upstream authority) may lack an SKID; derive it the standard way.
  const ASN1_BIT_STRING* bits = X509_get0_pubkey_bitstr(ca);
  if (bits == nullptr) {
    return CryptoError(absl::StatusCode::kInvalidArgument, "signing CA has no public key");
  }
  return KeyIdentifier(std::string_view(reinterpret_cast<const char*>(ASN1_STRING_get0_data(bits)),
                                        static_cast<size_t>(ASN1_STRING_length(bits))));
}

// Builds and signs a CA certificate. `parent_name` null means self-issued.
absl::StatusOr<Certificate> BuildCa(const X509CaParams& params, const SpkiParts& spki,
                                    const Validity& validity, const X509_NAME* parent_name,
                                    const X509_EXTENSION* authority_key_id,
                                    const PrivateKey& signer, const EVP_MD* md) {
  std::string serial_hex;
  SIGIL_ASSIGN_OR_RETURN(X509Ptr cert, NewCertificate(spki, validity, &serial_hex));
  X509_NAME* subject = X509_get_subject_name(cert.get());
  if (params.subject.empty()) {
    SIGIL_RETURN_IF_ERROR(AddNameEntries(
        subject, {{"C", "US"}, {"O", "SPIFFE"}, {"serialNumber", SerialDecimal(cert.get())}}));
  } else {
    SIGIL_RETURN_IF_ERROR(AddNameEntries(subject, params.subject));
  }
  if (X509_set_issuer_name(cert.get(), parent_name != nullptr ? parent_name : subject) != 1) {
    return CryptoError("setting the issuer name");
  }

  SIGIL_ASSIGN_OR_RETURN(X509ExtensionPtr bc, BasicConstraints(true, params.path_len));
  SIGIL_ASSIGN_OR_RETURN(X509ExtensionPtr ku, KeyUsage({kKeyCertSignBit, kCrlSignBit}));
  SIGIL_ASSIGN_OR_RETURN(std::string key_id, KeyIdentifier(spki.key_bits));
  SIGIL_ASSIGN_OR_RETURN(X509ExtensionPtr skid, SubjectKeyId(key_id));
  SIGIL_ASSIGN_OR_RETURN(X509ExtensionPtr san, SubjectAltName(params.trust_domain.IdString(), {},
                                                              X509_NAME_entry_count(subject) == 0));
  for (const X509_EXTENSION* ext : {bc.get(), ku.get(), skid.get(), san.get()}) {
    SIGIL_RETURN_IF_ERROR(AddExtension(cert.get(), ext));
  }
  if (authority_key_id != nullptr) {
    SIGIL_RETURN_IF_ERROR(AddExtension(cert.get(), authority_key_id));
  }

  SIGIL_ASSIGN_OR_RETURN(std::string der, SignAndEncode(cert.get(), signer, md));
  return Certificate::FromDer(der);
}

// Everything about the CA that every signature reuses.
struct IssuerCore {
  Certificate cert;
  PrivateKey key;
  std::optional<TrustDomain> trust_domain;
  absl::Time not_before;
  absl::Time not_after;
  EvpMdPtr md;
  X509ExtensionPtr authority_key_id;
  LeafTemplate leaf_template;
};

// The subject of a leaf: the configured attributes, plus CN = the first DNS name (X509-12: TLS
// clients that ignore SANs still find the host name) when no CN is configured.
absl::StatusOr<std::string> LeafSubjectDer(const X509SvidParams& params) {
  std::vector<X509NameEntry> entries = params.subject;
  if (!params.dns_names.empty() && !HasCommonName(entries) &&
      params.dns_names.front().size() <= kMaxCommonNameLength) {
    entries.push_back({"CN", params.dns_names.front()});
  }
  if (entries.empty()) {
    return std::string(kEmptyNameDer);
  }
  X509NamePtr name(X509_NAME_new());
  if (name == nullptr) {
    return CryptoError("allocating a subject name");
  }
  SIGIL_RETURN_IF_ERROR(AddNameEntries(name.get(), entries));
  unsigned char* out = nullptr;
  const int length = i2d_X509_NAME(name.get(), &out);
  if (length <= 0) {
    return CryptoError("encoding the subject name");
  }
  std::string der(reinterpret_cast<char*>(out), static_cast<size_t>(length));
  OPENSSL_free(out);
  return der;
}

// The hot path: one leaf X509-SVID, encoded straight to DER (see leaf_der.h).
absl::StatusOr<SignedCertificate> BuildLeaf(const IssuerCore& ca, const X509SvidParams& params,
                                            const SpkiParts& spki, absl::Time now) {
  SIGIL_RETURN_IF_ERROR(ValidateLeafParams(params, ca.trust_domain));
  SIGIL_ASSIGN_OR_RETURN(Validity validity,
                         ClampedValidity(now, params.ttl, ca.not_before, ca.not_after));
  SIGIL_ASSIGN_OR_RETURN(std::string serial, RandomSerial());
  SIGIL_ASSIGN_OR_RETURN(std::string subject, LeafSubjectDer(params));
  SIGIL_ASSIGN_OR_RETURN(std::string key_id, KeyIdentifier(spki.key_bits));

  const LeafFields fields{
      .serial = serial,
      .not_before = validity.not_before,
      .not_after = validity.not_after,
      .subject_der = subject,
      .spki = &spki,
      .key_id = key_id,
      .uri = params.spiffe_id.str(),
      .dns_names = &params.dns_names,
      // X509-03: with no subject the SAN carries the identity alone and must be critical.
      .san_critical = subject == kEmptyNameDer,
  };
  SignedCertificate out{
      .serial_hex = HexEncode(serial),
      .not_before = validity.not_before,
      .not_after = validity.not_after,
  };
  SIGIL_ASSIGN_OR_RETURN(out.der, EncodeAndSignLeaf(ca.leaf_template, fields, ca.key, ca.md.get()));
  return out;
}

}  // namespace

struct X509Issuer::State {
  IssuerCore core;
};

absl::StatusOr<SignedCertificate> X509Issuer::SignSvid(const X509SvidParams& params,
                                                       const PublicKey& subject_key,
                                                       absl::Time now) const {
  SIGIL_ASSIGN_OR_RETURN(SpkiParts spki, SpkiFromPublicKey(subject_key));
  return BuildLeaf(state_->core, params, spki, now);
}

absl::StatusOr<SignedCertificate> X509Issuer::SignSvidForSpki(const X509SvidParams& params,
                                                              std::string_view subject_spki_der,
                                                              absl::Time now) const {
  SIGIL_ASSIGN_OR_RETURN(SpkiParts spki, SpkiFromDer(subject_spki_der));
  return BuildLeaf(state_->core, params, spki, now);
}

absl::StatusOr<Certificate> X509Issuer::SignCa(const X509CaParams& params,
                                               const PublicKey& subject_key, absl::Time now) const {
  const IssuerCore& core = state_->core;
  SIGIL_RETURN_IF_ERROR(ValidateCaParams(params));
  SIGIL_ASSIGN_OR_RETURN(SpkiParts spki, SpkiFromPublicKey(subject_key));
  SIGIL_ASSIGN_OR_RETURN(Validity validity,
                         ClampedValidity(now, params.ttl, core.not_before, core.not_after));
  return BuildCa(params, spki, validity, X509_get_subject_name(core.cert.get()),
                 core.authority_key_id.get(), core.key, core.md.get());
}

const Certificate& X509Issuer::certificate() const { return state_->core.cert; }

const std::optional<TrustDomain>& X509Issuer::trust_domain() const {
  return state_->core.trust_domain;
}

absl::StatusOr<Certificate> SignedCertificate::ToCertificate() const {
  return Certificate::FromDer(der);
}

absl::StatusOr<X509Issuer> X509Issuer::Create(Certificate ca_cert, PrivateKey ca_key) {
  const CertFacts facts = ReadCertFacts(ca_cert.get());
  if (!facts.is_ca) {
    return absl::InvalidArgumentError("signing certificate is not a CA (basicConstraints cA)");
  }
  if ((facts.key_usage & KU_KEY_CERT_SIGN) == 0) {
    return absl::InvalidArgumentError("signing certificate lacks keyCertSign");
  }
  SIGIL_ASSIGN_OR_RETURN(std::optional<TrustDomain> trust_domain, CaTrustDomain(facts));
  absl::StatusOr<PublicKey> ca_public = ca_cert.public_key();
  if (!ca_public.ok() || !ca_key.Matches(*ca_public)) {
    return absl::InvalidArgumentError("signing key does not match the CA certificate");
  }
  SIGIL_ASSIGN_OR_RETURN(std::string ca_key_id, KeyIdOfCa(ca_cert.get()));

  auto state = std::make_shared<State>(State{IssuerCore{
      .cert = ca_cert,
      .key = ca_key,
      .trust_domain = std::move(trust_domain),
      .not_before = ca_cert.not_before(),
      .not_after = ca_cert.not_after(),
  }});
  IssuerCore& core = state->core;
  SIGIL_ASSIGN_OR_RETURN(core.md, FetchDigest(ca_key.type()));
  SIGIL_ASSIGN_OR_RETURN(core.authority_key_id, AuthorityKeyId(ca_key_id));
  SIGIL_ASSIGN_OR_RETURN(X509ExtensionPtr basic_constraints, BasicConstraints(false, std::nullopt));
  // X509-06, X509-12.
  SIGIL_ASSIGN_OR_RETURN(X509ExtensionPtr key_usage,
                         KeyUsage({kDigitalSignatureBit, kKeyEnciphermentBit, kKeyAgreementBit}));
  SIGIL_ASSIGN_OR_RETURN(X509ExtensionPtr extended_key_usage, ServerAndClientAuth());
  SIGIL_ASSIGN_OR_RETURN(core.leaf_template,
                         MakeLeafTemplate(core.cert.get(), ca_key.type(),
                                          {basic_constraints.get(), key_usage.get(),
                                           extended_key_usage.get(), core.authority_key_id.get()}));
  return X509Issuer(std::move(state));
}

absl::StatusOr<SignedCertificate> SignX509Svid(const X509SvidParams& params,
                                               const PublicKey& subject_key,
                                               const Certificate& ca_cert, const PrivateKey& ca_key,
                                               absl::Time now) {
  SIGIL_ASSIGN_OR_RETURN(X509Issuer issuer, X509Issuer::Create(ca_cert, ca_key));
  return issuer.SignSvid(params, subject_key, now);
}

absl::StatusOr<Certificate> SignX509Ca(const X509CaParams& params, const PublicKey& subject_key,
                                       const Certificate& parent_cert, const PrivateKey& parent_key,
                                       absl::Time now) {
  SIGIL_ASSIGN_OR_RETURN(X509Issuer issuer, X509Issuer::Create(parent_cert, parent_key));
  return issuer.SignCa(params, subject_key, now);
}

absl::StatusOr<Certificate> SelfSignX509Ca(const X509CaParams& params, const PrivateKey& key,
                                           absl::Time now) {
  SIGIL_RETURN_IF_ERROR(ValidateCaParams(params));
  SIGIL_ASSIGN_OR_RETURN(SpkiParts spki, SpkiFromPublicKey(key.public_key()));
  SIGIL_ASSIGN_OR_RETURN(EvpMdPtr md, FetchDigest(key.type()));
  const Validity validity{
      .not_before = absl::FromTimeT(absl::ToTimeT(now - kX509Backdate)),
      .not_after = absl::FromTimeT(absl::ToTimeT(now + params.ttl)),
  };
  return BuildCa(params, spki, validity, /*parent_name=*/nullptr, /*authority_key_id=*/nullptr, key,
                 md.get());
}

}  // namespace sigil
