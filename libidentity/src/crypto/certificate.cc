#include "sigil/certificate.h"

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "sigil/status.h"

namespace sigil {
namespace {

constexpr size_t kMaxPemTextSize = 4 * 1024 * 1024;

absl::Time Asn1TimeToAbsl(const ASN1_TIME* t) {
  struct tm tm = {};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) {
    return absl::InfinitePast();
  }
  return absl::FromTM(tm, absl::UTCTimeZone());
}

std::vector<std::string> SansOfType(X509* x509, int type) {
  std::vector<std::string> out;
  GeneralNamesPtr names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(x509, NID_subject_alt_name, nullptr, nullptr)));
  if (names == nullptr) {
    ClearCryptoErrors();
    return out;
  }
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    if (name->type != type) {
      continue;
    }
    const ASN1_STRING* s = type == GEN_URI ? name->d.uniformResourceIdentifier : name->d.dNSName;
    out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                     static_cast<size_t>(ASN1_STRING_length(s)));
  }
  return out;
}

// Length of the DER element starting at `der` (tag, length, contents), or 0 when the header is
// malformed or claims more bytes than there are. Only what a certificate can be is accepted: a
// SEQUENCE with a definite length.
size_t DerElementLength(std::string_view der) {
  if (der.size() < 2 || static_cast<unsigned char>(der[0]) != 0x30) {
    return 0;
  }
  const auto first = static_cast<unsigned char>(der[1]);
  size_t header = 2;
  size_t length = 0;
  if (first < 0x80) {
    length = first;
  } else {
    const size_t count = first & 0x7f;
    if (count == 0 || count > 4 || der.size() < 2 + count) {
      return 0;
    }
    for (size_t i = 0; i < count; ++i) {
      length = (length << 8) | static_cast<unsigned char>(der[2 + i]);
    }
    header += count;
  }
  if (length > der.size() - header) {
    return 0;
  }
  return header + length;
}

}  // namespace

absl::StatusOr<Certificate> Certificate::FromDer(std::string_view der) {
  if (der.size() > kMaxCertificateDerSize) {
    return absl::InvalidArgumentError(absl::StrCat(
        "certificate is ", der.size(), " bytes, more than the limit of ", kMaxCertificateDerSize));
  }
  const auto* start = reinterpret_cast<const unsigned char*>(der.data());
  const unsigned char* cursor = start;
  X509Ptr x509(d2i_X509(nullptr, &cursor, static_cast<long>(der.size())));
  if (x509 == nullptr) {
    return CryptoError(absl::StatusCode::kInvalidArgument, "certificate is not valid DER");
  }
  if (cursor != start + der.size()) {
    return absl::InvalidArgumentError("certificate has trailing bytes after the DER structure");
  }
  return Certificate(std::shared_ptr<X509>(x509.release(), X509_free),
                     std::make_shared<const std::string>(der));
}

absl::StatusOr<Certificate> Certificate::FromX509(X509Ptr x509) {
  if (x509 == nullptr) {
    return absl::InvalidArgumentError("no certificate");
  }
  unsigned char* out = nullptr;
  const int n = i2d_X509(x509.get(), &out);
  if (n <= 0) {
    return CryptoError("encoding a certificate");
  }
  std::string der(reinterpret_cast<char*>(out), static_cast<size_t>(n));
  OPENSSL_free(out);
  return FromDer(der);
}

std::string Certificate::ToPem() const { return ConcatPem({*this}); }

absl::Time Certificate::not_before() const { return Asn1TimeToAbsl(X509_get0_notBefore(get())); }

absl::Time Certificate::not_after() const { return Asn1TimeToAbsl(X509_get0_notAfter(get())); }

std::string Certificate::SerialHex() const {
  BignumPtr bn(ASN1_INTEGER_to_BN(X509_get0_serialNumber(get()), nullptr));
  if (bn == nullptr) {
    ClearCryptoErrors();
    return "";
  }
  char* hex = BN_bn2hex(bn.get());
  std::string out = absl::AsciiStrToLower(hex);
  OPENSSL_free(hex);
  return out;
}

absl::StatusOr<PublicKey> Certificate::public_key() const {
  // get0: the certificate keeps ownership; FromEvp takes its own reference.
  EVP_PKEY* pkey = X509_get0_pubkey(get());
  if (pkey == nullptr) {
    return CryptoError(absl::StatusCode::kInvalidArgument, "certificate public key");
  }
  return PublicKey::FromEvp(pkey);
}

std::vector<std::string> Certificate::UriSans() const { return SansOfType(get(), GEN_URI); }

std::vector<std::string> Certificate::DnsSans() const { return SansOfType(get(), GEN_DNS); }

bool Certificate::IsCa() const { return X509_check_ca(get()) != 0; }

std::string Certificate::Sha256Fingerprint() const { return HexEncode(Sha256(der())); }

absl::StatusOr<std::vector<Certificate>> ParseDerCertificates(std::string_view der,
                                                              size_t max_count) {
  std::vector<Certificate> out;
  if (der.empty()) {
    return absl::InvalidArgumentError("no certificates");
  }
  size_t offset = 0;
  while (offset < der.size()) {
    if (out.size() == max_count) {
      return absl::InvalidArgumentError(absl::StrCat("more than ", max_count, " certificates"));
    }
    const size_t len = DerElementLength(der.substr(offset));
    if (len == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("certificate ", out.size(), " at byte ", offset, " is not valid DER"));
    }
    absl::StatusOr<Certificate> cert = Certificate::FromDer(der.substr(offset, len));
    if (!cert.ok()) {
      return absl::Status(cert.status().code(),
                          absl::StrCat("certificate ", out.size(), ": ", cert.status().message()));
    }
    out.push_back(*std::move(cert));
    offset += len;
  }
  return out;
}

absl::StatusOr<std::vector<Certificate>> ParsePemCertificates(std::string_view pem,
                                                              size_t max_count) {
  if (pem.size() > kMaxPemTextSize) {
    return absl::InvalidArgumentError(absl::StrCat(
        "PEM input is ", pem.size(), " bytes, more than the limit of ", kMaxPemTextSize));
  }
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  std::vector<Certificate> out;
  while (true) {
    char* name = nullptr;
    char* header = nullptr;
    unsigned char* data = nullptr;
    long len = 0;
    if (PEM_read_bio(bio.get(), &name, &header, &data, &len) != 1) {
      // PEM_read_bio fails with "no start line" at the end of input; anything else is damage.
      const unsigned long err = ERR_peek_last_error();
      ClearCryptoErrors();
      if (ERR_GET_REASON(err) == PEM_R_NO_START_LINE && !out.empty()) {
        break;
      }
      if (out.empty()) {
        return absl::InvalidArgumentError("no PEM \"CERTIFICATE\" block found");
      }
      return absl::InvalidArgumentError(absl::StrCat("PEM block ", out.size(), " is malformed"));
    }
    const std::string label = name;
    const std::string body(reinterpret_cast<char*>(data), static_cast<size_t>(len));
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_free(data);
    if (label != "CERTIFICATE") {
      // Say which block: a private key pasted into a bundle file must be noticed, not skipped.
      return absl::InvalidArgumentError(
          absl::StrCat("PEM block ", out.size(), " is \"", label, "\", expected \"CERTIFICATE\""));
    }
    if (out.size() == max_count) {
      return absl::InvalidArgumentError(absl::StrCat("more than ", max_count, " certificates"));
    }
    absl::StatusOr<Certificate> cert = Certificate::FromDer(body);
    if (!cert.ok()) {
      return absl::Status(cert.status().code(),
                          absl::StrCat("PEM block ", out.size(), ": ", cert.status().message()));
    }
    out.push_back(*std::move(cert));
  }
  return out;
}

absl::StatusOr<std::vector<Certificate>> ParseCertificates(std::string_view der_or_pem,
                                                           size_t max_count) {
  const size_t first = der_or_pem.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && der_or_pem.substr(first, 10) == "-----BEGIN") {
    return ParsePemCertificates(der_or_pem, max_count);
  }
  return ParseDerCertificates(der_or_pem, max_count);
}

std::string ConcatDer(const std::vector<Certificate>& certs) {
  std::string out;
  for (const Certificate& cert : certs) {
    out += cert.der();
  }
  return out;
}

std::string ConcatPem(const std::vector<Certificate>& certs) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  for (const Certificate& cert : certs) {
    PEM_write_bio_X509(bio.get(), cert.get());
  }
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

}  // namespace sigil
