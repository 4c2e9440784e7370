#include "der.h"

#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include <openssl/objects.h>

namespace sigil::x509_internal {

void AppendDer(std::string& out, unsigned char tag, std::string_view contents) {
  out.push_back(static_cast<char>(tag));
  const size_t length = contents.size();
  if (length < 0x80) {
    out.push_back(static_cast<char>(length));
  } else {
    // Long form: the fewest length octets, big-endian (X.690 section 10.1).
    unsigned char octets[sizeof(size_t)];
    size_t count = 0;
    for (size_t rest = length; rest != 0; rest >>= 8) {
      octets[count++] = static_cast<unsigned char>(rest & 0xff);
    }
    out.push_back(static_cast<char>(0x80 | count));
    while (count > 0) {
      out.push_back(static_cast<char>(octets[--count]));
    }
  }
  out.append(contents);
}

std::string Der(unsigned char tag, std::string_view contents) {
  std::string out;
  out.reserve(contents.size() + 6);
  AppendDer(out, tag, contents);
  return out;
}

std::string DerBitString(std::string_view bytes) {
  std::string contents;
  contents.reserve(bytes.size() + 1);
  contents.push_back('\0');  // no unused bits
  contents.append(bytes);
  return Der(kDerBitString, contents);
}

absl::StatusOr<std::string> DerTime(absl::Time time) {
  const absl::CivilSecond civil = absl::ToCivilSecond(time, absl::UTCTimeZone());
  if (civil.year() < 1950 || civil.year() > 9999) {
    return absl::InvalidArgumentError(
        absl::StrCat("certificate time in year ", civil.year(), " cannot be encoded"));
  }
  if (civil.year() < 2050) {
    return Der(kDerUtcTime, absl::FormatTime("%y%m%d%H%M%SZ", time, absl::UTCTimeZone()));
  }
  return Der(kDerGeneralizedTime, absl::FormatTime("%Y%m%d%H%M%SZ", time, absl::UTCTimeZone()));
}

std::string DerExtension(std::string_view oid_der, bool critical, std::string_view value_der) {
  std::string contents(oid_der);
  if (critical) {
    AppendDer(contents, kDerBoolean, "\xff");
  }
  AppendDer(contents, kDerOctetString, value_der);
  return Der(kDerSequence, contents);
}

std::string OidDer(int nid) {
  const ASN1_OBJECT* object = OBJ_nid2obj(nid);
  if (object == nullptr) {
    return "";
  }
  const size_t length = OBJ_length(object);
  return Der(0x06, std::string_view(reinterpret_cast<const char*>(OBJ_get0_data(object)), length));
}

}  // namespace sigil::x509_internal
