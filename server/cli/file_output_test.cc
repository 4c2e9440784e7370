#include "server/cli/file_output.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "server/datastore/test_temp_dir.h"

namespace sigil::server::cli {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

mode_t ModeOf(const std::string& path) {
  struct stat st;
  EXPECT_EQ(stat(path.c_str(), &st), 0);
  return st.st_mode & 0777;
}

TEST(WriteFilesAtomicallyTest, WritesEveryFileWithItsMode) {
  testing::TempDir dir;
  const std::string out = dir.File("out");
  ASSERT_TRUE(WriteFilesAtomically(out, {{"a.pem", "A", 0644}, {"key.pem", "K", 0600}}).ok());
  EXPECT_EQ(ReadAll(out + "/a.pem"), "A");
  EXPECT_EQ(ReadAll(out + "/key.pem"), "K");
  EXPECT_EQ(ModeOf(out + "/key.pem"), 0600u);
  EXPECT_EQ(ModeOf(out), 0700u);
}

TEST(WriteFilesAtomicallyTest, ReplacesExistingFiles) {
  testing::TempDir dir;
  ASSERT_TRUE(WriteFilesAtomically(dir.path(), {{"a.pem", "old"}}).ok());
  ASSERT_TRUE(WriteFilesAtomically(dir.path(), {{"a.pem", "new"}}).ok());
  EXPECT_EQ(ReadAll(dir.File("a.pem")), "new");
}

TEST(WriteFilesAtomicallyTest, LeavesNothingWhenDirectoryCannotBeMade) {
  testing::TempDir dir;
  const std::string out = dir.File("missing/parent");
  EXPECT_FALSE(WriteFilesAtomically(out, {{"a.pem", "A"}}).ok());
  EXPECT_FALSE(std::filesystem::exists(dir.File("missing")));
}

TEST(WriteFilesAtomicallyTest, RefusesNamesWithSlash) {
  testing::TempDir dir;
  EXPECT_FALSE(WriteFilesAtomically(dir.path(), {{"../a.pem", "A"}}).ok());
}

TEST(WriteFilesAtomicallyTest, RefusesPathThatIsAFile) {
  testing::TempDir dir;
  ASSERT_TRUE(WriteFilesAtomically(dir.path(), {{"f", "x"}}).ok());
  EXPECT_FALSE(WriteFilesAtomically(dir.File("f"), {{"a.pem", "A"}}).ok());
}

TEST(WriteFilesAtomicallyTest, LeavesNoTemporaryFiles) {
  testing::TempDir dir;
  ASSERT_TRUE(WriteFilesAtomically(dir.path(), {{"a.pem", "A"}, {"b.pem", "B"}}).ok());
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    (void)entry;
    ++count;
  }
  EXPECT_EQ(count, 2);
}

}  // namespace
}  // namespace sigil::server::cli
