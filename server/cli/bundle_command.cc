// sigil-server bundle show|list|set|delete.
#include <fstream>
#include <iostream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include <nlohmann/json.hpp>

#include "admin.grpc.pb.h"
#include "server/cli/client.h"
#include "server/cli/command.h"
#include "sigil/bundle.h"

namespace sigil::server::cli {
namespace {

namespace v1 = sigil::admin::v1;

struct BundleFlags {
  // "pem" (the default, as SPIRE's) or "spiffe".
  std::string format = "pem";
  std::string id;
  std::string path;
};

v1::BundleFormat FormatOf(const BundleFlags& flags) {
  return flags.format == "spiffe" ? v1::BUNDLE_FORMAT_SPIFFE : v1::BUNDLE_FORMAT_PEM;
}

nlohmann::json BundleJson(const v1::Bundle& bundle) {
  return {{"trust_domain", bundle.trust_domain()},
          {"sequence_number", bundle.sequence_number()},
          {"format", bundle.format() == v1::BUNDLE_FORMAT_SPIFFE ? "spiffe" : "pem"},
          {"document", bundle.document()}};
}

std::string Document(const v1::Bundle& bundle) {
  std::string text = bundle.document();
  if (!text.empty() && text.back() != '\n') {
    text.push_back('\n');
  }
  return text;
}

void AddFormatFlag(CLI::App* cmd, BundleFlags& flags) {
  cmd->add_option("--format", flags.format, "pem or spiffe (SPIFFE bundle JSON)")
      ->check(CLI::IsMember({"pem", "spiffe"}))
      ->capture_default_str();
}

int Show(const ClientOptions& options, const BundleFlags& flags, std::string_view what) {
  v1::GetBundleRequest request;
  request.set_trust_domain(flags.id);
  request.set_format(FormatOf(flags));
  v1::Bundle bundle;
  auto stub = v1::BundleService::NewStub(AdminChannel(options));
  grpc::Status status = stub->GetBundle(CallContext().get(), request, &bundle);
  if (!status.ok()) {
    return ReportRpcError(options, what, status);
  }
  Print(options, Document(bundle), BundleJson(bundle));
  return kExitOk;
}

int List(const ClientOptions& options, const BundleFlags& flags) {
  if (!flags.id.empty()) {
    return Show(options, flags, "bundle list");
  }
  v1::ListBundlesRequest request;
  request.set_format(FormatOf(flags));
  v1::ListBundlesResponse response;
  auto stub = v1::BundleService::NewStub(AdminChannel(options));
  grpc::Status status = stub->ListBundles(CallContext().get(), request, &response);
  if (!status.ok()) {
    return ReportRpcError(options, "bundle list", status);
  }
  std::string text;
  nlohmann::json bundles = nlohmann::json::array();
  const std::string rule(40, '*');
  for (const v1::Bundle& bundle : response.bundles()) {
    absl::StrAppend(&text, text.empty() ? "" : "\n", rule, "\n* ", bundle.trust_domain(), "\n",
                    rule, "\n", Document(bundle));
    bundles.push_back(BundleJson(bundle));
  }
  if (response.bundles().empty()) {
    text = "No federated bundles\n";
  }
  Print(options, text, nlohmann::json{{"bundles", std::move(bundles)}});
  return kExitOk;
}

absl::StatusOr<std::string> ReadDocument(const std::string& path) {
  std::string text;
  std::ifstream file;
  std::istream* in = &std::cin;
  if (!path.empty() && path != "-") {
    file.open(path, std::ios::binary);
    if (!file) {
      return absl::NotFoundError(absl::StrCat("cannot open ", path, ": ", std::strerror(errno)));
    }
    in = &file;
  }
  char buffer[64 * 1024];
  while (in->read(buffer, sizeof(buffer)) || in->gcount() > 0) {
    text.append(buffer, static_cast<size_t>(in->gcount()));
    if (text.size() > kMaxBundleJsonSize) {
      return absl::InvalidArgumentError(
          absl::StrCat("bundle document is larger than ", kMaxBundleJsonSize, " bytes"));
    }
  }
  return text;
}

int Set(const ClientOptions& options, const BundleFlags& flags) {
  absl::StatusOr<std::string> document = ReadDocument(flags.path);
  if (!document.ok()) {
    return ReportUsage(absl::StrCat("--path: ", document.status().message()));
  }
  v1::SetBundleRequest request;
  request.mutable_bundle()->set_trust_domain(flags.id);
  request.mutable_bundle()->set_format(FormatOf(flags));
  request.mutable_bundle()->set_document(*std::move(document));
  v1::Bundle stored;
  auto stub = v1::BundleService::NewStub(AdminChannel(options));
  grpc::Status status = stub->SetBundle(CallContext().get(), request, &stored);
  if (!status.ok()) {
    return ReportRpcError(options, "bundle set", status);
  }
  Print(options,
        absl::StrCat("Bundle set for ", stored.trust_domain(), " (sequence number ",
                     stored.sequence_number(), ")\n"),
        BundleJson(stored));
  return kExitOk;
}

int Delete(const ClientOptions& options, const BundleFlags& flags) {
  v1::DeleteBundleRequest request;
  request.set_trust_domain(flags.id);
  v1::Empty empty;
  auto stub = v1::BundleService::NewStub(AdminChannel(options));
  grpc::Status status = stub->DeleteBundle(CallContext().get(), request, &empty);
  if (!status.ok()) {
    return ReportRpcError(options, "bundle delete", status);
  }
  Print(options, absl::StrCat("Bundle deleted: ", flags.id, "\n"),
        nlohmann::json{{"trust_domain", flags.id}, {"deleted", true}});
  return kExitOk;
}

}  // namespace

void AddBundleCommands(CLI::App& app, ClientOptions& options, Action* action) {
  CLI::App* bundle = app.add_subcommand("bundle", "Show the trust bundle, manage federated ones");
  bundle->require_subcommand(1);

  auto show = std::make_shared<BundleFlags>();
  CLI::App* show_cmd = bundle->add_subcommand("show", "Print the server's own trust bundle");
  AddClientFlags(show_cmd, options);
  AddFormatFlag(show_cmd, *show);
  show_cmd->add_option("--id", show->id, "Another trust domain's (federated) bundle instead");
  show_cmd->callback([&options, show, action] {
    *action = [&options, show] { return Show(options, *show, "bundle show"); };
  });

  auto list = std::make_shared<BundleFlags>();
  CLI::App* list_cmd = bundle->add_subcommand("list", "Print the federated bundles");
  AddClientFlags(list_cmd, options);
  AddFormatFlag(list_cmd, *list);
  list_cmd->add_option("--id", list->id, "Only this trust domain's bundle");
  list_cmd->callback(
      [&options, list, action] { *action = [&options, list] { return List(options, *list); }; });

  auto set = std::make_shared<BundleFlags>();
  CLI::App* set_cmd = bundle->add_subcommand("set", "Create or replace a federated bundle");
  AddClientFlags(set_cmd, options);
  AddFormatFlag(set_cmd, *set);
  set_cmd->add_option("--id", set->id, "Trust domain of the bundle (example.org or spiffe://...)")
      ->required();
  set_cmd->add_option("--path", set->path, "File holding the bundle (default: standard input)");
  set_cmd->callback(
      [&options, set, action] { *action = [&options, set] { return Set(options, *set); }; });

  auto del = std::make_shared<BundleFlags>();
  CLI::App* delete_cmd = bundle->add_subcommand("delete", "Delete a federated bundle");
  AddClientFlags(delete_cmd, options);
  delete_cmd->add_option("--id", del->id, "Trust domain of the bundle")->required();
  delete_cmd->callback(
      [&options, del, action] { *action = [&options, del] { return Delete(options, *del); }; });
}

}  // namespace sigil::server::cli
