// Printing for `sigil`: text for people, one JSON object for scripts (`--output json`), and
// the reporting of failures on standard error. Everything a certificate, token or argument
// supplied is escaped before it reaches a terminal.
#ifndef SIGIL_TOOLS_SIGIL_OUTPUT_H_
#define SIGIL_TOOLS_SIGIL_OUTPUT_H_

#include <iosfwd>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include <nlohmann/json.hpp>

#include "command.h"

namespace sigil::cli {

// `bytes` with backslash, control bytes and bytes >= 0x80 written as \xNN, so that input
// naming a SPIFFE ID or a certificate field cannot move the cursor or fake a line.
std::string Printable(std::string_view bytes);

// RFC 3339 in UTC with whole seconds: "2024-05-01T12:00:00Z".
std::string TimeText(absl::Time t);
// "in 59m" or "3m ago" (rounded down to the second), relative to `now`.
std::string DescribeFromNow(absl::Time t, absl::Time now);
// Parses an RFC 3339 time for --at ("2024-05-01T12:00:00Z", offsets and fractions allowed).
absl::StatusOr<absl::Time> ParseTimeFlag(std::string_view text);

// Writes `doc` indented, then a newline. Invalid UTF-8 in strings is replaced, never thrown.
void WriteJson(std::ostream& out, const nlohmann::json& doc);
// Writes "<indent spaces><label>: <value>\n".
void WriteField(std::ostream& out, int indent, std::string_view label, std::string_view value);

// Reports that what was checked is invalid: "sigil: <reason>" on stderr and, in JSON mode,
// `doc` with "valid": false and "error": reason on stdout. Returns kExitInvalid.
int ReportInvalid(const Context& ctx, absl::string_view reason,
                  nlohmann::json doc = nlohmann::json::object());
// Reports a usage problem ("sigil: <message>" on stderr only). Returns kExitUsage.
int ReportUsageError(const Context& ctx, absl::string_view message);

// `text` with every occurrence of `secret`, and of each of its '.'-separated parts that is 8
// bytes or longer, replaced by "[redacted]". A second line of defence for messages printed by
// commands that hold a token: the library already promises never to quote one.
std::string Redact(std::string_view text, std::string_view secret);

}  // namespace sigil::cli

#endif  // SIGIL_TOOLS_SIGIL_OUTPUT_H_
