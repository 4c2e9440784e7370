#include "agent/workload_api/responses.h"

#include "absl/container/flat_hash_set.h"

namespace sigil::agent {
namespace {

absl::Status NoIdentity() { return absl::PermissionDeniedError(kNoIdentityMessage); }

google::protobuf::Value JsonToValue(const nlohmann::json& json) {
  google::protobuf::Value value;
  switch (json.type()) {
    case nlohmann::json::value_t::null:
    case nlohmann::json::value_t::discarded:
      value.set_null_value(google::protobuf::NULL_VALUE);
      break;
    case nlohmann::json::value_t::boolean:
      value.set_bool_value(json.get<bool>());
      break;
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
    case nlohmann::json::value_t::number_float:
      value.set_number_value(json.get<double>());
      break;
    case nlohmann::json::value_t::string:
      value.set_string_value(json.get<std::string>());
      break;
    case nlohmann::json::value_t::array: {
      google::protobuf::ListValue* list = value.mutable_list_value();
      for (const nlohmann::json& item : json) {
        *list->add_values() = JsonToValue(item);
      }
      break;
    }
    case nlohmann::json::value_t::object: {
      google::protobuf::Struct* object = value.mutable_struct_value();
      for (const auto& [key, item] : json.items()) {
        (*object->mutable_fields())[key] = JsonToValue(item);
      }
      break;
    }
    case nlohmann::json::value_t::binary:
      value.set_null_value(google::protobuf::NULL_VALUE);
      break;
  }
  return value;
}

// Fills `out` with the bundles of `view`'s trust domains, encoded by `encoding`. Returns false
// when the agent's own bundle (trust_domains[0]) is unknown.
template <typename Map, typename Encoding>
bool FillBundles(const WorkloadView& view, Map& out, Encoding encoding) {
  for (const TrustDomain& td : view.trust_domains) {
    const BundleMaterial* material = view.bundles->Find(td);
    if (material == nullptr) {
      if (td == view.trust_domains.front()) {
        return false;
      }
      continue;
    }
    out[td.IdString()] = encoding(*material);
  }
  return true;
}

}  // namespace

absl::StatusOr<std::optional<wapi::X509SvidResponse>> BuildX509SvidResponse(
    const WorkloadView& view) {
  if (view.identities.empty()) {
    return NoIdentity();
  }
  wapi::X509SvidResponse response;
  absl::flat_hash_set<std::string_view> hints;
  for (const WorkloadIdentity& identity : view.identities) {
    if (identity.svid == nullptr) {
      continue;
    }
    const X509Svid& svid = identity.svid->svid;
    const BundleMaterial* bundle = view.bundles->Find(svid.spiffe_id().trust_domain());
    if (bundle == nullptr) {
      continue;
    }
    const std::string& hint = identity.entry->hint;
    if (!hint.empty() && !hints.insert(hint).second) {
      continue;
    }
    wapi::X509SvidMessage* out = response.add_svids();
    out->set_spiffe_id(svid.spiffe_id().str());
    out->set_x509_svid(identity.svid->chain_der);
    out->set_x509_svid_key(identity.svid->key_der.view().data(), identity.svid->key_der.size());
    out->set_bundle(bundle->x509_der);
    out->set_hint(hint);
  }
  if (response.svids_size() == 0) {
    return std::nullopt;
  }
  for (size_t i = 1; i < view.trust_domains.size(); ++i) {
    if (const BundleMaterial* bundle = view.bundles->Find(view.trust_domains[i])) {
      (*response.mutable_federated_bundles())[view.trust_domains[i].IdString()] = bundle->x509_der;
    }
  }
  return response;
}

absl::StatusOr<std::optional<wapi::X509BundlesResponse>> BuildX509BundlesResponse(
    const WorkloadView& view) {
  if (view.identities.empty()) {
    return NoIdentity();
  }
  wapi::X509BundlesResponse response;
  if (!FillBundles(view, *response.mutable_bundles(),
                   [](const BundleMaterial& m) { return m.x509_der; })) {
    return std::nullopt;
  }
  return response;
}

absl::StatusOr<std::optional<wapi::JwtBundlesResponse>> BuildJwtBundlesResponse(
    const WorkloadView& view) {
  if (view.identities.empty()) {
    return NoIdentity();
  }
  wapi::JwtBundlesResponse response;
  if (!FillBundles(view, *response.mutable_bundles(),
                   [](const BundleMaterial& m) { return m.jwks; })) {
    return std::nullopt;
  }
  return response;
}

BundleSet BundlesForValidation(const WorkloadView& view) {
  BundleSet set;
  for (const TrustDomain& td : view.trust_domains) {
    if (const BundleMaterial* material = view.bundles->Find(td)) {
      set.Put(material->bundle);
    }
  }
  return set;
}

absl::StatusOr<google::protobuf::Struct> ClaimsToStruct(const nlohmann::json& claims) {
  if (!claims.is_object()) {
    return absl::InvalidArgumentError("JWT claims are not a JSON object");
  }
  google::protobuf::Struct out;
  for (const auto& [key, item] : claims.items()) {
    google::protobuf::Value value = JsonToValue(item);
    if (key == "aud" && item.is_string()) {
      google::protobuf::Value list;
      *list.mutable_list_value()->add_values() = std::move(value);
      value = std::move(list);
    }
    (*out.mutable_fields())[key] = std::move(value);
  }
  return out;
}

}  // namespace sigil::agent
