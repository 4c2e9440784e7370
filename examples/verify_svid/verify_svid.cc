// Verifies an X.509-SVID chain against a trust bundle and authorizes its SPIFFE ID: the
// example of docs/libidentity.md, built and run by the tests so that it stays correct.
//
//   verify_svid BUNDLE_FILE CHAIN_FILE TRUST_DOMAIN
//
// BUNDLE_FILE is PEM CA certificates or SPIFFE bundle JSON; CHAIN_FILE is the PEM chain, leaf
// first. Prints the SPIFFE ID and exits 0 when the chain is a valid SVID of a workload in
// TRUST_DOMAIN, else prints the reason and exits 1.
#include <fstream>
#include <iostream>
#include <sstream>

#include "sigil/bundle.h"
#include "sigil/certificate.h"
#include "sigil/x509_authorizer.h"
#include "sigil/x509_verify.h"

namespace {

std::string ReadFile(const char* path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

absl::Status Verify(const std::string& bundle_text, const std::string& chain_pem,
                    const std::string& trust_domain) {
  absl::StatusOr<sigil::TrustDomain> td = sigil::TrustDomain::FromString(trust_domain);
  if (!td.ok()) {
    return td.status();
  }
  // A SPIFFE bundle is JSON; anything else is read as PEM certificates.
  absl::StatusOr<sigil::TrustBundle> bundle = bundle_text.starts_with("{")
                                                  ? sigil::ParseSpiffeBundle(*td, bundle_text)
                                                  : sigil::ParsePemBundle(*td, bundle_text);
  if (!bundle.ok()) {
    return bundle.status();
  }
  sigil::BundleSet bundles;
  bundles.Put(*std::move(bundle));

  absl::StatusOr<std::vector<sigil::Certificate>> chain = sigil::ParsePemCertificates(chain_pem);
  if (!chain.ok()) {
    return chain.status();
  }
  // Authentication: a valid SVID chain to the bundle of the leaf's own trust domain.
  absl::StatusOr<sigil::VerifiedX509Svid> peer =
      sigil::VerifyX509Svid(*chain, bundles, absl::Now());
  if (!peer.ok()) {
    return peer.status();
  }
  // Authorization is a separate, explicit step: here, any workload of the trust domain.
  if (absl::Status s = sigil::AuthorizeMemberOf(*td)(peer->spiffe_id); !s.ok()) {
    return s;
  }
  std::cout << peer->spiffe_id.str() << "\n";
  return absl::OkStatus();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: verify_svid BUNDLE_FILE CHAIN_FILE TRUST_DOMAIN\n";
    return 2;
  }
  absl::Status status = Verify(ReadFile(argv[1]), ReadFile(argv[2]), argv[3]);
  if (!status.ok()) {
    std::cerr << "rejected: " << status.message() << "\n";
    return 1;
  }
  return 0;
}
