#include "output.h"

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"

#include "sigil/status.h"

namespace sigil::cli {

std::string Printable(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (const char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c >= 0x7f || c == '\\') {
      absl::StrAppendFormat(&out, "\\x%02x", c);
    } else {
      out.push_back(ch);
    }
  }
  return out;
}

std::string TimeText(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

std::string DescribeFromNow(absl::Time t, absl::Time now) {
  const absl::Duration delta = absl::Trunc(t - now, absl::Seconds(1));
  if (delta >= absl::ZeroDuration()) {
    return absl::StrCat("in ", absl::FormatDuration(delta));
  }
  return absl::StrCat(absl::FormatDuration(-delta), " ago");
}

absl::StatusOr<absl::Time> ParseTimeFlag(std::string_view text) {
  absl::Time t;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, AsAbsl(text), &t, &error)) {
    return absl::InvalidArgumentError(absl::StrCat("--at \"", Printable(text),
                                                   "\" is not an RFC 3339 time such as "
                                                   "2024-05-01T12:00:00Z: ",
                                                   error));
  }
  return t;
}

void WriteJson(std::ostream& out, const nlohmann::json& doc) {
  out << doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

void WriteField(std::ostream& out, int indent, std::string_view label, std::string_view value) {
  out << std::string(indent, ' ') << label << ": " << value << "\n";
}

int ReportInvalid(const Context& ctx, absl::string_view reason, nlohmann::json doc) {
  ctx.err << "sigil: " << reason << "\n";
  if (ctx.format == OutputFormat::kJson) {
    doc["valid"] = false;
    doc["error"] = std::string(reason);
    WriteJson(ctx.out, doc);
  }
  return kExitInvalid;
}

int ReportUsageError(const Context& ctx, absl::string_view message) {
  ctx.err << "sigil: " << message << "\n";
  return kExitUsage;
}

std::string Redact(std::string_view text, std::string_view secret) {
  constexpr size_t kMinRedactedPart = 8;
  std::string out(text);
  if (secret.empty()) {
    return out;
  }
  std::vector<std::pair<std::string, std::string>> replacements = {
      {std::string(secret), "[redacted]"}};
  for (absl::string_view part : absl::StrSplit(AsAbsl(secret), '.')) {
    if (part.size() >= kMinRedactedPart) {
      replacements.emplace_back(std::string(part), "[redacted]");
    }
  }
  // The whole secret goes first so it is replaced as one piece, not part by part.
  for (const auto& [from, to] : replacements) {
    absl::StrReplaceAll({{from, to}}, &out);
  }
  return out;
}

}  // namespace sigil::cli
