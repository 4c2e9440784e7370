// Node API entries (wire form) to the cache's AgentEntry.
#ifndef SIGIL_AGENT_MANAGER_ENTRY_CONVERT_H_
#define SIGIL_AGENT_MANAGER_ENTRY_CONVERT_H_

#include "absl/status/statusor.h"

#include "agent/cache/agent_entry.h"
#include "node.pb.h"

namespace sigil::agent {

// Converts and validates (ValidateAgentEntry) one entry. Fails with kInvalidArgument naming
// the entry id and the field: an invalid SPIFFE ID or federated trust domain, a negative TTL,
// an oversized list.
absl::StatusOr<AgentEntry> EntryFromProto(const sigil::node::v1::Entry& entry);

}  // namespace sigil::agent

#endif  // SIGIL_AGENT_MANAGER_ENTRY_CONVERT_H_
