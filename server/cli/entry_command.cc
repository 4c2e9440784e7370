// sigil-server entry create|update|show|delete|count.
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include <nlohmann/json.hpp>

#include "admin.grpc.pb.h"
#include "server/cli/client.h"
#include "server/cli/command.h"
#include "server/cli/entry_json.h"
#include "server/cli/flags.h"
#include "server/cli/print.h"
#include "sigil/status.h"

namespace sigil::server::cli {
namespace {

namespace v1 = sigil::admin::v1;

// What the node-alias parent's path is (server/admin/well_known_ids.h).
constexpr std::string_view kServerIdPath = "/sigil/server";
constexpr int kListPageSize = 1000;

// The flags that set entry fields, shared by create and update. A flag's option pointer tells
// whether it was given, so that update changes only what the operator named.
struct EntryFields {
  std::string spiffe_id;
  std::string parent_id;
  bool node = false;
  std::vector<std::string> selectors;
  std::string x509_svid_ttl;
  std::string jwt_svid_ttl;
  std::vector<std::string> dns_names;
  std::vector<std::string> federates_with;
  bool admin = false;
  bool downstream = false;
  std::string hint;
  std::string expires_at;
  std::string owner;
  std::string description;

  std::vector<CLI::Option*> options;
  CLI::Option* spiffe_id_opt = nullptr;
  CLI::Option* parent_id_opt = nullptr;
  CLI::Option* node_opt = nullptr;
  CLI::Option* selectors_opt = nullptr;
  CLI::Option* x509_opt = nullptr;
  CLI::Option* jwt_opt = nullptr;
  CLI::Option* dns_opt = nullptr;
  CLI::Option* federates_opt = nullptr;
  CLI::Option* admin_opt = nullptr;
  CLI::Option* downstream_opt = nullptr;
  CLI::Option* hint_opt = nullptr;
  CLI::Option* expires_opt = nullptr;
  CLI::Option* owner_opt = nullptr;
  CLI::Option* description_opt = nullptr;

  bool AnyGiven() const {
    for (const CLI::Option* opt : options) {
      if (opt->count() > 0) {
        return true;
      }
    }
    return false;
  }
};

void AddFieldFlags(CLI::App* cmd, EntryFields& f) {
  auto keep = [&f](CLI::Option* opt) {
    f.options.push_back(opt);
    return opt;
  };
  f.spiffe_id_opt =
      keep(cmd->add_option("--spiffe-id", f.spiffe_id, "SPIFFE ID the entry gives workloads"));
  f.parent_id_opt = keep(cmd->add_option(
      "--parent-id", f.parent_id, "Parent: an agent's ID, a node alias, or another entry's ID"));
  f.node_opt = keep(
      cmd->add_flag("--node", f.node, "A node alias entry: parent is spiffe://<td>/sigil/server"));
  f.node_opt->excludes(f.parent_id_opt);
  f.selectors_opt = keep(
      cmd->add_option("--selector", f.selectors, "TYPE:VALUE, such as unix:uid:1000 (repeatable)"));
  f.x509_opt = keep(cmd->add_option("--x509-svid-ttl", f.x509_svid_ttl,
                                    "X509-SVID lifetime: 1h, 30m or seconds; 0 = server default"));
  f.jwt_opt = keep(cmd->add_option("--jwt-svid-ttl", f.jwt_svid_ttl,
                                   "JWT-SVID lifetime: 5m or seconds; 0 = server default"));
  f.dns_opt = keep(cmd->add_option("--dns-name", f.dns_names,
                                   "DNS SAN for X509-SVIDs (repeatable; \"\" clears on update)"));
  f.federates_opt = keep(cmd->add_option(
      "--federates-with", f.federates_with,
      "Trust domain whose bundle workloads receive (repeatable; \"\" clears on update)"));
  f.admin_opt = keep(cmd->add_flag("--admin", f.admin, "Workloads may use the admin API"));
  f.downstream_opt =
      keep(cmd->add_flag("--downstream", f.downstream, "Workloads may mint downstream CAs"));
  f.hint_opt = keep(cmd->add_option("--hint", f.hint, "Hint for workloads that get several IDs"));
  f.expires_opt = keep(cmd->add_option(
      "--expires-at", f.expires_at, "When the entry expires: RFC 3339 or Unix seconds; 0 = never"));
  f.owner_opt = keep(cmd->add_option("--owner", f.owner, "Who owns the entry (inventory)"));
  f.description_opt =
      keep(cmd->add_option("--description", f.description, "Free text (inventory)"));
}

// spiffe://<td>/sigil/server for the trust domain of `spiffe_id`. The trust domain is cut out
// of the text without judging it: a malformed --spiffe-id is the server's to refuse, with the
// same "spiffe_id: ..." message as without --node.
std::string NodeAliasParent(std::string_view spiffe_id) {
  constexpr std::string_view kScheme = "spiffe://";
  if (!spiffe_id.starts_with(kScheme)) {
    return "";
  }
  const std::string_view rest = spiffe_id.substr(kScheme.size());
  return absl::StrCat(AsAbsl(kScheme), AsAbsl(rest.substr(0, rest.find('/'))),
                      AsAbsl(kServerIdPath));
}

// A list flag given once with an empty value clears the list.
std::vector<std::string> ListValue(const std::vector<std::string>& values) {
  if (values.size() == 1 && values.front().empty()) {
    return {};
  }
  return values;
}

// Writes every given flag over `entry`.
absl::Status ApplyFields(const EntryFields& f, v1::Entry& entry) {
  if (f.spiffe_id_opt->count() > 0) {
    entry.set_spiffe_id(f.spiffe_id);
  }
  if (f.parent_id_opt->count() > 0) {
    entry.set_parent_id(f.parent_id);
  }
  if (f.node) {
    entry.set_parent_id(NodeAliasParent(entry.spiffe_id()));
  }
  if (f.selectors_opt->count() > 0) {
    entry.clear_selectors();
    for (const std::string& text : f.selectors) {
      SIGIL_ASSIGN_OR_RETURN(*entry.add_selectors(), ParseSelector("--selector", text));
    }
  }
  if (f.x509_opt->count() > 0) {
    SIGIL_ASSIGN_OR_RETURN(const int64_t ttl,
                           ParseDurationSeconds("--x509-svid-ttl", f.x509_svid_ttl));
    if (ttl > INT32_MAX) {
      return absl::InvalidArgumentError("--x509-svid-ttl: TTL too long");
    }
    entry.set_x509_svid_ttl(static_cast<int32_t>(ttl));
  }
  if (f.jwt_opt->count() > 0) {
    SIGIL_ASSIGN_OR_RETURN(const int64_t ttl,
                           ParseDurationSeconds("--jwt-svid-ttl", f.jwt_svid_ttl));
    if (ttl > INT32_MAX) {
      return absl::InvalidArgumentError("--jwt-svid-ttl: TTL too long");
    }
    entry.set_jwt_svid_ttl(static_cast<int32_t>(ttl));
  }
  if (f.dns_opt->count() > 0) {
    entry.clear_dns_names();
    for (const std::string& name : ListValue(f.dns_names)) {
      entry.add_dns_names(name);
    }
  }
  if (f.federates_opt->count() > 0) {
    entry.clear_federates_with();
    for (const std::string& td : ListValue(f.federates_with)) {
      entry.add_federates_with(td);
    }
  }
  if (f.admin_opt->count() > 0) {
    entry.set_admin(f.admin);
  }
  if (f.downstream_opt->count() > 0) {
    entry.set_downstream(f.downstream);
  }
  if (f.hint_opt->count() > 0) {
    entry.set_hint(f.hint);
  }
  if (f.expires_opt->count() > 0) {
    SIGIL_ASSIGN_OR_RETURN(const int64_t t, ParseTimeSeconds("--expires-at", f.expires_at));
    entry.set_expires_at(t);
  }
  if (f.owner_opt->count() > 0) {
    entry.set_owner(f.owner);
  }
  if (f.description_opt->count() > 0) {
    entry.set_description(f.description);
  }
  return absl::OkStatus();
}

nlohmann::json EntriesJson(const google::protobuf::RepeatedPtrField<v1::Entry>& entries) {
  nlohmann::json list = nlohmann::json::array();
  for (const v1::Entry& entry : entries) {
    list.push_back(EntryToJson(entry));
  }
  return {{"entries", std::move(list)}};
}

std::string EntriesText(const google::protobuf::RepeatedPtrField<v1::Entry>& entries) {
  std::string out;
  for (int i = 0; i < entries.size(); ++i) {
    absl::StrAppend(&out, i == 0 ? "" : "\n", EntryText(entries[i]));
  }
  return out;
}

absl::StatusOr<std::string> ReadInput(const std::string& path) {
  std::string text;
  auto read = [&text](std::istream& in) {
    char buffer[64 * 1024];
    while (in.read(buffer, sizeof(buffer)) || in.gcount() > 0) {
      text.append(buffer, static_cast<size_t>(in.gcount()));
      if (text.size() > kMaxEntryFileBytes) {
        return false;
      }
    }
    return true;
  };
  bool within_limit = true;
  if (path == "-") {
    within_limit = read(std::cin);
  } else {
    std::ifstream file(path, std::ios::binary);
    if (!file) {
      return absl::NotFoundError(absl::StrCat("cannot open ", path, ": ", std::strerror(errno)));
    }
    within_limit = read(file);
  }
  if (!within_limit) {
    return absl::InvalidArgumentError(absl::StrCat(
        path == "-" ? "standard input" : path, " is larger than ", kMaxEntryFileBytes, " bytes"));
  }
  return text;
}

// --- create ---------------------------------------------------------------------------------

struct CreateFlags {
  EntryFields fields;
  std::string entry_id;
  std::string file;
};

int Create(const ClientOptions& options, const CreateFlags& flags) {
  v1::CreateEntriesRequest request;
  if (!flags.file.empty()) {
    if (flags.fields.AnyGiven() || !flags.entry_id.empty()) {
      return ReportUsage(
          "--file takes every entry from the file: it cannot be combined with "
          "entry flags such as --spiffe-id or --selector");
    }
    absl::StatusOr<std::string> text = ReadInput(flags.file);
    if (!text.ok()) {
      return ReportUsage(absl::StrCat("--file: ", text.status().message()));
    }
    absl::StatusOr<std::vector<v1::Entry>> entries = ParseEntryFile(*text);
    if (!entries.ok()) {
      return ReportUsage(absl::StrCat("--file ", flags.file, ": ", entries.status().message()));
    }
    for (v1::Entry& entry : *entries) {
      *request.add_entries() = std::move(entry);
    }
  } else {
    if (flags.fields.spiffe_id.empty()) {
      return ReportUsage("--spiffe-id is required (or --file)");
    }
    if (flags.fields.parent_id.empty() && !flags.fields.node) {
      return ReportUsage("--parent-id or --node is required");
    }
    if (flags.fields.selectors.empty()) {
      return ReportUsage("--selector is required: at least one TYPE:VALUE");
    }
    v1::Entry* entry = request.add_entries();
    entry->set_id(flags.entry_id);
    if (absl::Status s = ApplyFields(flags.fields, *entry); !s.ok()) {
      return ReportUsage(s);
    }
  }

  auto stub = v1::EntryService::NewStub(AdminChannel(options));
  v1::CreateEntriesResponse response;
  grpc::Status status =
      stub->CreateEntries(CallContext(absl::Minutes(5)).get(), request, &response);
  if (!status.ok()) {
    return ReportRpcError(options, "entry create", status);
  }
  Print(options, EntriesText(response.entries()), EntriesJson(response.entries()));
  return kExitOk;
}

// --- update ---------------------------------------------------------------------------------

struct UpdateFlags {
  EntryFields fields;
  std::string entry_id;
};

int Update(const ClientOptions& options, const UpdateFlags& flags) {
  if (!flags.fields.AnyGiven()) {
    return ReportUsage("nothing to update: give the fields to change, such as --selector");
  }
  auto stub = v1::EntryService::NewStub(AdminChannel(options));
  v1::GetEntryRequest get;
  get.set_id(flags.entry_id);
  v1::Entry entry;
  grpc::Status status = stub->GetEntry(CallContext().get(), get, &entry);
  if (!status.ok()) {
    return ReportRpcError(options, "entry update", status);
  }
  if (absl::Status s = ApplyFields(flags.fields, entry); !s.ok()) {
    return ReportUsage(s);
  }
  // The revision read above guards the write: a change made by someone else in between makes
  // the server refuse instead of silently undoing it.
  v1::UpdateEntryRequest request;
  request.set_expected_revision(entry.revision());
  *request.mutable_entry() = entry;
  v1::Entry updated;
  status = stub->UpdateEntry(CallContext().get(), request, &updated);
  if (!status.ok()) {
    return ReportRpcError(options, "entry update", status);
  }
  google::protobuf::RepeatedPtrField<v1::Entry> one;
  *one.Add() = updated;
  Print(options, EntryText(updated), EntriesJson(one));
  return kExitOk;
}

// --- show / count ---------------------------------------------------------------------------

struct FilterFlags {
  std::string entry_id;
  std::string spiffe_id;
  std::string parent_id;
  std::vector<std::string> selectors;
  std::string owner;
};

absl::StatusOr<v1::EntryFilter> FilterOf(const FilterFlags& flags) {
  v1::EntryFilter filter;
  filter.set_spiffe_id(flags.spiffe_id);
  filter.set_parent_id(flags.parent_id);
  filter.set_owner(flags.owner);
  for (const std::string& text : flags.selectors) {
    SIGIL_ASSIGN_OR_RETURN(*filter.add_selectors(), ParseSelector("--selector", text));
  }
  return filter;
}

void AddFilterFlags(CLI::App* cmd, FilterFlags& flags) {
  cmd->add_option("--spiffe-id", flags.spiffe_id, "Only entries with this SPIFFE ID");
  cmd->add_option("--parent-id", flags.parent_id, "Only entries with this parent");
  cmd->add_option("--selector", flags.selectors,
                  "Only entries holding this TYPE:VALUE selector (repeatable: all of them)");
  cmd->add_option("--owner", flags.owner, "Only entries with this owner");
}

int Show(const ClientOptions& options, const FilterFlags& flags) {
  auto stub = v1::EntryService::NewStub(AdminChannel(options));
  google::protobuf::RepeatedPtrField<v1::Entry> entries;
  if (!flags.entry_id.empty()) {
    if (!flags.spiffe_id.empty() || !flags.parent_id.empty() || !flags.selectors.empty() ||
        !flags.owner.empty()) {
      return ReportUsage("--entry-id names one entry: it cannot be combined with other filters");
    }
    v1::GetEntryRequest get;
    get.set_id(flags.entry_id);
    grpc::Status status = stub->GetEntry(CallContext().get(), get, entries.Add());
    if (!status.ok()) {
      return ReportRpcError(options, "entry show", status);
    }
  } else {
    absl::StatusOr<v1::EntryFilter> filter = FilterOf(flags);
    if (!filter.ok()) {
      return ReportUsage(filter.status());
    }
    v1::ListEntriesRequest request;
    *request.mutable_filter() = *filter;
    request.set_page_size(kListPageSize);
    do {
      v1::ListEntriesResponse page;
      grpc::Status status = stub->ListEntries(CallContext().get(), request, &page);
      if (!status.ok()) {
        return ReportRpcError(options, "entry show", status);
      }
      for (v1::Entry& entry : *page.mutable_entries()) {
        *entries.Add() = std::move(entry);
      }
      request.set_page_token(page.next_page_token());
    } while (!request.page_token().empty());
  }
  std::string text = entries.size() == 1 ? "Found 1 entry\n"
                                         : absl::StrCat("Found ", entries.size(), " entries\n");
  if (!entries.empty()) {
    absl::StrAppend(&text, "\n", EntriesText(entries));
  }
  Print(options, text, EntriesJson(entries));
  return kExitOk;
}

int Count(const ClientOptions& options, const FilterFlags& flags) {
  absl::StatusOr<v1::EntryFilter> filter = FilterOf(flags);
  if (!filter.ok()) {
    return ReportUsage(filter.status());
  }
  v1::CountEntriesRequest request;
  *request.mutable_filter() = *filter;
  v1::CountResponse response;
  auto stub = v1::EntryService::NewStub(AdminChannel(options));
  grpc::Status status = stub->CountEntries(CallContext().get(), request, &response);
  if (!status.ok()) {
    return ReportRpcError(options, "entry count", status);
  }
  Print(options,
        absl::StrCat(response.count(),
                     response.count() == 1 ? " registration entry\n" : " registration entries\n"),
        nlohmann::json{{"count", response.count()}});
  return kExitOk;
}

// --- delete ---------------------------------------------------------------------------------

int Delete(const ClientOptions& options, const std::string& entry_id) {
  v1::DeleteEntryRequest request;
  request.set_id(entry_id);
  v1::DeleteEntryResponse response;
  auto stub = v1::EntryService::NewStub(AdminChannel(options));
  grpc::Status status = stub->DeleteEntry(CallContext().get(), request, &response);
  if (!status.ok()) {
    return ReportRpcError(options, "entry delete", status);
  }
  google::protobuf::RepeatedPtrField<v1::Entry> one;
  *one.Add() = response.entry();
  Print(options, absl::StrCat("Deleted entry ", Printable(entry_id), "\n"), EntriesJson(one));
  return kExitOk;
}

}  // namespace

void AddEntryCommands(CLI::App& app, ClientOptions& options, Action* action) {
  CLI::App* entry = app.add_subcommand("entry", "Manage registration entries");
  entry->require_subcommand(1);

  auto create = std::make_shared<CreateFlags>();
  CLI::App* create_cmd = entry->add_subcommand("create", "Create one entry, or many from a file");
  AddClientFlags(create_cmd, options);
  AddFieldFlags(create_cmd, create->fields);
  create_cmd->add_option("--entry-id", create->entry_id,
                         "ID for the new entry (default: a random UUID)");
  create_cmd->add_option("--file", create->file,
                         "JSON file {\"entries\": [...]} created in one transaction (- for stdin)");
  create_cmd->callback([&options, create, action] {
    *action = [&options, create] { return Create(options, *create); };
  });

  auto update = std::make_shared<UpdateFlags>();
  CLI::App* update_cmd =
      entry->add_subcommand("update", "Change the given fields of an entry, keep the rest");
  AddClientFlags(update_cmd, options);
  update_cmd->add_option("--entry-id", update->entry_id, "The entry to change")->required();
  AddFieldFlags(update_cmd, update->fields);
  update_cmd->callback([&options, update, action] {
    *action = [&options, update] { return Update(options, *update); };
  });

  auto show = std::make_shared<FilterFlags>();
  CLI::App* show_cmd = entry->add_subcommand("show", "Show entries, all or those matching filters");
  AddClientFlags(show_cmd, options);
  show_cmd->add_option("--entry-id", show->entry_id, "Only the entry with this ID");
  AddFilterFlags(show_cmd, *show);
  show_cmd->callback(
      [&options, show, action] { *action = [&options, show] { return Show(options, *show); }; });

  auto count = std::make_shared<FilterFlags>();
  CLI::App* count_cmd = entry->add_subcommand("count", "Count entries matching the filters");
  AddClientFlags(count_cmd, options);
  AddFilterFlags(count_cmd, *count);
  count_cmd->callback([&options, count, action] {
    *action = [&options, count] { return Count(options, *count); };
  });

  auto entry_id = std::make_shared<std::string>();
  CLI::App* delete_cmd = entry->add_subcommand("delete", "Delete an entry");
  AddClientFlags(delete_cmd, options);
  delete_cmd->add_option("--entry-id", *entry_id, "The entry to delete")->required();
  delete_cmd->callback([&options, entry_id, action] {
    *action = [&options, entry_id] { return Delete(options, *entry_id); };
  });
}

}  // namespace sigil::server::cli
