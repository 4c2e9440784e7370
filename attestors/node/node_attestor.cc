#include "attestors/node/node_attestor.h"

#include "absl/strings/str_cat.h"

#include "sigil/status.h"

namespace sigil::attestors {

absl::StatusOr<SpiffeId> MakeAgentId(const TrustDomain& td, std::string_view type,
                                     std::string_view id) {
  return SpiffeId::FromPath(td,
                            absl::StrCat(AsAbsl(kAgentPathPrefix), AsAbsl(type), "/", AsAbsl(id)));
}

}  // namespace sigil::attestors
