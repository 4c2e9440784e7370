#include "sigil/log.h"

#include <cstdio>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

#include "sigil/status.h"

namespace sigil {
namespace log_internal {

// Starts at kOff: nothing is formatted until an application installs a sink.
std::atomic<int> g_min_level{static_cast<int>(LogLevel::kOff)};

namespace {

struct LogState {
  std::shared_mutex mu;
  std::shared_ptr<LogSink> sink;
  LogLevel level = LogLevel::kInfo;
  std::map<std::string, LogLevel, std::less<>> component_levels;
};

LogState& State() {
  static LogState* state = new LogState();  // never destroyed: logging may run at exit
  return *state;
}

void RecomputeMinLevel(LogState& s) {
  int min = static_cast<int>(s.level);
  for (const auto& [name, level] : s.component_levels) {
    min = std::min(min, static_cast<int>(level));
  }
  g_min_level.store(s.sink == nullptr ? static_cast<int>(LogLevel::kOff) : min);
}

}  // namespace

bool Enabled(LogLevel level, std::string_view component) {
  LogState& s = State();
  std::shared_lock lock(s.mu);
  if (s.sink == nullptr) {
    return false;
  }
  auto it = s.component_levels.find(component);
  const LogLevel threshold = it != s.component_levels.end() ? it->second : s.level;
  return level >= threshold && level != LogLevel::kOff;
}

void Emit(LogLevel level, std::string_view component, std::string_view event,
          std::initializer_list<LogField> fields) {
  std::shared_ptr<LogSink> sink;
  {
    LogState& s = State();
    std::shared_lock lock(s.mu);
    sink = s.sink;
  }
  if (sink != nullptr) {
    sink->Write(LogRecord{absl::Now(), level, component, event, fields});
  }
}

}  // namespace log_internal

namespace {

void AppendJsonString(std::string& out, std::string_view s) {
  out.push_back('"');
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (u < 0x20) {
          static constexpr char kHex[] = "0123456789abcdef";
          out += "\\u00";
          out.push_back(kHex[u >> 4]);
          out.push_back(kHex[u & 0xf]);
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

// Text values are quoted only when they hold spaces, quotes or '=' so that lines stay easy to
// grep and unambiguous to split.
void AppendTextValue(std::string& out, std::string_view s) {
  if (!s.empty() && s.find_first_of(" \"=\t\n") == std::string_view::npos) {
    out += s;
    return;
  }
  AppendJsonString(out, s);
}

class StderrSink : public LogSink {
 public:
  explicit StderrSink(bool json) : json_(json) {}

  void Write(const LogRecord& r) override {
    std::string line;
    const std::string time = absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", r.time, absl::UTCTimeZone());
    if (json_) {
      line = absl::StrCat("{\"time\":\"", time, "\",\"level\":\"", AsAbsl(LogLevelName(r.level)),
                          "\",\"component\":");
      AppendJsonString(line, r.component);
      line += ",\"event\":";
      AppendJsonString(line, r.event);
      for (const auto& [key, value] : r.fields) {
        line.push_back(',');
        AppendJsonString(line, key);
        line.push_back(':');
        AppendJsonString(line, value);
      }
      line += "}\n";
    } else {
      line = absl::StrCat(time, " ", absl::AsciiStrToUpper(AsAbsl(LogLevelName(r.level))), " ",
                          AsAbsl(r.component), " ", AsAbsl(r.event));
      for (const auto& [key, value] : r.fields) {
        absl::StrAppend(&line, " ", AsAbsl(key), "=");
        AppendTextValue(line, value);
      }
      line.push_back('\n');
    }
    std::lock_guard lock(mu_);
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fflush(stderr);
  }

 private:
  const bool json_;
  std::mutex mu_;
};

}  // namespace

bool ParseLogLevel(std::string_view name, LogLevel* out) {
  const std::string lower = absl::AsciiStrToLower(AsAbsl(name));
  if (lower == "debug") {
    *out = LogLevel::kDebug;
  } else if (lower == "info") {
    *out = LogLevel::kInfo;
  } else if (lower == "warn" || lower == "warning") {
    *out = LogLevel::kWarn;
  } else if (lower == "error") {
    *out = LogLevel::kError;
  } else if (lower == "off") {
    *out = LogLevel::kOff;
  } else {
    return false;
  }
  return true;
}

std::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
    case LogLevel::kOff:
      return "off";
  }
  return "info";
}

std::unique_ptr<LogSink> MakeStderrSink(bool json) { return std::make_unique<StderrSink>(json); }

void InstallLogSink(std::shared_ptr<LogSink> sink, LogLevel level) {
  auto& s = log_internal::State();
  std::unique_lock lock(s.mu);
  s.sink = std::move(sink);
  s.level = level;
  log_internal::RecomputeMinLevel(s);
}

void SetLogLevel(LogLevel level) {
  auto& s = log_internal::State();
  std::unique_lock lock(s.mu);
  s.level = level;
  log_internal::RecomputeMinLevel(s);
}

void SetComponentLogLevel(std::string_view component, LogLevel level) {
  auto& s = log_internal::State();
  std::unique_lock lock(s.mu);
  s.component_levels[std::string(component)] = level;
  log_internal::RecomputeMinLevel(s);
}

}  // namespace sigil
