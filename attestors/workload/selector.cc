#include "attestors/workload/selector.h"

#include <algorithm>

namespace sigil::attestors {

std::string Selector::ToString() const { return type + ":" + value; }

void NormalizeSelectors(std::vector<Selector>& selectors) {
  std::sort(selectors.begin(), selectors.end());
  selectors.erase(std::unique(selectors.begin(), selectors.end()), selectors.end());
}

bool SelectorsSubsetOf(const std::vector<Selector>& required, const std::vector<Selector>& held) {
  return std::includes(held.begin(), held.end(), required.begin(), required.end());
}

}  // namespace sigil::attestors
