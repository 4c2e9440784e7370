// MemoryKeyManager and DiskKeyManager: ids, round trips, file modes, atomic replacement and
// what a crash in the middle of a write leaves behind.
#include "server/ca/key_manager.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "server/ca/files.h"
#include "server/datastore/test_temp_dir.h"

namespace sigil::server {
namespace {

using ::sigil::server::testing::TempDir;
using ::testing::HasSubstr;

std::string Message(const absl::Status& status) { return std::string(status.message()); }

mode_t ModeOf(const std::string& path) {
  struct stat st;
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

std::vector<std::string> FilesIn(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::unique_ptr<DiskKeyManager> OpenDisk(const std::string& dir) {
  absl::StatusOr<std::unique_ptr<DiskKeyManager>> keys = DiskKeyManager::Open(dir);
  EXPECT_TRUE(keys.ok()) << keys.status();
  return keys.ok() ? *std::move(keys) : nullptr;
}

TEST(KeyIdTest, AcceptsSlotNames) {
  EXPECT_TRUE(ValidateKeyId("x509-ca-a").ok());
  EXPECT_TRUE(ValidateKeyId("JWT_key.2").ok());
}

TEST(KeyIdTest, RejectsPathSeparatorsAndDotNames) {
  for (std::string_view id : {"a/b", "../x", "..", ".", ".hidden", "a\\b", "", "a b", "a\nb"}) {
    EXPECT_EQ(ValidateKeyId(id).code(), absl::StatusCode::kInvalidArgument) << "id: " << id;
  }
}

TEST(KeyIdTest, RejectsOverlongId) {
  EXPECT_EQ(ValidateKeyId(std::string(kMaxKeyIdLength + 1, 'a')).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(ValidateKeyId(std::string(kMaxKeyIdLength, 'a')).ok());
}

TEST(MemoryKeyManagerTest, GetReturnsGeneratedKey) {
  MemoryKeyManager keys;
  absl::StatusOr<PrivateKey> made = keys.GenerateKey("k", KeyType::kEcP256);
  ASSERT_TRUE(made.ok());
  absl::StatusOr<PrivateKey> got = keys.GetKey("k");
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(got->Matches(made->public_key()));
}

TEST(MemoryKeyManagerTest, MissingKeyIsNotFound) {
  MemoryKeyManager keys;
  absl::StatusOr<PrivateKey> got = keys.GetKey("absent");
  EXPECT_EQ(got.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(Message(got.status()), HasSubstr("absent"));
}

TEST(MemoryKeyManagerTest, DeleteForgetsKey) {
  MemoryKeyManager keys;
  ASSERT_TRUE(keys.GenerateKey("k", KeyType::kEcP256).ok());
  ASSERT_TRUE(keys.DeleteKey("k").ok());
  EXPECT_EQ(keys.GetKey("k").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(keys.DeleteKey("k").code(), absl::StatusCode::kNotFound);
}

TEST(MemoryKeyManagerTest, RejectsBadId) {
  MemoryKeyManager keys;
  EXPECT_EQ(keys.GenerateKey("../k", KeyType::kEcP256).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(DiskKeyManagerTest, CreatesDirectoryWithMode0700) {
  TempDir tmp;
  const std::string dir = tmp.File("keys");
  ASSERT_NE(OpenDisk(dir), nullptr);
  EXPECT_EQ(ModeOf(dir), 0700);
}

TEST(DiskKeyManagerTest, NarrowsWideExistingDirectoryTo0700) {
  TempDir tmp;
  const std::string dir = tmp.File("keys");
  ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0);
  ASSERT_EQ(::chmod(dir.c_str(), 0755), 0);
  ASSERT_NE(OpenDisk(dir), nullptr);
  EXPECT_EQ(ModeOf(dir), 0700);
}

TEST(DiskKeyManagerTest, RefusesPathThatIsAFile) {
  TempDir tmp;
  const std::string path = tmp.File("file");
  std::ofstream(path) << "x";
  absl::StatusOr<std::unique_ptr<DiskKeyManager>> keys = DiskKeyManager::Open(path);
  EXPECT_EQ(keys.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(Message(keys.status()), HasSubstr("not a directory"));
}

TEST(DiskKeyManagerTest, WritesPkcs8FileWithMode0600EvenUnderPermissiveUmask) {
  TempDir tmp;
  std::unique_ptr<DiskKeyManager> keys = OpenDisk(tmp.File("keys"));
  const mode_t old_umask = ::umask(0);
  absl::StatusOr<PrivateKey> made = keys->GenerateKey("x509-ca-a", KeyType::kEcP256);
  ::umask(old_umask);
  ASSERT_TRUE(made.ok());

  const std::string path = keys->PathForTest("x509-ca-a");
  EXPECT_EQ(ModeOf(path), 0600);
  std::ifstream in(path);
  std::string pem((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_THAT(pem, HasSubstr("-----BEGIN PRIVATE KEY-----"));
  absl::StatusOr<PrivateKey> parsed = PrivateKey::FromPkcs8Pem(pem);
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->Matches(made->public_key()));
}

TEST(DiskKeyManagerTest, KeySurvivesReopening) {
  TempDir tmp;
  absl::StatusOr<PrivateKey> made =
      OpenDisk(tmp.File("keys"))->GenerateKey("jwt-key-a", KeyType::kEcP384);
  ASSERT_TRUE(made.ok());
  absl::StatusOr<PrivateKey> got = OpenDisk(tmp.File("keys"))->GetKey("jwt-key-a");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->type(), KeyType::kEcP384);
  EXPECT_TRUE(got->Matches(made->public_key()));
}

TEST(DiskKeyManagerTest, MissingKeyIsNotFoundNamingIdAndPath) {
  TempDir tmp;
  std::unique_ptr<DiskKeyManager> keys = OpenDisk(tmp.File("keys"));
  absl::StatusOr<PrivateKey> got = keys->GetKey("x509-ca-b");
  EXPECT_EQ(got.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(Message(got.status()), HasSubstr("x509-ca-b"));
  EXPECT_THAT(Message(got.status()), HasSubstr(keys->PathForTest("x509-ca-b")));
}

TEST(DiskKeyManagerTest, GenerateReplacesKeyAtomically) {
  TempDir tmp;
  std::unique_ptr<DiskKeyManager> keys = OpenDisk(tmp.File("keys"));
  absl::StatusOr<PrivateKey> first = keys->GenerateKey("k", KeyType::kEcP256);
  absl::StatusOr<PrivateKey> second = keys->GenerateKey("k", KeyType::kEcP256);
  ASSERT_TRUE(first.ok() && second.ok());

  absl::StatusOr<PrivateKey> reread = OpenDisk(tmp.File("keys"))->GetKey("k");
  ASSERT_TRUE(reread.ok());
  EXPECT_TRUE(reread->Matches(second->public_key()));
  EXPECT_FALSE(reread->Matches(first->public_key()));
  // Only the key file is left: no temporary file survives a completed write.
  EXPECT_EQ(FilesIn(tmp.File("keys")), std::vector<std::string>{"k.pem"});
}

TEST(DiskKeyManagerTest, DeleteRemovesFile) {
  TempDir tmp;
  std::unique_ptr<DiskKeyManager> keys = OpenDisk(tmp.File("keys"));
  ASSERT_TRUE(keys->GenerateKey("k", KeyType::kEcP256).ok());
  ASSERT_TRUE(keys->DeleteKey("k").ok());
  EXPECT_FALSE(std::filesystem::exists(keys->PathForTest("k")));
  EXPECT_EQ(keys->GetKey("k").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(keys->DeleteKey("k").code(), absl::StatusCode::kNotFound);
}

TEST(DiskKeyManagerTest, RefusesKeyFileReadableByOthers) {
  TempDir tmp;
  ASSERT_TRUE(OpenDisk(tmp.File("keys"))->GenerateKey("k", KeyType::kEcP256).ok());
  std::unique_ptr<DiskKeyManager> keys = OpenDisk(tmp.File("keys"));
  ASSERT_EQ(::chmod(keys->PathForTest("k").c_str(), 0644), 0);
  absl::StatusOr<PrivateKey> got = keys->GetKey("k");
  EXPECT_EQ(got.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(Message(got.status()), HasSubstr("0644"));
}

TEST(DiskKeyManagerTest, CorruptKeyFileIsDataLossWithoutContent) {
  TempDir tmp;
  std::unique_ptr<DiskKeyManager> keys = OpenDisk(tmp.File("keys"));
  const std::string path = keys->PathForTest("k");
  ASSERT_TRUE(WriteFileAtomically(tmp.File("keys"), "k.pem", "SECRETGARBAGE", 0600).ok());
  absl::StatusOr<PrivateKey> got = keys->GetKey("k");
  EXPECT_EQ(got.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(Message(got.status()), HasSubstr(path));
  EXPECT_THAT(Message(got.status()), ::testing::Not(HasSubstr("SECRETGARBAGE")));
}

TEST(DiskKeyManagerTest, OpenRemovesTemporaryFilesLeftByACrash) {
  TempDir tmp;
  const std::string dir = tmp.File("keys");
  ASSERT_TRUE(OpenDisk(dir)->GenerateKey("k", KeyType::kEcP256).ok());
  std::ofstream(dir + "/.k.pem.tmp-0123456789ab") << "-----BEGIN PRIVATE KEY-----\nhalf";
  ASSERT_NE(OpenDisk(dir), nullptr);
  EXPECT_EQ(FilesIn(dir), std::vector<std::string>{"k.pem"});
}

// A writer killed with SIGKILL at an arbitrary point of a stream of key replacements leaves a
// complete key behind, never a truncated or empty file, and the next Open clears any temporary
// file it left. EC keys make the write path (write, fsync, rename, fsync) most of each loop, so
// the kill usually lands inside it.
TEST(DiskKeyManagerTest, KilledWriterNeverLeavesHalfKey) {
  TempDir tmp;
  const std::string dir = tmp.File("keys");
  ASSERT_NE(OpenDisk(dir), nullptr);
  for (int round = 0; round < 8; ++round) {
    int progress[2];
    ASSERT_EQ(::pipe(progress), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      ::close(progress[0]);
      absl::StatusOr<std::unique_ptr<DiskKeyManager>> keys = DiskKeyManager::Open(dir);
      while (keys.ok() && (*keys)->GenerateKey("k", KeyType::kEcP256).ok()) {
        (void)!::write(progress[1], "x", 1);  // one more complete key is on disk
      }
      ::_exit(1);
    }
    ::close(progress[1]);
    // Let the child finish round+1 writes, then kill it somewhere in the next one.
    char byte;
    for (int i = 0; i <= round; ++i) {
      ASSERT_EQ(::read(progress[0], &byte, 1), 1);
    }
    ASSERT_EQ(::kill(child, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ::close(progress[0]);
    ASSERT_TRUE(WIFSIGNALED(status));

    std::unique_ptr<DiskKeyManager> keys = OpenDisk(dir);
    absl::StatusOr<PrivateKey> key = keys->GetKey("k");
    ASSERT_TRUE(key.ok()) << "round " << round << ": " << key.status();
    EXPECT_EQ(key->type(), KeyType::kEcP256);
    EXPECT_EQ(FilesIn(dir), std::vector<std::string>{"k.pem"}) << "round " << round;
  }
}

}  // namespace
}  // namespace sigil::server
