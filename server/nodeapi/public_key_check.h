// Checking a SubjectPublicKeyInfo an agent sent before signing an SVID for it, without the
// cost of a full decode. OpenSSL 3.0 spends about 150 us in d2i_PUBKEY (its decoder lookup),
// several times what signing the SVID costs, so the signing path checks EC keys itself: the
// DER structure, the algorithm and curve, the point's length, and that the point lies on the
// curve (EC_POINT_oct2point), which is what a full decode would have proved.
#ifndef SIGIL_SERVER_NODEAPI_PUBLIC_KEY_CHECK_H_
#define SIGIL_SERVER_NODEAPI_PUBLIC_KEY_CHECK_H_

#include <cstddef>
#include <string_view>

#include "absl/status/status.h"

namespace sigil::server {

inline constexpr size_t kMaxSubjectPublicKeyInfo = 16 * 1024;

// OK when `spki_der` is exactly one DER SubjectPublicKeyInfo holding an EC key on P-256, P-384
// or P-521 (an uncompressed point on the curve) or an RSA key that PublicKey::FromSpkiDer
// accepts. kInvalidArgument naming the problem otherwise (never echoing the bytes).
// Thread-safe.
absl::Status CheckSubjectPublicKey(std::string_view spki_der);

}  // namespace sigil::server

#endif  // SIGIL_SERVER_NODEAPI_PUBLIC_KEY_CHECK_H_
