#include "sigil/log.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace sigil {
namespace {

constexpr std::string_view kLogComponent = "test";

class CapturingSink : public LogSink {
 public:
  void Write(const LogRecord& r) override {
    std::string line = std::string(LogLevelName(r.level)) + " " + std::string(r.component) + " " +
                       std::string(r.event);
    for (const auto& [k, v] : r.fields) {
      line += " " + std::string(k) + "=" + std::string(v);
    }
    lines.push_back(line);
  }
  std::vector<std::string> lines;
};

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override { InstallLogSink(sink_, LogLevel::kInfo); }
  void TearDown() override { InstallLogSink(nullptr, LogLevel::kInfo); }
  std::shared_ptr<CapturingSink> sink_ = std::make_shared<CapturingSink>();
};

TEST_F(LogTest, DeliversFieldsToTheSink) {
  SIGIL_LOG(kInfo, "svid.issued", {{"spiffe_id", "spiffe://example.org/a"}});
  ASSERT_EQ(sink_->lines.size(), 1u);
  EXPECT_EQ(sink_->lines[0], "info test svid.issued spiffe_id=spiffe://example.org/a");
}

TEST_F(LogTest, DropsRecordsBelowTheLevel) {
  SIGIL_LOG(kDebug, "noise", {});
  EXPECT_TRUE(sink_->lines.empty());
}

TEST_F(LogTest, ComponentLevelOverridesGlobal) {
  SetComponentLogLevel("test", LogLevel::kDebug);
  SIGIL_LOG(kDebug, "detail", {});
  SetComponentLogLevel("test", LogLevel::kInfo);
  EXPECT_EQ(sink_->lines.size(), 1u);
}

TEST(LogWithoutSinkTest, DoesNothing) {
  InstallLogSink(nullptr, LogLevel::kDebug);
  SIGIL_LOG(kError, "nobody.listens", {});  // must not crash
  EXPECT_EQ(log_internal::g_min_level.load(), static_cast<int>(LogLevel::kOff));
}

TEST(LogLevelTest, ParsesNames) {
  LogLevel level;
  ASSERT_TRUE(ParseLogLevel("WARNING", &level));
  EXPECT_EQ(level, LogLevel::kWarn);
  EXPECT_FALSE(ParseLogLevel("loud", &level));
}

}  // namespace
}  // namespace sigil
