// Text output of the sigil-server client commands, laid out as SPIRE's CLI lays it out
// ("Entry ID         : ..."), one record per block, records separated by a blank line.
#ifndef SIGIL_SERVER_CLI_PRINT_H_
#define SIGIL_SERVER_CLI_PRINT_H_

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "admin.pb.h"

namespace sigil::server::cli {

// `value` with control bytes written as \xNN, so that no stored text can move the terminal's
// cursor or fake a line of output.
std::string Printable(std::string_view value);

std::string EntryText(const sigil::admin::v1::Entry& entry);

std::string AgentText(const sigil::admin::v1::Agent& agent);
nlohmann::json AgentToJson(const sigil::admin::v1::Agent& agent);

std::string AuthorityText(const sigil::admin::v1::Authority& authority);
nlohmann::json AuthorityToJson(const sigil::admin::v1::Authority& authority);

// "x509" / "jwt".
std::string_view KindName(sigil::admin::v1::AuthorityKind kind);

}  // namespace sigil::server::cli

#endif  // SIGIL_SERVER_CLI_PRINT_H_
