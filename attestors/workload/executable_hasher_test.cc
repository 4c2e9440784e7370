#include "attestors/workload/executable_hasher.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "gtest/gtest.h"

#include "sigil/keys.h"

namespace sigil::attestors {
namespace {

class ExecutableHasherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/sigil-hash-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& content) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
    return path;
  }

  std::string dir_;
};

TEST_F(ExecutableHasherTest, ReturnsTheHexSha256OfTheFile) {
  const std::string content(200000, 'z');
  ExecutableHasher hasher;
  auto hex = hasher.Hash(Write("bin", content));
  ASSERT_TRUE(hex.ok()) << hex.status();
  ASSERT_TRUE(hex->has_value());
  EXPECT_EQ(**hex, HexEncode(Sha256(content)));
}

TEST_F(ExecutableHasherTest, AnswersARepeatFromTheCache) {
  ExecutableHasher hasher;
  const std::string path = Write("bin", "content");
  ASSERT_TRUE(hasher.Hash(path).ok());
  ASSERT_TRUE(hasher.Hash(path).ok());
  EXPECT_EQ(hasher.misses(), 1u);
  EXPECT_EQ(hasher.hits(), 1u);
}

TEST_F(ExecutableHasherTest, SeesAFileRewrittenWithTheSameSizeAndMtime) {
  ExecutableHasher hasher;
  const std::string path = Write("bin", "aaaa");
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  ASSERT_TRUE(hasher.Hash(path).ok());

  Write("bin", "bbbb");
  // Put the old mtime back, as `touch -d` would: only ctime still tells the versions apart.
  const timespec times[2] = {st.st_atim, st.st_mtim};
  ASSERT_EQ(utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
  auto hex = hasher.Hash(path);
  ASSERT_TRUE(hex.ok()) << hex.status();
  ASSERT_TRUE(hex->has_value());
  EXPECT_EQ(**hex, HexEncode(Sha256("bbbb")));
}

TEST_F(ExecutableHasherTest, SkipsAFileOverTheLimit) {
  ExecutableHasher hasher({.max_file_bytes = 10});
  auto hex = hasher.Hash(Write("bin", "eleven byte"));
  ASSERT_TRUE(hex.ok()) << hex.status();
  EXPECT_FALSE(hex->has_value());
}

TEST_F(ExecutableHasherTest, HashesAFileExactlyAtTheLimit) {
  ExecutableHasher hasher({.max_file_bytes = 10});
  auto hex = hasher.Hash(Write("bin", "ten bytes!"));
  ASSERT_TRUE(hex.ok()) << hex.status();
  EXPECT_TRUE(hex->has_value());
}

TEST_F(ExecutableHasherTest, EvictsTheLeastRecentlyUsedDigest) {
  ExecutableHasher hasher({.cache_capacity = 2});
  const std::string a = Write("a", "a");
  const std::string b = Write("b", "b");
  const std::string c = Write("c", "c");
  ASSERT_TRUE(hasher.Hash(a).ok());
  ASSERT_TRUE(hasher.Hash(b).ok());
  ASSERT_TRUE(hasher.Hash(a).ok());  // a is now the most recent
  ASSERT_TRUE(hasher.Hash(c).ok());  // evicts b
  EXPECT_EQ(hasher.size(), 2u);
  ASSERT_TRUE(hasher.Hash(a).ok());
  EXPECT_EQ(hasher.hits(), 2u);
  ASSERT_TRUE(hasher.Hash(b).ok());
  EXPECT_EQ(hasher.misses(), 4u);
}

TEST_F(ExecutableHasherTest, RefusesADirectory) {
  ExecutableHasher hasher;
  auto hex = hasher.Hash(dir_);
  ASSERT_FALSE(hex.ok());
  EXPECT_EQ(hex.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ExecutableHasherTest, ReportsAMissingFileAsNotFound) {
  ExecutableHasher hasher;
  EXPECT_EQ(hasher.Hash(dir_ + "/missing").status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace sigil::attestors
