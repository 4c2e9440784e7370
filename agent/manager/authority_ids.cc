#include "agent/manager/authority_ids.h"

#include <algorithm>

#include <openssl/x509v3.h>

#include "sigil/keys.h"

namespace sigil::agent {
namespace {

std::string Hex(const ASN1_OCTET_STRING* id) {
  if (id == nullptr) {
    return "";
  }
  return HexEncode(std::string_view(reinterpret_cast<const char*>(ASN1_STRING_get0_data(id)),
                                    static_cast<size_t>(ASN1_STRING_length(id))));
}

}  // namespace

std::vector<std::string> ChainAuthorityIds(const std::vector<Certificate>& chain) {
  std::vector<std::string> ids;
  if (chain.empty()) {
    return ids;
  }
  ids.push_back(Hex(X509_get0_authority_key_id(chain.front().get())));
  for (size_t i = 1; i < chain.size(); ++i) {
    ids.push_back(Hex(X509_get0_subject_key_id(chain[i].get())));
  }
  std::erase(ids, std::string());
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

}  // namespace sigil::agent
