#include "server/cli/flags.h"

#include <cctype>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

#include "sigil/status.h"

namespace sigil::server::cli {
namespace {

constexpr int64_t kMaxDurationSeconds = int64_t{100} * 365 * 24 * 3600;

bool AllDigits(std::string_view text) {
  if (text.empty()) {
    return false;
  }
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

absl::Status Invalid(std::string_view flag, std::string_view rule) {
  return absl::InvalidArgumentError(absl::StrCat(AsAbsl(flag), ": ", AsAbsl(rule)));
}

}  // namespace

absl::StatusOr<int64_t> ParseDurationSeconds(std::string_view flag, std::string_view text) {
  if (text.empty()) {
    return Invalid(flag, "empty duration: expected such as 1h, 90m, 45s or 3600");
  }
  if (text.front() == '-') {
    return Invalid(flag, "negative duration: a TTL is zero or more");
  }
  if (text.size() > 32) {
    return Invalid(flag, "not a duration: longer than 32 characters");
  }
  int64_t seconds = 0;
  if (AllDigits(text)) {
    if (!absl::SimpleAtoi(AsAbsl(text), &seconds)) {
      return Invalid(flag, "number of seconds out of range");
    }
  } else {
    absl::Duration d;
    if (!absl::ParseDuration(std::string(text), &d)) {
      return Invalid(flag, absl::StrCat("\"", AsAbsl(text),
                                        "\" is not a duration: expected such as 1h, 90m, "
                                        "1h30m, 45s or 3600 (seconds)"));
    }
    if (d < absl::ZeroDuration()) {
      return Invalid(flag, "negative duration: a TTL is zero or more");
    }
    if (d == absl::InfiniteDuration() || d > absl::Seconds(kMaxDurationSeconds)) {
      return Invalid(flag, "duration longer than 100 years");
    }
    if (d != absl::Seconds(absl::ToInt64Seconds(d))) {
      return Invalid(flag, "duration is not whole seconds");
    }
    seconds = absl::ToInt64Seconds(d);
  }
  if (seconds > kMaxDurationSeconds) {
    return Invalid(flag, "duration longer than 100 years");
  }
  return seconds;
}

absl::StatusOr<int64_t> ParseTimeSeconds(std::string_view flag, std::string_view text) {
  if (text.size() > 64) {
    return Invalid(flag, "not a time: longer than 64 characters");
  }
  int64_t seconds = 0;
  if (AllDigits(text)) {
    if (!absl::SimpleAtoi(AsAbsl(text), &seconds)) {
      return Invalid(flag, "Unix seconds out of range");
    }
    return seconds;
  }
  absl::Time t;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, std::string(text), &t, &error)) {
    return Invalid(flag,
                   absl::StrCat("\"", AsAbsl(text),
                                "\" is not a time: expected RFC 3339 (2030-01-02T03:04:05Z) or "
                                "Unix seconds"));
  }
  if (t < absl::UnixEpoch()) {
    return Invalid(flag, "time is before 1970");
  }
  return absl::ToUnixSeconds(t);
}

absl::StatusOr<sigil::admin::v1::Selector> ParseSelector(std::string_view flag,
                                                         std::string_view text) {
  const size_t colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    return Invalid(flag, absl::StrCat("selector \"", AsAbsl(text),
                                      "\" has no type: expected TYPE:VALUE such as unix:uid:1000"));
  }
  if (colon + 1 == text.size()) {
    return Invalid(flag,
                   absl::StrCat("selector \"", AsAbsl(text),
                                "\" has no value: expected TYPE:VALUE such as unix:uid:1000"));
  }
  sigil::admin::v1::Selector selector;
  selector.set_type(std::string(text.substr(0, colon)));
  selector.set_value(std::string(text.substr(colon + 1)));
  return selector;
}

std::string TimeText(int64_t unix_seconds) {
  if (unix_seconds <= 0) {
    return "never";
  }
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(unix_seconds),
                          absl::UTCTimeZone());
}

std::string TtlText(int64_t seconds) {
  if (seconds <= 0) {
    return "default";
  }
  return absl::FormatDuration(absl::Seconds(seconds));
}

}  // namespace sigil::server::cli
