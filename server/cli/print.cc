#include "server/cli/print.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

#include "server/cli/flags.h"
#include "sigil/status.h"

namespace sigil::server::cli {
namespace {

namespace v1 = sigil::admin::v1;

void Line(std::string& out, std::string_view label, std::string_view value) {
  absl::StrAppend(&out, absl::StrFormat("%-17s: ", AsAbsl(label)), Printable(value), "\n");
}

}  // namespace

std::string Printable(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    const auto b = static_cast<unsigned char>(c);
    if (b < 0x20 || b == 0x7f) {
      absl::StrAppend(&out, absl::StrFormat("\\x%02x", b));
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string EntryText(const v1::Entry& entry) {
  std::string out;
  Line(out, "Entry ID", entry.id());
  Line(out, "SPIFFE ID", entry.spiffe_id());
  Line(out, "Parent ID", entry.parent_id());
  Line(out, "Revision", std::to_string(entry.revision()));
  Line(out, "X509-SVID TTL", TtlText(entry.x509_svid_ttl()));
  Line(out, "JWT-SVID TTL", TtlText(entry.jwt_svid_ttl()));
  for (const v1::Selector& s : entry.selectors()) {
    Line(out, "Selector", absl::StrCat(s.type(), ":", s.value()));
  }
  for (const std::string& name : entry.dns_names()) {
    Line(out, "DNS name", name);
  }
  for (const std::string& td : entry.federates_with()) {
    Line(out, "FederatesWith", td);
  }
  if (entry.admin()) {
    Line(out, "Admin", "true");
  }
  if (entry.downstream()) {
    Line(out, "Downstream", "true");
  }
  if (entry.expires_at() != 0) {
    Line(out, "Expires at", TimeText(entry.expires_at()));
  }
  if (!entry.hint().empty()) {
    Line(out, "Hint", entry.hint());
  }
  if (!entry.owner().empty()) {
    Line(out, "Owner", entry.owner());
  }
  if (!entry.description().empty()) {
    Line(out, "Description", entry.description());
  }
  return out;
}

std::string AgentText(const v1::Agent& agent) {
  std::string out;
  Line(out, "SPIFFE ID", agent.spiffe_id());
  Line(out, "Attestation type", agent.attestation_type());
  Line(out, "Expiration time", TimeText(agent.expires_at()));
  Line(out, "Serial number", agent.serial());
  Line(out, "Can re-attest", agent.can_reattest() ? "true" : "false");
  Line(out, "Banned", agent.banned() ? "true" : "false");
  for (const v1::Selector& s : agent.selectors()) {
    Line(out, "Selector", absl::StrCat(s.type(), ":", s.value()));
  }
  Line(out, "Attested at", TimeText(agent.attested_at()));
  if (agent.last_seen_at() != 0) {
    Line(out, "Last seen", TimeText(agent.last_seen_at()));
  }
  if (!agent.last_address().empty()) {
    Line(out, "Last address", agent.last_address());
  }
  return out;
}

nlohmann::json AgentToJson(const v1::Agent& agent) {
  nlohmann::json selectors = nlohmann::json::array();
  for (const v1::Selector& s : agent.selectors()) {
    selectors.push_back({{"type", s.type()}, {"value", s.value()}});
  }
  return {{"spiffe_id", agent.spiffe_id()},
          {"attestation_type", agent.attestation_type()},
          {"serial", agent.serial()},
          {"expires_at", agent.expires_at()},
          {"banned", agent.banned()},
          {"can_reattest", agent.can_reattest()},
          {"selectors", std::move(selectors)},
          {"attested_at", agent.attested_at()},
          {"last_seen_at", agent.last_seen_at()},
          {"last_address", agent.last_address()}};
}

std::string_view KindName(v1::AuthorityKind kind) {
  return kind == v1::AUTHORITY_KIND_JWT ? "jwt" : "x509";
}

std::string AuthorityText(const v1::Authority& authority) {
  std::string out;
  Line(out, "Authority ID", authority.id());
  Line(out, "Type", KindName(authority.kind()));
  Line(out, "State", authority.state());
  Line(out, "Tainted", authority.tainted() ? "true" : "false");
  Line(out, "Not before", TimeText(authority.not_before()));
  Line(out, "Not after", TimeText(authority.not_after()));
  if (!authority.upstream_authority_id().empty()) {
    Line(out, "Upstream ID", authority.upstream_authority_id());
  }
  return out;
}

nlohmann::json AuthorityToJson(const v1::Authority& authority) {
  return {{"id", authority.id()},
          {"type", KindName(authority.kind())},
          {"state", authority.state()},
          {"tainted", authority.tainted()},
          {"not_before", authority.not_before()},
          {"not_after", authority.not_after()},
          {"upstream_authority_id", authority.upstream_authority_id()},
          {"pem", authority.pem()}};
}

}  // namespace sigil::server::cli
