#include "attestors/workload/proc_reader.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sigil::attestors {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::string Message(const absl::Status& s) { return std::string(s.message()); }

constexpr char kStatus[] =
    "Name:\tsleep\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t42\nPid:\t42\n"
    "Uid:\t1000\t1001\t1002\t1003\nGid:\t2000\t2001\t2002\t2003\nFDSize:\t64\n"
    "Groups:\t4 24 27 \nNStgid:\t42\n";

TEST(ParseProcStatusTest, ReadsEffectiveIdsAndGroups) {
  auto status = ParseProcStatus(kStatus);
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->effective_uid, 1001u);
  EXPECT_EQ(status->effective_gid, 2001u);
  EXPECT_THAT(status->supplementary_gids, ElementsAre(4, 24, 27));
}

TEST(ParseProcStatusTest, AcceptsAnEmptyGroupsLine) {
  auto status = ParseProcStatus("Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nGroups:\t\n");
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_THAT(status->supplementary_gids, IsEmpty());
}

TEST(ParseProcStatusTest, RejectsAMissingUidLine) {
  auto status = ParseProcStatus("Gid:\t0\t0\t0\t0\nGroups:\t\n");
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(status.status()), HasSubstr("missing Uid line"));
}

TEST(ParseProcStatusTest, RejectsAMissingGroupsLine) {
  auto status = ParseProcStatus("Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n");
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(Message(status.status()), HasSubstr("missing Groups line"));
}

TEST(ParseProcStatusTest, RejectsARepeatedUidLine) {
  auto status =
      ParseProcStatus("Uid:\t0\t0\t0\t0\nUid:\t5\t5\t5\t5\nGid:\t0\t0\t0\t0\nGroups:\t\n");
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(Message(status.status()), HasSubstr("Uid appears twice"));
}

TEST(ParseProcStatusTest, RejectsThreeIdsWhereFourAreDue) {
  auto status = ParseProcStatus("Uid:\t0\t0\t0\nGid:\t0\t0\t0\t0\nGroups:\t\n");
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(Message(status.status()), HasSubstr("Uid has 3 ids, want 4"));
}

TEST(ParseProcStatusTest, RejectsSignsAndLetters) {
  for (const char* text : {"Uid:\t0\t+1\t0\t0\nGid:\t0\t0\t0\t0\nGroups:\t\n",
                           "Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nGroups:\t1 x2\n",
                           "Uid:\t0\t-1\t0\t0\nGid:\t0\t0\t0\t0\nGroups:\t\n"}) {
    auto status = ParseProcStatus(text);
    EXPECT_EQ(status.status().code(), absl::StatusCode::kInvalidArgument) << text;
  }
}

TEST(ParseProcStatusTest, RejectsAnIdBeyondThirtyTwoBits) {
  auto status = ParseProcStatus("Uid:\t0\t4294967296\t0\t0\nGid:\t0\t0\t0\t0\nGroups:\t\n");
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(Message(status.status()), HasSubstr("Uid id 2 is not a decimal id"));
}

TEST(ParseProcStartTimeTest, CountsFieldsFromTheLastParenthesis) {
  // A command name may hold spaces and parentheses: "a) (b c".
  std::string stat = "42 (a) (b c) S 1 42 42 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 ";
  stat += "987654 8192 100 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n";
  auto start = ParseProcStartTime(stat);
  ASSERT_TRUE(start.ok()) << start.status();
  EXPECT_EQ(*start, 987654u);
}

TEST(ParseProcStartTimeTest, RejectsTextWithoutACommandName) {
  auto start = ParseProcStartTime("42 sleep S 1 2 3");
  ASSERT_FALSE(start.ok());
  EXPECT_THAT(Message(start.status()), HasSubstr("no parenthesised command name"));
}

TEST(ParseProcStartTimeTest, RejectsTooFewFields) {
  auto start = ParseProcStartTime("42 (sleep) S 1 2 3\n");
  ASSERT_FALSE(start.ok());
  EXPECT_THAT(Message(start.status()), HasSubstr("want at least 22"));
}

TEST(ProcReaderTest, ReadsThisProcessStartTimeTwiceTheSame) {
  auto first = ReadProcStartTime("/proc", getpid());
  auto second = ReadProcStartTime("/proc", getpid());
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*first, *second);
}

TEST(ProcReaderTest, ReportsAVanishedProcessAsNotFound) {
  const pid_t child = fork();
  if (child == 0) {
    _exit(0);
  }
  ASSERT_GT(child, 0);
  ASSERT_EQ(waitpid(child, nullptr, 0), child);
  auto status = ReadProcStatus("/proc", child);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Message(status.status()), "process " + std::to_string(child) + " does not exist");
}

TEST(ProcReaderTest, RefusesAFileOverTheLimit) {
  char tmpl[] = "/tmp/sigil-proc-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  std::ofstream(dir + "/big") << std::string(5000, 'x');
  auto content = ReadBoundedFile(dir + "/big", 4096);
  std::filesystem::remove_all(dir);
  ASSERT_FALSE(content.ok());
  EXPECT_EQ(content.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(content.status()), HasSubstr("is larger than 4096 bytes"));
}

TEST(ProcReaderTest, ReadsThisProcessExecutablePath) {
  auto path = ReadExePath("/proc", getpid());
  ASSERT_TRUE(path.ok()) << path.status();
  EXPECT_EQ(*path, std::filesystem::read_symlink("/proc/self/exe").string());
}

}  // namespace
}  // namespace sigil::attestors
