// Workload selectors: what attestation learns about a process ("unix" / "uid:1000"), and what a
// registration entry requires of the processes it applies to. An entry applies to a workload
// when every selector of the entry is among the workload's selectors.
#ifndef SIGIL_ATTESTORS_WORKLOAD_SELECTOR_H_
#define SIGIL_ATTESTORS_WORKLOAD_SELECTOR_H_

#include <compare>
#include <string>
#include <utility>
#include <vector>

namespace sigil::attestors {

// A selector such as "unix:uid:1000": type "unix", value "uid:1000" (the value may itself hold
// colons), as SPIRE spells them.
struct Selector {
  std::string type;
  std::string value;

  // "type:value".
  std::string ToString() const;

  friend bool operator==(const Selector&, const Selector&) = default;
  friend auto operator<=>(const Selector&, const Selector&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const Selector& s) {
    return H::combine(std::move(h), s.type, s.value);
  }
};

// Sorts `selectors` and removes duplicates, giving the canonical form the matching functions
// below expect.
void NormalizeSelectors(std::vector<Selector>& selectors);

// True when every selector of `required` is in `held`. Both must be normalized. An empty
// `required` is a subset of anything.
bool SelectorsSubsetOf(const std::vector<Selector>& required, const std::vector<Selector>& held);

}  // namespace sigil::attestors

#endif  // SIGIL_ATTESTORS_WORKLOAD_SELECTOR_H_
