#include "sigil/x509_authorizer.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

#include "sigil/status.h"

namespace sigil {
namespace {

absl::Status Refuse(const SpiffeId& id, std::string_view why) {
  return absl::PermissionDeniedError(absl::StrCat(id.str(), " is not authorized: ", AsAbsl(why)));
}

}  // namespace

Authorizer AuthorizeAny() {
  return Authorizer([](const SpiffeId&) { return absl::OkStatus(); });
}

Authorizer AuthorizeId(SpiffeId expected) {
  return Authorizer([expected = std::move(expected)](const SpiffeId& id) {
    if (id == expected) {
      return absl::OkStatus();
    }
    return Refuse(id, absl::StrCat("expected ", expected.str()));
  });
}

Authorizer AuthorizeOneOf(std::vector<SpiffeId> ids) {
  return Authorizer([ids = std::move(ids)](const SpiffeId& id) {
    if (std::find(ids.begin(), ids.end(), id) != ids.end()) {
      return absl::OkStatus();
    }
    return Refuse(id, absl::StrCat("not one of the ", ids.size(), " allowed IDs"));
  });
}

Authorizer AuthorizeMemberOf(TrustDomain td) {
  return Authorizer([td = std::move(td)](const SpiffeId& id) {
    if (id.MemberOf(td)) {
      return absl::OkStatus();
    }
    return Refuse(id, absl::StrCat("not a member of trust domain ", td.name()));
  });
}

Authorizer AuthorizeIf(std::function<bool(const SpiffeId&)> predicate, std::string description) {
  return Authorizer(
      [predicate = std::move(predicate), description = std::move(description)](const SpiffeId& id) {
        if (predicate != nullptr && predicate(id)) {
          return absl::OkStatus();
        }
        return Refuse(id, description);
      });
}

}  // namespace sigil
