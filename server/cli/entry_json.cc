#include "server/cli/entry_json.h"

#include <string>

#include "absl/strings/str_cat.h"

#include "server/cli/flags.h"
#include "sigil/status.h"
#include "sigil/strict_json.h"

namespace sigil::server::cli {
namespace {

namespace v1 = sigil::admin::v1;
using nlohmann::json;

absl::Status Invalid(const std::string& where, std::string_view rule) {
  return absl::InvalidArgumentError(absl::StrCat(where, ": ", AsAbsl(rule)));
}

absl::StatusOr<std::string> StringOf(const std::string& where, const json& value) {
  if (!value.is_string()) {
    return Invalid(where, "expected a string");
  }
  return value.get<std::string>();
}

absl::StatusOr<bool> BoolOf(const std::string& where, const json& value) {
  if (!value.is_boolean()) {
    return Invalid(where, "expected true or false");
  }
  return value.get<bool>();
}

absl::StatusOr<std::vector<std::string>> StringsOf(const std::string& where, const json& value) {
  if (!value.is_array()) {
    return Invalid(where, "expected an array of strings");
  }
  std::vector<std::string> out;
  for (size_t i = 0; i < value.size(); ++i) {
    SIGIL_ASSIGN_OR_RETURN(std::string s, StringOf(absl::StrCat(where, "[", i, "]"), value[i]));
    out.push_back(std::move(s));
  }
  return out;
}

// Seconds as a JSON integer, or a duration string.
absl::StatusOr<int32_t> TtlOf(const std::string& where, const json& value) {
  int64_t seconds = 0;
  if (value.is_number_integer()) {
    seconds = value.get<int64_t>();
    if (seconds < 0) {
      return Invalid(where, "negative TTL: a TTL is zero or more seconds");
    }
  } else if (value.is_string()) {
    SIGIL_ASSIGN_OR_RETURN(seconds, ParseDurationSeconds(where, value.get<std::string>()));
  } else {
    return Invalid(where, "expected seconds (an integer) or a duration string such as \"1h\"");
  }
  if (seconds > INT32_MAX) {
    return Invalid(where, "TTL too long");
  }
  return static_cast<int32_t>(seconds);
}

absl::StatusOr<int64_t> TimeOf(const std::string& where, const json& value) {
  if (value.is_number_integer()) {
    const int64_t seconds = value.get<int64_t>();
    if (seconds < 0) {
      return Invalid(where, "time is before 1970");
    }
    return seconds;
  }
  if (value.is_string()) {
    return ParseTimeSeconds(where, value.get<std::string>());
  }
  return Invalid(where, "expected Unix seconds or an RFC 3339 string");
}

absl::StatusOr<v1::Selector> SelectorOf(const std::string& where, const json& value) {
  if (value.is_string()) {
    return ParseSelector(where, value.get<std::string>());
  }
  if (!value.is_object()) {
    return Invalid(where, "expected {\"type\": ..., \"value\": ...} or \"TYPE:VALUE\"");
  }
  v1::Selector selector;
  for (const auto& [key, member] : value.items()) {
    const std::string at = absl::StrCat(where, ".", key);
    if (key == "type") {
      SIGIL_ASSIGN_OR_RETURN(*selector.mutable_type(), StringOf(at, member));
    } else if (key == "value") {
      SIGIL_ASSIGN_OR_RETURN(*selector.mutable_value(), StringOf(at, member));
    } else {
      return Invalid(where, absl::StrCat("unknown key \"", key, "\""));
    }
  }
  if (selector.type().empty()) {
    return Invalid(where, "selector has no type: expected TYPE:VALUE such as unix:uid:1000");
  }
  if (selector.value().empty()) {
    return Invalid(where, "selector has no value: expected TYPE:VALUE such as unix:uid:1000");
  }
  return selector;
}

absl::StatusOr<v1::Entry> EntryOf(const std::string& where, const json& value) {
  if (!value.is_object()) {
    return Invalid(where, "expected an object");
  }
  v1::Entry entry;
  bool has_id = false;
  for (const auto& [key, member] : value.items()) {
    const std::string at = absl::StrCat(where, ".", key);
    if (key == "id" || key == "entry_id") {
      if (has_id) {
        return Invalid(where, "both \"id\" and \"entry_id\" are set");
      }
      has_id = true;
      SIGIL_ASSIGN_OR_RETURN(*entry.mutable_id(), StringOf(at, member));
    } else if (key == "spiffe_id") {
      SIGIL_ASSIGN_OR_RETURN(*entry.mutable_spiffe_id(), StringOf(at, member));
    } else if (key == "parent_id") {
      SIGIL_ASSIGN_OR_RETURN(*entry.mutable_parent_id(), StringOf(at, member));
    } else if (key == "selectors") {
      if (!member.is_array()) {
        return Invalid(at, "expected an array");
      }
      for (size_t i = 0; i < member.size(); ++i) {
        SIGIL_ASSIGN_OR_RETURN(*entry.add_selectors(),
                               SelectorOf(absl::StrCat(at, "[", i, "]"), member[i]));
      }
    } else if (key == "x509_svid_ttl") {
      SIGIL_ASSIGN_OR_RETURN(const int32_t ttl, TtlOf(at, member));
      entry.set_x509_svid_ttl(ttl);
    } else if (key == "jwt_svid_ttl") {
      SIGIL_ASSIGN_OR_RETURN(const int32_t ttl, TtlOf(at, member));
      entry.set_jwt_svid_ttl(ttl);
    } else if (key == "dns_names") {
      SIGIL_ASSIGN_OR_RETURN(std::vector<std::string> names, StringsOf(at, member));
      for (std::string& name : names) {
        entry.add_dns_names(std::move(name));
      }
    } else if (key == "federates_with") {
      SIGIL_ASSIGN_OR_RETURN(std::vector<std::string> domains, StringsOf(at, member));
      for (std::string& td : domains) {
        entry.add_federates_with(std::move(td));
      }
    } else if (key == "admin") {
      SIGIL_ASSIGN_OR_RETURN(const bool admin, BoolOf(at, member));
      entry.set_admin(admin);
    } else if (key == "downstream") {
      SIGIL_ASSIGN_OR_RETURN(const bool downstream, BoolOf(at, member));
      entry.set_downstream(downstream);
    } else if (key == "hint") {
      SIGIL_ASSIGN_OR_RETURN(*entry.mutable_hint(), StringOf(at, member));
    } else if (key == "expires_at") {
      SIGIL_ASSIGN_OR_RETURN(const int64_t expires_at, TimeOf(at, member));
      entry.set_expires_at(expires_at);
    } else if (key == "owner") {
      SIGIL_ASSIGN_OR_RETURN(*entry.mutable_owner(), StringOf(at, member));
    } else if (key == "description") {
      SIGIL_ASSIGN_OR_RETURN(*entry.mutable_description(), StringOf(at, member));
    } else if (key == "revision" || key == "created_at" || key == "updated_at") {
      // Server-owned; present in `entry show --output json`, ignored on input.
    } else {
      return Invalid(where, absl::StrCat("unknown key \"", key, "\""));
    }
  }
  return entry;
}

}  // namespace

json EntryToJson(const v1::Entry& entry) {
  json selectors = json::array();
  for (const v1::Selector& s : entry.selectors()) {
    selectors.push_back({{"type", s.type()}, {"value", s.value()}});
  }
  return json{
      {"id", entry.id()},
      {"spiffe_id", entry.spiffe_id()},
      {"parent_id", entry.parent_id()},
      {"selectors", std::move(selectors)},
      {"x509_svid_ttl", entry.x509_svid_ttl()},
      {"jwt_svid_ttl", entry.jwt_svid_ttl()},
      {"dns_names",
       json(std::vector<std::string>(entry.dns_names().begin(), entry.dns_names().end()))},
      {"federates_with", json(std::vector<std::string>(entry.federates_with().begin(),
                                                       entry.federates_with().end()))},
      {"admin", entry.admin()},
      {"downstream", entry.downstream()},
      {"hint", entry.hint()},
      {"expires_at", entry.expires_at()},
      {"owner", entry.owner()},
      {"description", entry.description()},
      {"revision", entry.revision()},
      {"created_at", entry.created_at()},
      {"updated_at", entry.updated_at()},
  };
}

absl::StatusOr<std::vector<v1::Entry>> ParseEntryFile(std::string_view text) {
  absl::StatusOr<json> doc =
      ParseStrictJson(text, "entry file", JsonLimits{.max_bytes = kMaxEntryFileBytes});
  if (!doc.ok()) {
    return doc.status();
  }
  if (!doc->is_object()) {
    return absl::InvalidArgumentError("entry file: expected an object {\"entries\": [...]}");
  }
  for (const auto& [key, member] : doc->items()) {
    if (key != "entries") {
      return absl::InvalidArgumentError(
          absl::StrCat("entry file: unknown key \"", key, "\": expected only \"entries\""));
    }
  }
  auto entries = doc->find("entries");
  if (entries == doc->end() || !entries->is_array()) {
    return absl::InvalidArgumentError("entry file: \"entries\" must be an array");
  }
  if (entries->empty()) {
    return absl::InvalidArgumentError("entry file: \"entries\" holds no entry");
  }
  std::vector<v1::Entry> out;
  out.reserve(entries->size());
  for (size_t i = 0; i < entries->size(); ++i) {
    SIGIL_ASSIGN_OR_RETURN(v1::Entry entry,
                           EntryOf(absl::StrCat("entries[", i, "]"), (*entries)[i]));
    out.push_back(std::move(entry));
  }
  return out;
}

}  // namespace sigil::server::cli
