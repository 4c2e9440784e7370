#include "agent/cache/jwt_svid_cache.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

#include "sigil/jwt_svid.h"
#include "sigil/status.h"

namespace sigil::agent {
namespace {

// SPIFFE ID and audiences, each length-prefixed so that no two different lists share a key.
std::string CacheKey(const SpiffeId& id, std::vector<std::string> audiences) {
  std::sort(audiences.begin(), audiences.end());
  std::string key = absl::StrCat(id.str().size(), ":", id.str());
  for (const std::string& aud : audiences) {
    absl::StrAppend(&key, aud.size(), ":", aud);
  }
  return key;
}

// When a token from the signer should be replaced: half way through its life. The token came
// from our own server over an authenticated channel; only its times are read here.
absl::StatusOr<absl::Time> RefreshTime(const SecretBytes& token, const SpiffeId& expected,
                                       absl::Time now) {
  auto parsed = ParseJwtSvidInsecure(token.view());
  if (!parsed.ok()) {
    return absl::InternalError(
        absl::StrCat("signer returned a malformed JWT-SVID: ", parsed.status().message()));
  }
  const nlohmann::json& claims = parsed->claims;
  auto sub = claims.find("sub");
  if (sub == claims.end() || !sub->is_string() || sub->get<std::string>() != expected.str()) {
    return absl::InternalError(
        absl::StrCat("signer returned a JWT-SVID whose sub is not ", expected.str()));
  }
  auto exp = claims.find("exp");
  if (exp == claims.end() || !exp->is_number_integer()) {
    return absl::InternalError("signer returned a JWT-SVID without an integer exp");
  }
  absl::Time issued = now;
  if (auto iat = claims.find("iat"); iat != claims.end()) {
    if (!iat->is_number_integer()) {
      return absl::InternalError("signer returned a JWT-SVID whose iat is not an integer");
    }
    issued = absl::FromUnixSeconds(iat->get<int64_t>());
  }
  const absl::Time expires = absl::FromUnixSeconds(exp->get<int64_t>());
  return issued + (expires - issued) / 2;
}

}  // namespace

absl::StatusOr<SecretBytes> JwtSvidCache::Fetch(const AgentEntry& entry,
                                                absl::Span<const std::string> audiences,
                                                JwtSvidSigner& signer, absl::Time now) {
  if (audiences.empty()) {
    return absl::InvalidArgumentError("audience must be specified");
  }
  for (const std::string& aud : audiences) {
    if (aud.empty()) {
      return absl::InvalidArgumentError("audience must not be an empty string");
    }
  }
  const std::string key =
      CacheKey(entry.spiffe_id, std::vector<std::string>(audiences.begin(), audiences.end()));
  {
    absl::MutexLock lock(&mu_);
    auto it = tokens_.find(key);
    if (it != tokens_.end() && now < it->second.refresh_at) {
      ++hits_;
      lru_.splice(lru_.begin(), lru_, it->second.lru_position);
      return it->second.token;
    }
    ++misses_;
  }

  auto token = signer.Sign(entry, audiences, now);
  if (!token.ok()) {
    return token.status();
  }
  auto refresh_at = RefreshTime(*token, entry.spiffe_id, now);
  if (!refresh_at.ok()) {
    return refresh_at.status();
  }
  if (capacity_ == 0) {
    return token;
  }

  absl::MutexLock lock(&mu_);
  auto it = tokens_.find(key);
  if (it != tokens_.end()) {
    it->second.token = *token;
    it->second.refresh_at = *refresh_at;
    lru_.splice(lru_.begin(), lru_, it->second.lru_position);
    return token;
  }
  while (tokens_.size() >= capacity_) {
    tokens_.erase(lru_.back());
    lru_.pop_back();
    ++evictions_;
  }
  lru_.push_front(key);
  tokens_.emplace(key, Cached{*token, *refresh_at, lru_.begin()});
  return token;
}

JwtSvidCacheStats JwtSvidCache::stats() const {
  absl::MutexLock lock(&mu_);
  return JwtSvidCacheStats{tokens_.size(), hits_, misses_, evictions_};
}

}  // namespace sigil::agent
