// sigil-server authority show|prepare|activate|taint|revoke.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include <nlohmann/json.hpp>

#include "admin.grpc.pb.h"
#include "server/cli/client.h"
#include "server/cli/command.h"
#include "server/cli/print.h"
#include "sigil/status.h"

namespace sigil::server::cli {
namespace {

namespace v1 = sigil::admin::v1;

struct AuthorityFlags {
  std::string type;
  std::string id;
};

v1::AuthorityKind KindOf(const std::string& type) {
  return type == "jwt" ? v1::AUTHORITY_KIND_JWT : v1::AUTHORITY_KIND_X509;
}

const char* Title(v1::AuthorityKind kind) {
  return kind == v1::AUTHORITY_KIND_JWT ? "JWT authorities" : "X.509 authorities";
}

int Show(const ClientOptions& options, const AuthorityFlags& flags) {
  auto stub = v1::AuthorityService::NewStub(AdminChannel(options));
  std::vector<v1::AuthorityKind> kinds;
  if (flags.type.empty()) {
    kinds = {v1::AUTHORITY_KIND_X509, v1::AUTHORITY_KIND_JWT};
  } else {
    kinds = {KindOf(flags.type)};
  }
  std::string text;
  nlohmann::json authorities = nlohmann::json::array();
  for (v1::AuthorityKind kind : kinds) {
    v1::AuthorityRequest request;
    request.set_kind(kind);
    v1::ListAuthoritiesResponse response;
    grpc::Status status = stub->ListAuthorities(CallContext().get(), request, &response);
    if (!status.ok()) {
      return ReportRpcError(options, "authority show", status);
    }
    absl::StrAppend(&text, text.empty() ? "" : "\n", Title(kind), ":\n");
    for (const v1::Authority& authority : response.authorities()) {
      if (!flags.id.empty() && authority.id() != flags.id) {
        continue;
      }
      absl::StrAppend(&text, "\n", AuthorityText(authority));
      authorities.push_back(AuthorityToJson(authority));
    }
  }
  Print(options, text, nlohmann::json{{"authorities", std::move(authorities)}});
  return kExitOk;
}

int Control(const ClientOptions& options, const AuthorityFlags& flags, const std::string& verb) {
  v1::AuthorityRequest request;
  request.set_kind(KindOf(flags.type));
  request.set_id(flags.id);
  v1::Authority authority;
  auto stub = v1::AuthorityService::NewStub(AdminChannel(options));
  auto ctx = CallContext();
  grpc::Status status;
  std::string done;
  if (verb == "prepare") {
    status = stub->PrepareAuthority(ctx.get(), request, &authority);
    done = "Prepared";
  } else if (verb == "activate") {
    status = stub->ActivateAuthority(ctx.get(), request, &authority);
    done = "Activated";
  } else if (verb == "taint") {
    status = stub->TaintAuthority(ctx.get(), request, &authority);
    done = "Tainted";
  } else {
    status = stub->RevokeAuthority(ctx.get(), request, &authority);
    done = "Revoked";
  }
  if (!status.ok()) {
    return ReportRpcError(options, absl::StrCat("authority ", verb), status);
  }
  Print(options,
        absl::StrCat(done, " ", AsAbsl(KindName(authority.kind())), " authority ", authority.id(),
                     "\n\n", AuthorityText(authority)),
        AuthorityToJson(authority));
  return kExitOk;
}

}  // namespace

void AddAuthorityCommands(CLI::App& app, ClientOptions& options, Action* action) {
  CLI::App* authority =
      app.add_subcommand("authority", "Show and rotate the CA's X.509 and JWT authorities");
  authority->require_subcommand(1);

  auto show = std::make_shared<AuthorityFlags>();
  CLI::App* show_cmd = authority->add_subcommand("show", "List authorities, oldest first");
  AddClientFlags(show_cmd, options);
  show_cmd->add_option("--type", show->type, "x509 or jwt (default: both)")
      ->check(CLI::IsMember({"x509", "jwt"}));
  show_cmd->add_option("--id", show->id, "Only the authority with this ID");
  show_cmd->callback(
      [&options, show, action] { *action = [&options, show] { return Show(options, *show); }; });

  struct Verb {
    const char* name;
    const char* help;
    bool takes_id;
  };
  for (const Verb& verb :
       {Verb{"prepare", "Prepare the next authority now (it joins the bundle)", false},
        Verb{"activate", "Activate the prepared authority; the active one becomes old", true},
        Verb{"taint", "Mark an old authority tainted: agents re-key what chains to it", true},
        Verb{"revoke", "Remove an authority from the bundle (not the active one)", true}}) {
    auto flags = std::make_shared<AuthorityFlags>();
    CLI::App* cmd = authority->add_subcommand(verb.name, verb.help);
    AddClientFlags(cmd, options);
    cmd->add_option("--type", flags->type, "x509 or jwt")
        ->required()
        ->check(CLI::IsMember({"x509", "jwt"}));
    if (verb.takes_id) {
      cmd->add_option("--id", flags->id, "The authority (default: the natural one)");
    }
    const std::string name = verb.name;
    cmd->callback([&options, flags, action, name] {
      *action = [&options, flags, name] { return Control(options, *flags, name); };
    });
  }
}

}  // namespace sigil::server::cli
