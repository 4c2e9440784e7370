#include "server/datastore/types.h"

#include <algorithm>
#include <set>
#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"

#include "sigil/status.h"

namespace sigil::server {
namespace {

bool IsLowerTokenByte(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

bool IsControlByte(char c) {
  const auto b = static_cast<unsigned char>(c);
  return b < 0x20 || b == 0x7f;
}

// Checks a 1..max byte name made of [a-z0-9_-].
absl::Status CheckToken(std::string_view field, std::string_view value, size_t max) {
  if (value.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(AsAbsl(field), " is empty"));
  }
  if (value.size() > max) {
    return absl::InvalidArgumentError(
        absl::StrCat(AsAbsl(field), " is ", value.size(), " bytes, more than ", max));
  }
  for (size_t i = 0; i < value.size(); ++i) {
    if (!IsLowerTokenByte(value[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat(AsAbsl(field), " has a character outside [a-z0-9_-] at byte ", i));
    }
  }
  return absl::OkStatus();
}

// Checks free text: at most `max` bytes, no control characters.
absl::Status CheckText(std::string_view field, std::string_view value, size_t max) {
  if (value.size() > max) {
    return absl::InvalidArgumentError(
        absl::StrCat(AsAbsl(field), " is ", value.size(), " bytes, more than ", max));
  }
  for (size_t i = 0; i < value.size(); ++i) {
    if (IsControlByte(value[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat(AsAbsl(field), " has a control character at byte ", i));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckSelectors(std::string_view field, const std::vector<Selector>& selectors,
                            size_t max) {
  if (selectors.size() > max) {
    return absl::InvalidArgumentError(
        absl::StrCat(AsAbsl(field), " has ", selectors.size(), " selectors, more than ", max));
  }
  std::set<Selector> seen;
  for (size_t i = 0; i < selectors.size(); ++i) {
    if (absl::Status s = ValidateSelector(selectors[i]); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(AsAbsl(field), "[", i, "]: ", s.message()));
    }
    if (!seen.insert(selectors[i]).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(AsAbsl(field), "[", i, "] repeats selector ", selectors[i].ToString()));
    }
  }
  return absl::OkStatus();
}

bool IsDnsLabelByte(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

// A DNS name for an X.509 dNSName SAN: dot-separated labels of 1 to 63 bytes of
// [A-Za-z0-9-] that neither start nor end with '-'; the first label may be the wildcard "*".
absl::Status CheckDnsName(std::string_view name) {
  if (name.empty()) {
    return absl::InvalidArgumentError("is empty");
  }
  if (name.size() > kMaxDnsNameLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("is ", name.size(), " bytes, more than ", kMaxDnsNameLength));
  }
  size_t start = 0;
  bool first = true;
  while (start <= name.size()) {
    size_t end = name.find('.', start);
    if (end == std::string_view::npos) {
      end = name.size();
    }
    const std::string_view label = name.substr(start, end - start);
    if (label.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("has an empty label at byte ", start));
    }
    if (label.size() > 63) {
      return absl::InvalidArgumentError(
          absl::StrCat("has a label longer than 63 bytes at byte ", start));
    }
    if (!(first && label == "*")) {
      for (size_t i = 0; i < label.size(); ++i) {
        if (!IsDnsLabelByte(label[i])) {
          return absl::InvalidArgumentError(
              absl::StrCat("has a character outside [A-Za-z0-9-] at byte ", start + i));
        }
      }
      if (label.front() == '-' || label.back() == '-') {
        return absl::InvalidArgumentError(
            absl::StrCat("has a label starting or ending with '-' at byte ", start));
      }
    }
    first = false;
    start = end + 1;
  }
  return absl::OkStatus();
}

absl::Status CheckEntryId(std::string_view id) {
  if (id.size() > kMaxEntryIdLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("entry_id is ", id.size(), " bytes, more than ", kMaxEntryIdLength));
  }
  for (size_t i = 0; i < id.size(); ++i) {
    const char c = id[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) {
      return absl::InvalidArgumentError(
          absl::StrCat("entry_id has a character outside [A-Za-z0-9._-] at byte ", i));
    }
  }
  return absl::OkStatus();
}

template <typename Enum, size_t N>
absl::StatusOr<Enum> ParseName(std::string_view what, std::string_view name,
                               const std::pair<Enum, std::string_view> (&table)[N]) {
  for (const auto& [value, text] : table) {
    if (text == name) {
      return value;
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown ", AsAbsl(what), " \"", std::string(name.substr(0, 64)), "\""));
}

template <typename Enum, size_t N>
std::string_view NameOf(Enum value, const std::pair<Enum, std::string_view> (&table)[N]) {
  for (const auto& [v, text] : table) {
    if (v == value) {
      return text;
    }
  }
  return "unknown";
}

constexpr std::pair<AuthorityKind, std::string_view> kAuthorityKinds[] = {
    {AuthorityKind::kX509, "x509"}, {AuthorityKind::kJwt, "jwt"}};
constexpr std::pair<AuthorityState, std::string_view> kAuthorityStates[] = {
    {AuthorityState::kPrepared, "prepared"},
    {AuthorityState::kActive, "active"},
    {AuthorityState::kOld, "old"}};
constexpr std::pair<FederationProfile, std::string_view> kProfiles[] = {
    {FederationProfile::kHttpsWeb, "https_web"}, {FederationProfile::kHttpsSpiffe, "https_spiffe"}};
constexpr std::pair<SvidKind, std::string_view> kSvidKinds[] = {{SvidKind::kX509, "x509"},
                                                                {SvidKind::kJwt, "jwt"}};
constexpr std::pair<EventKind, std::string_view> kEventKinds[] = {
    {EventKind::kEntryCreated, "entry_created"},
    {EventKind::kEntryUpdated, "entry_updated"},
    {EventKind::kEntryDeleted, "entry_deleted"},
    {EventKind::kNodeCreated, "node_created"},
    {EventKind::kNodeUpdated, "node_updated"},
    {EventKind::kNodeBanned, "node_banned"},
    {EventKind::kNodeEvicted, "node_evicted"},
    {EventKind::kBundleSet, "bundle_set"},
    {EventKind::kBundleDeleted, "bundle_deleted"},
    {EventKind::kAuthoritySet, "authority_set"},
    {EventKind::kAuthorityDeleted, "authority_deleted"},
    {EventKind::kFederationSet, "federation_set"},
    {EventKind::kFederationDeleted, "federation_deleted"},
};

}  // namespace

absl::StatusOr<Selector> Selector::Parse(std::string_view text) {
  const size_t colon = text.find(':');
  if (colon == std::string_view::npos) {
    return absl::InvalidArgumentError(
        "selector has no type: expected \"type:value\" such as \"unix:uid:1000\"");
  }
  Selector selector{std::string(text.substr(0, colon)), std::string(text.substr(colon + 1))};
  SIGIL_RETURN_IF_ERROR(ValidateSelector(selector));
  return selector;
}

std::string Selector::ToString() const { return absl::StrCat(type, ":", value); }

absl::Status ValidateSelector(const Selector& selector) {
  SIGIL_RETURN_IF_ERROR(CheckToken("selector type", selector.type, kMaxSelectorTypeLength));
  if (selector.value.empty()) {
    return absl::InvalidArgumentError("selector value is empty");
  }
  return CheckText("selector value", selector.value, kMaxSelectorValueLength);
}

absl::Status ValidateRegistrationEntry(const RegistrationEntry& entry) {
  SIGIL_RETURN_IF_ERROR(CheckEntryId(entry.entry_id));
  if (entry.spiffe_id.IsTrustDomainId()) {
    return absl::InvalidArgumentError(
        "spiffe_id names a trust domain, not a workload: it needs a path");
  }
  if (entry.selectors.empty()) {
    return absl::InvalidArgumentError("selectors: an entry needs at least one selector");
  }
  SIGIL_RETURN_IF_ERROR(CheckSelectors("selectors", entry.selectors, kMaxEntrySelectors));
  if (entry.x509_svid_ttl_seconds < 0) {
    return absl::InvalidArgumentError("x509_svid_ttl is negative");
  }
  if (entry.jwt_svid_ttl_seconds < 0) {
    return absl::InvalidArgumentError("jwt_svid_ttl is negative");
  }
  if (entry.dns_names.size() > kMaxDnsNames) {
    return absl::InvalidArgumentError(
        absl::StrCat("dns_names has ", entry.dns_names.size(), " names, more than ", kMaxDnsNames));
  }
  std::set<std::string_view> names;
  for (size_t i = 0; i < entry.dns_names.size(); ++i) {
    if (absl::Status s = CheckDnsName(entry.dns_names[i]); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("dns_names[", i, "] ", s.message()));
    }
    if (!names.insert(entry.dns_names[i]).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("dns_names[", i, "] repeats ", entry.dns_names[i]));
    }
  }
  if (entry.federates_with.size() > kMaxFederatesWith) {
    return absl::InvalidArgumentError(
        absl::StrCat("federates_with has ", entry.federates_with.size(),
                     " trust domains, more than ", kMaxFederatesWith));
  }
  std::set<TrustDomain> domains;
  for (size_t i = 0; i < entry.federates_with.size(); ++i) {
    if (!domains.insert(entry.federates_with[i]).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("federates_with[", i, "] repeats ", entry.federates_with[i].name()));
    }
  }
  SIGIL_RETURN_IF_ERROR(CheckText("hint", entry.hint, kMaxHintLength));
  SIGIL_RETURN_IF_ERROR(CheckText("owner", entry.owner, kMaxOwnerLength));
  return CheckText("description", entry.description, kMaxDescriptionLength);
}

absl::Status ValidateAttestedNode(const AttestedNode& node) {
  if (node.spiffe_id.IsTrustDomainId()) {
    return absl::InvalidArgumentError("node spiffe_id names a trust domain: it needs a path");
  }
  SIGIL_RETURN_IF_ERROR(
      CheckToken("attestation_type", node.attestation_type, kMaxAttestationTypeLength));
  SIGIL_RETURN_IF_ERROR(CheckText("serial", node.serial, kMaxSerialLength));
  SIGIL_RETURN_IF_ERROR(CheckText("new_serial", node.new_serial, kMaxSerialLength));
  SIGIL_RETURN_IF_ERROR(CheckSelectors("selectors", node.selectors, kMaxNodeSelectors));
  return CheckText("last_address", node.last_address, kMaxAddressLength);
}

absl::Status ValidateJoinToken(const JoinToken& token) {
  if (token.token.empty()) {
    return absl::InvalidArgumentError("join token is empty");
  }
  if (token.token.size() > kMaxJoinTokenLength) {
    return absl::InvalidArgumentError(absl::StrCat("join token is ", token.token.size(),
                                                   " bytes, more than ", kMaxJoinTokenLength));
  }
  if (token.alias_id.has_value() && token.alias_id->IsTrustDomainId()) {
    return absl::InvalidArgumentError("join token alias_id names a trust domain: it needs a path");
  }
  return absl::OkStatus();
}

absl::Status ValidateBundleRecord(const BundleRecord& bundle) {
  if (bundle.document.empty()) {
    return absl::InvalidArgumentError("bundle document is empty");
  }
  if (bundle.document.size() > kMaxBundleDocumentBytes) {
    return absl::InvalidArgumentError(absl::StrCat("bundle document is ", bundle.document.size(),
                                                   " bytes, more than ", kMaxBundleDocumentBytes));
  }
  if (bundle.sequence_number < 0) {
    return absl::InvalidArgumentError("bundle sequence_number is negative");
  }
  return absl::OkStatus();
}

std::string_view AuthorityKindName(AuthorityKind kind) { return NameOf(kind, kAuthorityKinds); }
absl::StatusOr<AuthorityKind> ParseAuthorityKind(std::string_view name) {
  return ParseName("authority kind", name, kAuthorityKinds);
}
std::string_view AuthorityStateName(AuthorityState state) {
  return NameOf(state, kAuthorityStates);
}
absl::StatusOr<AuthorityState> ParseAuthorityState(std::string_view name) {
  return ParseName("authority state", name, kAuthorityStates);
}

absl::Status ValidateAuthorityRecord(const AuthorityRecord& authority) {
  const std::string_view id = authority.authority_id;
  if (id.empty() || id.size() > kMaxAuthorityIdLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("authority_id must be 1 to ", kMaxAuthorityIdLength, " bytes"));
  }
  for (size_t i = 0; i < id.size(); ++i) {
    if (id[i] <= 0x20 || id[i] >= 0x7f) {
      return absl::InvalidArgumentError(
          absl::StrCat("authority_id has a space or non-printable byte at byte ", i));
    }
  }
  if (authority.public_key_der.empty() || authority.public_key_der.size() > kMaxAuthorityDerBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("authority public_key_der must be 1 to ", kMaxAuthorityDerBytes, " bytes"));
  }
  if (authority.kind == AuthorityKind::kX509 &&
      (authority.certificate_der.empty() ||
       authority.certificate_der.size() > kMaxAuthorityDerBytes)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "an X.509 authority needs certificate_der of 1 to ", kMaxAuthorityDerBytes, " bytes"));
  }
  if (authority.kind == AuthorityKind::kJwt && !authority.certificate_der.empty()) {
    return absl::InvalidArgumentError("a JWT authority has no certificate_der");
  }
  SIGIL_RETURN_IF_ERROR(
      CheckText("upstream_authority_id", authority.upstream_authority_id, kMaxAuthorityIdLength));
  if (authority.not_after <= authority.not_before) {
    return absl::InvalidArgumentError("authority not_after is not after not_before");
  }
  return absl::OkStatus();
}

std::string_view FederationProfileName(FederationProfile profile) {
  return NameOf(profile, kProfiles);
}
absl::StatusOr<FederationProfile> ParseFederationProfile(std::string_view name) {
  return ParseName("federation profile", name, kProfiles);
}

absl::Status ValidateFederationRefreshState(const FederationRefreshState& refresh) {
  if (refresh.last_sequence < 0) {
    return absl::InvalidArgumentError("federation last_sequence is negative");
  }
  if (refresh.last_error.size() > kMaxErrorTextLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("federation last_error is more than ", kMaxErrorTextLength, " bytes"));
  }
  return absl::OkStatus();
}

absl::Status ValidateFederationRelationship(const FederationRelationship& relationship) {
  const std::string_view url = relationship.bundle_endpoint_url;
  if (url.substr(0, 8) != "https://" || url.size() == 8) {
    return absl::InvalidArgumentError("bundle_endpoint_url must be an https:// URL");
  }
  SIGIL_RETURN_IF_ERROR(CheckText("bundle_endpoint_url", url, kMaxUrlLength));
  if (url.find(' ') != std::string_view::npos) {
    return absl::InvalidArgumentError("bundle_endpoint_url contains a space");
  }
  const bool has_id = relationship.endpoint_spiffe_id.has_value();
  if (relationship.profile == FederationProfile::kHttpsSpiffe && !has_id) {
    return absl::InvalidArgumentError("the https_spiffe profile needs endpoint_spiffe_id");
  }
  if (relationship.profile == FederationProfile::kHttpsWeb && has_id) {
    return absl::InvalidArgumentError("the https_web profile takes no endpoint_spiffe_id");
  }
  return ValidateFederationRefreshState(relationship.refresh);
}

std::string_view SvidKindName(SvidKind kind) { return NameOf(kind, kSvidKinds); }
absl::StatusOr<SvidKind> ParseSvidKind(std::string_view name) {
  return ParseName("SVID kind", name, kSvidKinds);
}

absl::Status ValidateIssuanceRecord(const IssuanceRecord& record) {
  SIGIL_RETURN_IF_ERROR(CheckEntryId(record.entry_id));
  SIGIL_RETURN_IF_ERROR(CheckText("serial", record.serial, kMaxSerialLength));
  SIGIL_RETURN_IF_ERROR(
      CheckText("key_fingerprint", record.key_fingerprint, kMaxFingerprintLength));
  if (record.audiences.size() > kMaxAudiences) {
    return absl::InvalidArgumentError(
        absl::StrCat("audiences has more than ", kMaxAudiences, " values"));
  }
  for (size_t i = 0; i < record.audiences.size(); ++i) {
    SIGIL_RETURN_IF_ERROR(
        CheckText(absl::StrCat("audiences[", i, "]"), record.audiences[i], kMaxAudienceLength));
  }
  return absl::OkStatus();
}

std::string_view EventKindName(EventKind kind) { return NameOf(kind, kEventKinds); }
absl::StatusOr<EventKind> ParseEventKind(std::string_view name) {
  return ParseName("event kind", name, kEventKinds);
}

}  // namespace sigil::server
