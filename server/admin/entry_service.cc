#include "server/admin/entry_service.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

#include "server/admin/entry_convert.h"
#include "server/admin/entry_rules.h"
#include "sigil/log.h"
#include "sigil/status.h"

namespace sigil::server {
namespace {
constexpr std::string_view kLogComponent = "admin";

namespace v1 = sigil::admin::v1;

EntryPolicy PolicyOf(const ServerCore& core) {
  return EntryPolicy{.trust_domain = *core.config.trust_domain, .max_svid_ttl = core.config.ca_ttl};
}

absl::Status Prefixed(size_t index, bool batch, const absl::Status& status) {
  if (!batch || status.ok()) {
    return status;
  }
  return absl::Status(status.code(), absl::StrCat("entries[", index, "]: ", status.message()));
}

absl::Status RequireId(const std::string& id) {
  if (id.empty()) {
    return absl::InvalidArgumentError("id is required: name the entry by its entry ID");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status EntryService::Create(const v1::CreateEntriesRequest& request,
                                  v1::CreateEntriesResponse& response) {
  const size_t count = static_cast<size_t>(request.entries_size());
  if (count == 0) {
    return absl::InvalidArgumentError("entries: at least one entry is required");
  }
  if (count > kMaxEntriesPerBatch) {
    return absl::InvalidArgumentError(absl::StrCat("entries: ", count, " entries, more than ",
                                                   kMaxEntriesPerBatch, " in one request"));
  }
  const bool batch = count > 1;
  const EntryPolicy policy = PolicyOf(core_);
  const absl::Time now = core_.clock();

  std::vector<RegistrationEntry> entries;
  entries.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    absl::StatusOr<RegistrationEntry> entry = EntryFromProto(request.entries(static_cast<int>(i)));
    if (!entry.ok()) {
      return Prefixed(i, batch, entry.status());
    }
    SIGIL_RETURN_IF_ERROR(Prefixed(i, batch, CheckEntryPolicy(*entry, policy, now)));
    entries.push_back(*std::move(entry));
  }
  // Parents are checked once every entry of the batch is known, so a file may list a child
  // before the entry it is parented on.
  ParentResolver parents(*core_.datastore, policy.trust_domain);
  for (const RegistrationEntry& entry : entries) {
    parents.AddPending(entry.spiffe_id);
  }
  for (size_t i = 0; i < count; ++i) {
    SIGIL_RETURN_IF_ERROR(Prefixed(i, batch, parents.CheckKnown(entries[i].parent_id)));
  }

  if (batch) {
    SIGIL_ASSIGN_OR_RETURN(entries, core_.datastore->CreateEntries(std::move(entries)));
  } else {
    SIGIL_ASSIGN_OR_RETURN(RegistrationEntry created,
                           core_.datastore->CreateEntry(std::move(entries.front())));
    entries.front() = std::move(created);
  }
  for (const RegistrationEntry& entry : entries) {
    EntryToProto(entry, response.add_entries());
  }
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* EntryService::CreateEntries(grpc::CallbackServerContext* ctx,
                                                      const v1::CreateEntriesRequest* request,
                                                      v1::CreateEntriesResponse* response) {
  absl::Status status = Create(*request, *response);
  const std::string uid = CallerUid(peers_, *ctx);
  if (!status.ok()) {
    SIGIL_LOG(kInfo, "admin.entry_create_refused",
              {{"caller_uid", uid}, {"error", AsStd(status.message())}});
  } else if (response->entries_size() == 1) {
    const v1::Entry& entry = response->entries(0);
    SIGIL_LOG(kInfo, "admin.entry_created",
              {{"caller_uid", uid},
               {"entry_id", entry.id()},
               {"spiffe_id", entry.spiffe_id()},
               {"parent_id", entry.parent_id()}});
  } else {
    const std::string created = std::to_string(response->entries_size());
    SIGIL_LOG(
        kInfo, "admin.entries_created",
        {{"caller_uid", uid}, {"count", created}, {"first_entry_id", response->entries(0).id()}});
  }
  return FinishCall(ctx, status);
}

absl::Status EntryService::Update(const v1::UpdateEntryRequest& request, v1::Entry& response) {
  SIGIL_RETURN_IF_ERROR(RequireId(request.entry().id()));
  SIGIL_ASSIGN_OR_RETURN(RegistrationEntry entry, EntryFromProto(request.entry()));
  const EntryPolicy policy = PolicyOf(core_);
  SIGIL_RETURN_IF_ERROR(CheckEntryPolicy(entry, policy, core_.clock()));
  ParentResolver parents(*core_.datastore, policy.trust_domain);
  SIGIL_RETURN_IF_ERROR(parents.CheckKnown(entry.parent_id));
  std::optional<int64_t> expected;
  if (request.expected_revision() != 0) {
    expected = request.expected_revision();
  }
  // Limitation: changing an entry's spiffe_id leaves entries parented on the old one in place;
  // they apply to nothing until a parent with that ID exists again.
  SIGIL_ASSIGN_OR_RETURN(RegistrationEntry updated, core_.datastore->UpdateEntry(entry, expected));
  EntryToProto(updated, &response);
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* EntryService::UpdateEntry(grpc::CallbackServerContext* ctx,
                                                    const v1::UpdateEntryRequest* request,
                                                    v1::Entry* response) {
  absl::Status status = Update(*request, *response);
  const std::string uid = CallerUid(peers_, *ctx);
  if (status.ok()) {
    const std::string revision = std::to_string(response->revision());
    SIGIL_LOG(kInfo, "admin.entry_updated",
              {{"caller_uid", uid},
               {"entry_id", response->id()},
               {"spiffe_id", response->spiffe_id()},
               {"revision", revision}});
  } else {
    SIGIL_LOG(kInfo, "admin.entry_update_refused",
              {{"caller_uid", uid},
               {"entry_id", request->entry().id()},
               {"error", AsStd(status.message())}});
  }
  return FinishCall(ctx, status);
}

grpc::ServerUnaryReactor* EntryService::DeleteEntry(grpc::CallbackServerContext* ctx,
                                                    const v1::DeleteEntryRequest* request,
                                                    v1::DeleteEntryResponse* response) {
  absl::Status status = RequireId(request->id());
  if (status.ok()) {
    absl::StatusOr<RegistrationEntry> deleted = core_.datastore->DeleteEntry(request->id());
    status = deleted.status();
    if (deleted.ok()) {
      EntryToProto(*deleted, response->mutable_entry());
    }
  }
  SIGIL_LOG(kInfo, status.ok() ? "admin.entry_deleted" : "admin.entry_delete_refused",
            {{"caller_uid", CallerUid(peers_, *ctx)},
             {"entry_id", request->id()},
             {"error", AsStd(status.message())}});
  return FinishCall(ctx, status);
}

grpc::ServerUnaryReactor* EntryService::GetEntry(grpc::CallbackServerContext* ctx,
                                                 const v1::GetEntryRequest* request,
                                                 v1::Entry* response) {
  SIGIL_LOG(kDebug, "admin.entry_get",
            {{"caller_uid", CallerUid(peers_, *ctx)}, {"entry_id", request->id()}});
  absl::Status status = RequireId(request->id());
  if (status.ok()) {
    absl::StatusOr<RegistrationEntry> entry = core_.datastore->FetchEntry(request->id());
    status = entry.status();
    if (entry.ok()) {
      EntryToProto(*entry, response);
    }
  }
  return FinishCall(ctx, status);
}

absl::Status EntryService::List(const v1::ListEntriesRequest& request,
                                v1::ListEntriesResponse& response) {
  SIGIL_ASSIGN_OR_RETURN(const EntryFilter filter, EntryFilterFromProto(request.filter()));
  PageRequest page{.page_size = request.page_size(), .page_token = request.page_token()};
  SIGIL_ASSIGN_OR_RETURN(Page<RegistrationEntry> result,
                         core_.datastore->ListEntries(filter, page));
  for (const RegistrationEntry& entry : result.items) {
    EntryToProto(entry, response.add_entries());
  }
  response.set_next_page_token(std::move(result.next_page_token));
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* EntryService::ListEntries(grpc::CallbackServerContext* ctx,
                                                    const v1::ListEntriesRequest* request,
                                                    v1::ListEntriesResponse* response) {
  SIGIL_LOG(kDebug, "admin.entry_list", {{"caller_uid", CallerUid(peers_, *ctx)}});
  return FinishCall(ctx, List(*request, *response));
}

grpc::ServerUnaryReactor* EntryService::CountEntries(grpc::CallbackServerContext* ctx,
                                                     const v1::CountEntriesRequest* request,
                                                     v1::CountResponse* response) {
  SIGIL_LOG(kDebug, "admin.entry_count", {{"caller_uid", CallerUid(peers_, *ctx)}});
  absl::StatusOr<EntryFilter> filter = EntryFilterFromProto(request->filter());
  absl::Status status = filter.status();
  if (filter.ok()) {
    absl::StatusOr<int64_t> count = core_.datastore->CountEntries(*filter);
    status = count.status();
    if (count.ok()) {
      response->set_count(*count);
    }
  }
  return FinishCall(ctx, status);
}

}  // namespace sigil::server
