// Structured, levelled logging through a sink the application installs. The library itself
// never prints: with no sink installed, log calls cost one atomic load and do nothing.
//
//   SIGIL_LOG(kInfo, "x509_svid.renewed", {{"spiffe_id", id.str()}, {"serial", serial}});
//
// The component (the first word after the level in each line) comes from `kLogComponent`
// as seen from the call site; see below.
//
// Fields are key/value strings. Never put a private key, token or JWT-SVID in a field; log its
// identity instead (SPIFFE ID, serial, SPKI SHA-256, kid, expiry).
#ifndef SIGIL_LOG_H_
#define SIGIL_LOG_H_

#include <atomic>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "absl/time/time.h"

namespace sigil {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3, kOff = 4 };

// "debug", "info", "warn", "error", "off" (also "warning").
bool ParseLogLevel(std::string_view name, LogLevel* out);
std::string_view LogLevelName(LogLevel level);

using LogField = std::pair<std::string_view, std::string_view>;

struct LogRecord {
  absl::Time time;
  LogLevel level;
  std::string_view component;
  std::string_view event;
  std::initializer_list<LogField> fields;
};

class LogSink {
 public:
  virtual ~LogSink() = default;
  // Called from any thread; implementations serialise their own output.
  virtual void Write(const LogRecord& record) = 0;
};

// Writes one line per record to stderr: "2026-01-02T03:04:05.678Z INFO server ca.rotated
// id=... " in text form, or one JSON object per line.
std::unique_ptr<LogSink> MakeStderrSink(bool json);

// Installs `sink` process-wide (null removes it). Records below `level` are dropped before
// any formatting.
void InstallLogSink(std::shared_ptr<LogSink> sink, LogLevel level);
void SetLogLevel(LogLevel level);
// Per-component level, overriding the global one ("datastore" at debug, say).
void SetComponentLogLevel(std::string_view component, LogLevel level);

namespace log_internal {
extern std::atomic<int> g_min_level;
bool Enabled(LogLevel level, std::string_view component);
void Emit(LogLevel level, std::string_view component, std::string_view event,
          std::initializer_list<LogField> fields);
}  // namespace log_internal

// The component SIGIL_LOG names is found by ordinary name lookup of `kLogComponent` at the
// call site, so a file sets its own with
//   namespace { constexpr std::string_view kLogComponent = "datastore"; }
// inside its namespace, and everything else gets this default.
inline constexpr std::string_view kLogComponent = "sigil";

#define SIGIL_LOG(level, event, ...)                                                     \
  do {                                                                                   \
    if (static_cast<int>(::sigil::LogLevel::level) >=                                    \
            ::sigil::log_internal::g_min_level.load(std::memory_order_relaxed) &&        \
        ::sigil::log_internal::Enabled(::sigil::LogLevel::level, kLogComponent)) {       \
      ::sigil::log_internal::Emit(::sigil::LogLevel::level, kLogComponent, event,        \
                                  std::initializer_list<::sigil::LogField> __VA_ARGS__); \
    }                                                                                    \
  } while (false)

}  // namespace sigil

#endif  // SIGIL_LOG_H_
