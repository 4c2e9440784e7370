// The authorities an X.509-SVID chains through, named as the node API names tainted ones:
// lowercase hex of X.509 subject key identifiers.
#ifndef SIGIL_AGENT_MANAGER_AUTHORITY_IDS_H_
#define SIGIL_AGENT_MANAGER_AUTHORITY_IDS_H_

#include <string>
#include <vector>

#include "sigil/certificate.h"

namespace sigil::agent {

// The leaf's authority key identifier and the subject key identifier of every later
// certificate of `chain`, lowercase hex, without duplicates. Certificates lacking the
// extension contribute nothing.
std::vector<std::string> ChainAuthorityIds(const std::vector<Certificate>& chain);

}  // namespace sigil::agent

#endif  // SIGIL_AGENT_MANAGER_AUTHORITY_IDS_H_
