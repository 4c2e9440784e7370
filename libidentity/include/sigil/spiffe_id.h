// SPIFFE IDs and trust domain names, validated byte by byte as the SPIFFE-ID specification
// requires and never normalised: a parsed ID prints exactly the bytes it was parsed from.
// Errors name the broken rule and the byte offset, e.g. "trust domain has an uppercase letter
// at byte 12".
#ifndef SIGIL_SPIFFE_ID_H_
#define SIGIL_SPIFFE_ID_H_

#include <compare>
#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace sigil {

inline constexpr std::string_view kSpiffeScheme = "spiffe://";
inline constexpr size_t kMaxTrustDomainLength = 255;
inline constexpr size_t kMaxSpiffeIdLength = 2048;

class SpiffeId;

// A trust domain name such as "example.org": bytes in [a-z0-9._-], 1 to 255 of them.
class TrustDomain {
 public:
  // Accepts a bare name ("example.org") or, when the input contains ":/", a full SPIFFE ID
  // whose trust domain is returned after the whole ID is validated. Fails with
  // kInvalidArgument naming the rule and byte.
  static absl::StatusOr<TrustDomain> FromString(std::string_view name_or_id);

  const std::string& name() const { return name_; }
  // "spiffe://<name>": the trust domain's own SPIFFE ID.
  std::string IdString() const;
  SpiffeId Id() const;

  friend bool operator==(const TrustDomain&, const TrustDomain&) = default;
  friend auto operator<=>(const TrustDomain&, const TrustDomain&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const TrustDomain& td) {
    return H::combine(std::move(h), td.name_);
  }

 private:
  explicit TrustDomain(std::string name) : name_(std::move(name)) {}
  friend class SpiffeId;

  std::string name_;
};

// A validated SPIFFE ID: "spiffe://" + trust domain + optional path.
class SpiffeId {
 public:
  // Validates `id` per SPIFFE-ID section 2 and returns it unchanged. Input longer than
  // kMaxSpiffeIdLength or with a trust domain longer than kMaxTrustDomainLength is refused.
  static absl::StatusOr<SpiffeId> Parse(std::string_view id);

  // Builds "spiffe://<td><path>"; `path` must be empty or start with "/" and follow the path
  // rules.
  static absl::StatusOr<SpiffeId> FromPath(const TrustDomain& td, std::string_view path);

  // Builds an ID from path segments, each non-empty, not "." or "..", without "/", in the
  // path character set.
  static absl::StatusOr<SpiffeId> FromSegments(const TrustDomain& td,
                                               absl::Span<const std::string_view> segments);

  const TrustDomain& trust_domain() const { return trust_domain_; }
  // The path including its leading "/", or empty for the trust domain's own ID.
  std::string_view path() const { return std::string_view(id_).substr(path_offset_); }
  const std::string& str() const { return id_; }
  // True for "spiffe://<td>", which names a trust domain and is never a workload identity.
  bool IsTrustDomainId() const { return path_offset_ == id_.size(); }
  bool MemberOf(const TrustDomain& td) const { return trust_domain_ == td; }

  friend bool operator==(const SpiffeId& a, const SpiffeId& b) { return a.id_ == b.id_; }
  friend std::strong_ordering operator<=>(const SpiffeId& a, const SpiffeId& b) {
    return a.id_ <=> b.id_;
  }
  template <typename H>
  friend H AbslHashValue(H h, const SpiffeId& id) {
    return H::combine(std::move(h), id.id_);
  }

 private:
  SpiffeId(std::string id, TrustDomain td, size_t path_offset)
      : id_(std::move(id)), trust_domain_(std::move(td)), path_offset_(path_offset) {}
  friend class TrustDomain;

  std::string id_;
  TrustDomain trust_domain_;
  size_t path_offset_;
};

// Checks a bare trust domain name: non-empty, at most 255 bytes, every byte in [a-z0-9._-].
absl::Status ValidateTrustDomainName(std::string_view name);

// Checks a path: empty, or "/"-separated non-empty segments that are not "." or "..", with
// bytes in [a-zA-Z0-9._-] and no trailing "/".
absl::Status ValidatePath(std::string_view path);

// Checks a single path segment (no "/").
absl::Status ValidatePathSegment(std::string_view segment);

}  // namespace sigil

#endif  // SIGIL_SPIFFE_ID_H_
