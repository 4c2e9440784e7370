#include <string>
#include <string_view>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

#include "sigil/bundle.h"
#include "sigil/status.h"

namespace sigil {
namespace {

bool SameJwtAuthority(const JwtAuthority& a, const JwtAuthority& b) {
  return a.key_id == b.key_id && a.expires_at == b.expires_at && a.public_key.Equals(b.public_key);
}

// Authorities are unique within a bundle (by DER, by kid), so equal sizes plus containment one
// way is set equality: order does not change what a bundle trusts.
bool SameX509Authorities(const std::vector<Certificate>& a, const std::vector<Certificate>& b) {
  if (a.size() != b.size()) {
    return false;
  }
  absl::flat_hash_set<absl::string_view> ders;
  for (const Certificate& cert : a) {
    ders.insert(cert.der());
  }
  for (const Certificate& cert : b) {
    if (!ders.contains(cert.der())) {
      return false;
    }
  }
  return true;
}

bool SameJwtAuthorities(const TrustBundle& a, const TrustBundle& b) {
  if (a.jwt_authorities().size() != b.jwt_authorities().size()) {
    return false;
  }
  for (const JwtAuthority& authority : a.jwt_authorities()) {
    const JwtAuthority* other = b.FindJwtAuthority(authority.key_id);
    if (other == nullptr || !SameJwtAuthority(authority, *other)) {
      return false;
    }
  }
  return true;
}

}  // namespace

bool TrustBundle::AddX509Authority(Certificate cert) {
  for (const Certificate& existing : x509_authorities_) {
    if (existing == cert) {
      return false;
    }
  }
  x509_authorities_.push_back(std::move(cert));
  return true;
}

bool TrustBundle::RemoveX509Authority(const Certificate& cert) {
  return std::erase(x509_authorities_, cert) > 0;
}

absl::Status TrustBundle::AddJwtAuthority(JwtAuthority authority) {
  if (authority.key_id.empty()) {
    return absl::InvalidArgumentError("JWT authority has an empty key id");
  }
  if (FindJwtAuthority(authority.key_id) != nullptr) {
    return absl::AlreadyExistsError(absl::StrCat("bundle of ", trust_domain_.name(),
                                                 " already has a JWT authority with key id \"",
                                                 authority.key_id, "\""));
  }
  jwt_authorities_.push_back(std::move(authority));
  return absl::OkStatus();
}

bool TrustBundle::RemoveJwtAuthority(std::string_view key_id) {
  return std::erase_if(jwt_authorities_,
                       [&](const JwtAuthority& a) { return a.key_id == key_id; }) > 0;
}

const JwtAuthority* TrustBundle::FindJwtAuthority(std::string_view key_id) const {
  for (const JwtAuthority& authority : jwt_authorities_) {
    if (authority.key_id == key_id) {
      return &authority;
    }
  }
  return nullptr;
}

bool operator==(const TrustBundle& a, const TrustBundle& b) {
  return a.trust_domain_ == b.trust_domain_ && a.sequence_number_ == b.sequence_number_ &&
         a.refresh_hint_ == b.refresh_hint_ &&
         SameX509Authorities(a.x509_authorities_, b.x509_authorities_) && SameJwtAuthorities(a, b);
}

void BundleSet::Put(TrustBundle bundle) {
  TrustDomain td = bundle.trust_domain();
  bundles_.insert_or_assign(std::move(td), std::move(bundle));
}

bool BundleSet::Remove(const TrustDomain& td) { return bundles_.erase(td) > 0; }

const TrustBundle* BundleSet::Find(const TrustDomain& td) const {
  auto it = bundles_.find(td);
  return it == bundles_.end() ? nullptr : &it->second;
}

}  // namespace sigil
