// EntryService on the admin socket: `sigil-server entry create|update|show|delete|count`.
// Every write is checked in full (entry_convert.h for each field's syntax, entry_rules.h for
// the trust domain, TTL caps, expiry and parents) before anything reaches the datastore, and
// a batch is one datastore transaction: all of it is created or none.
#ifndef SIGIL_SERVER_ADMIN_ENTRY_SERVICE_H_
#define SIGIL_SERVER_ADMIN_ENTRY_SERVICE_H_

#include <cstddef>

#include "admin.grpc.pb.h"
#include "server/admin/admin_call.h"
#include "server/app/server_core.h"

namespace sigil::server {

// Largest CreateEntries batch. A bound on what one request makes the server hold and write in
// one transaction; larger imports are split by the caller.
inline constexpr size_t kMaxEntriesPerBatch = 50000;

// Borrows `core`, which must outlive the service. Thread-safe (the datastore is).
class EntryService final : public sigil::admin::v1::EntryService::CallbackService {
 public:
  EntryService(ServerCore& core, PeerLookup peers) : core_(core), peers_(std::move(peers)) {}

  // kInvalidArgument naming "entries[i]: <field>" (the index only for batches of more than one
  // entry), kAlreadyExists naming the existing entry, nothing written on any failure.
  grpc::ServerUnaryReactor* CreateEntries(
      grpc::CallbackServerContext* ctx, const sigil::admin::v1::CreateEntriesRequest* request,
      sigil::admin::v1::CreateEntriesResponse* response) override;
  // kNotFound for an unknown id, kAborted when expected_revision is set and stale.
  grpc::ServerUnaryReactor* UpdateEntry(grpc::CallbackServerContext* ctx,
                                        const sigil::admin::v1::UpdateEntryRequest* request,
                                        sigil::admin::v1::Entry* response) override;
  grpc::ServerUnaryReactor* DeleteEntry(grpc::CallbackServerContext* ctx,
                                        const sigil::admin::v1::DeleteEntryRequest* request,
                                        sigil::admin::v1::DeleteEntryResponse* response) override;
  grpc::ServerUnaryReactor* GetEntry(grpc::CallbackServerContext* ctx,
                                     const sigil::admin::v1::GetEntryRequest* request,
                                     sigil::admin::v1::Entry* response) override;
  grpc::ServerUnaryReactor* ListEntries(grpc::CallbackServerContext* ctx,
                                        const sigil::admin::v1::ListEntriesRequest* request,
                                        sigil::admin::v1::ListEntriesResponse* response) override;
  grpc::ServerUnaryReactor* CountEntries(grpc::CallbackServerContext* ctx,
                                         const sigil::admin::v1::CountEntriesRequest* request,
                                         sigil::admin::v1::CountResponse* response) override;

 private:
  absl::Status Create(const sigil::admin::v1::CreateEntriesRequest& request,
                      sigil::admin::v1::CreateEntriesResponse& response);
  absl::Status Update(const sigil::admin::v1::UpdateEntryRequest& request,
                      sigil::admin::v1::Entry& response);
  absl::Status List(const sigil::admin::v1::ListEntriesRequest& request,
                    sigil::admin::v1::ListEntriesResponse& response);

  ServerCore& core_;
  const PeerLookup peers_;
};

}  // namespace sigil::server

#endif  // SIGIL_SERVER_ADMIN_ENTRY_SERVICE_H_
