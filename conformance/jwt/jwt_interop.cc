// Sigil's half of the JWT-SVID interoperability check with Node's jose (jose_interop.mjs
// drives both halves).
//
//   jwt_interop issue <dir>
//       Writes JWT-SVIDs signed by Sigil (es256.jwt, es384.jwt, rs256.jwt, ps256.jwt) for
//       spiffe://sigil.test/workload with audience "spiffe-conformance", and jwks.json, the
//       trust domain's JWT authorities as the Workload API publishes them (EncodeJwks).
//   jwt_interop check <jwks.json> <audience> <token file> accept|reject
//       Validates the token against the JWKS (taken as the bundle of the token's sub trust
//       domain, read from the token) and exits 0 when the outcome is the expected one.
//
// Tokens are bearer credentials: this program never prints one, only the validation outcome.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/time/clock.h"

#include "sigil/bundle.h"
#include "sigil/jwt_svid.h"
#include "sigil/keys.h"
#include "sigil/status.h"

namespace sigil {
namespace {

constexpr char kTrustDomain[] = "sigil.test";
constexpr char kSubject[] = "spiffe://sigil.test/workload";
constexpr char kAudience[] = "spiffe-conformance";

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot read ", path));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

absl::Status WriteFile(const std::string& path, std::string_view content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  out.close();
  if (!out) {
    return absl::InternalError(absl::StrCat("cannot write ", path));
  }
  return absl::OkStatus();
}

struct Issued {
  const char* file;
  KeyType key_type;
  JwtAlgorithm alg;
  const char* kid;
};

absl::Status Issue(const std::string& dir) {
  SIGIL_ASSIGN_OR_RETURN(TrustDomain td, TrustDomain::FromString(kTrustDomain));
  SIGIL_ASSIGN_OR_RETURN(SpiffeId subject, SpiffeId::Parse(kSubject));
  SIGIL_ASSIGN_OR_RETURN(PrivateKey p256, PrivateKey::Generate(KeyType::kEcP256));
  SIGIL_ASSIGN_OR_RETURN(PrivateKey p384, PrivateKey::Generate(KeyType::kEcP384));
  SIGIL_ASSIGN_OR_RETURN(PrivateKey rsa, PrivateKey::Generate(KeyType::kRsa2048));
  const auto key_of = [&](KeyType type) -> const PrivateKey& {
    return type == KeyType::kEcP256 ? p256 : type == KeyType::kEcP384 ? p384 : rsa;
  };

  TrustBundle bundle(td);
  SIGIL_RETURN_IF_ERROR(
      bundle.AddJwtAuthority({.key_id = "p256", .public_key = p256.public_key()}));
  SIGIL_RETURN_IF_ERROR(
      bundle.AddJwtAuthority({.key_id = "p384", .public_key = p384.public_key()}));
  SIGIL_RETURN_IF_ERROR(bundle.AddJwtAuthority({.key_id = "rsa", .public_key = rsa.public_key()}));
  SIGIL_ASSIGN_OR_RETURN(std::string jwks, EncodeJwks(bundle));
  SIGIL_RETURN_IF_ERROR(WriteFile(dir + "/jwks.json", jwks));

  const absl::Time now = absl::Now();
  const JwtSvidClaims claims{.subject = subject,
                             .audiences = {kAudience},
                             .expires_at = now + kDefaultJwtSvidTtl,
                             .extra_claims = nullptr};
  const Issued issued[] = {
      {"es256.jwt", KeyType::kEcP256, JwtAlgorithm::kEs256, "p256"},
      {"es384.jwt", KeyType::kEcP384, JwtAlgorithm::kEs384, "p384"},
      {"rs256.jwt", KeyType::kRsa2048, JwtAlgorithm::kRs256, "rsa"},
      {"ps256.jwt", KeyType::kRsa2048, JwtAlgorithm::kPs256, "rsa"},
  };
  for (const Issued& spec : issued) {
    SIGIL_ASSIGN_OR_RETURN(SecretBytes token,
                           SignJwtSvid(claims, key_of(spec.key_type), spec.kid, spec.alg, now));
    SIGIL_RETURN_IF_ERROR(WriteFile(dir + "/" + spec.file, token.view()));
  }
  return absl::OkStatus();
}

// Returns the validation outcome: OK when the token validated.
absl::StatusOr<absl::Status> Check(const std::string& jwks_path, const std::string& audience,
                                   const std::string& token_path) {
  SIGIL_ASSIGN_OR_RETURN(std::string jwks, ReadFile(jwks_path));
  SIGIL_ASSIGN_OR_RETURN(std::string token_text, ReadFile(token_path));
  const SecretBytes token = SecretBytes::Adopt(std::move(token_text));

  // The bundle is registered under the trust domain the token claims, so that the check
  // exercises signature and claim validation rather than bundle lookup.
  SIGIL_ASSIGN_OR_RETURN(UnverifiedJwt unverified, ParseJwtSvidInsecure(token.view()));
  const std::string sub = unverified.claims.value("sub", "");
  SIGIL_ASSIGN_OR_RETURN(TrustDomain td, TrustDomain::FromString(sub));
  SIGIL_ASSIGN_OR_RETURN(TrustBundle bundle, ParseJwks(td, jwks));
  BundleSet bundles;
  bundles.Put(std::move(bundle));

  const std::vector<std::string> audiences = {audience};
  return ValidateJwtSvid(token.view(), bundles, audiences, absl::Now()).status();
}

int Main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() == 2 && args[0] == "issue") {
    absl::Status status = Issue(args[1]);
    if (!status.ok()) {
      std::cerr << "issue failed: " << status << "\n";
      return 2;
    }
    return 0;
  }
  if (args.size() == 5 && args[0] == "check" && (args[4] == "accept" || args[4] == "reject")) {
    absl::StatusOr<absl::Status> outcome = Check(args[1], args[2], args[3]);
    if (!outcome.ok()) {
      std::cerr << "check could not run: " << outcome.status() << "\n";
      return 2;
    }
    const bool accepted = outcome->ok();
    std::cout << (accepted ? "accepted" : absl::StrCat("rejected: ", outcome->ToString())) << "\n";
    return accepted == (args[4] == "accept") ? 0 : 1;
  }
  std::cerr << "usage: jwt_interop issue <dir>\n"
               "       jwt_interop check <jwks.json> <audience> <token file> accept|reject\n";
  return 2;
}

}  // namespace
}  // namespace sigil

int main(int argc, char** argv) { return sigil::Main(argc, argv); }
