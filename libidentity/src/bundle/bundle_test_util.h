// Certificates and keys made on the fly for the bundle tests, with raw OpenSSL so that these
// tests do not depend on the X.509 issuing code they will later be used to check.
#ifndef SIGIL_BUNDLE_BUNDLE_TEST_UTIL_H_
#define SIGIL_BUNDLE_BUNDLE_TEST_UTIL_H_

#include <ostream>
#include <string>
#include <string_view>

#include "sigil/certificate.h"
#include "sigil/keys.h"

namespace sigil::testing {

struct TestCa {
  PrivateKey key;
  Certificate cert;
};

// A fresh key of `type`; aborts the test binary if OpenSSL cannot make one.
PrivateKey NewKey(KeyType type = KeyType::kEcP256);

// A self-signed certificate for `key` with subject O=<td> and URI SAN spiffe://<td>, valid for a
// day. With `is_ca` it has basicConstraints CA:TRUE and keyCertSign; without, CA:FALSE and
// digitalSignature, like a leaf.
Certificate SelfSigned(const PrivateKey& key, std::string_view td, bool is_ca = true);

TestCa NewCa(std::string_view td, KeyType type = KeyType::kEcP256);

// The SEC 1 uncompressed point of an EC key split into base64url x and y, computed through
// EVP_PKEY_get_octet_string_param (not through the JWK encoder under test).
struct EcCoordinates {
  std::string x;
  std::string y;
};
EcCoordinates EcCoordinatesOf(const PublicKey& key);

}  // namespace sigil::testing

namespace sigil {
// Lets gtest print a certificate in failure messages by serial instead of raw object bytes.
inline void PrintTo(const Certificate& cert, std::ostream* os) {
  *os << "Certificate(serial " << cert.SerialHex() << ")";
}
}  // namespace sigil

#endif  // SIGIL_BUNDLE_BUNDLE_TEST_UTIL_H_
