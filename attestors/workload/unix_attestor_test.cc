#include "attestors/workload/unix_attestor.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "attestors/workload/test_process.h"

namespace sigil::attestors {
namespace {

using ::testing::Contains;
using ::testing::IsSupersetOf;
using ::testing::Not;
using ::testing::Truly;

Selector Unix(std::string value) { return Selector{"unix", std::move(value)}; }

// The first word `sha256sum` prints for `path`: an independent SHA-256.
std::string Sha256Sum(const std::string& path) {
  std::string out;
  FILE* p = popen(("sha256sum '" + path + "'").c_str(), "r");
  char buf[256];
  while (p != nullptr && fgets(buf, sizeof(buf), p) != nullptr) {
    out += buf;
  }
  if (p != nullptr) {
    pclose(p);
  }
  return out.substr(0, out.find(' '));
}

bool IsSha256Selector(const Selector& s) { return s.value.rfind("sha256:", 0) == 0; }

TEST(UnixWorkloadAttestorTest, AttestsThisProcess) {
  UnixWorkloadAttestor attestor;
  auto selectors = attestor.Attest({getpid(), getuid(), getgid()});
  ASSERT_TRUE(selectors.ok()) << selectors.status();
  const std::string exe = std::filesystem::read_symlink("/proc/self/exe").string();
  EXPECT_THAT(*selectors,
              IsSupersetOf({Unix("uid:" + std::to_string(geteuid())),
                            Unix("gid:" + std::to_string(getegid())), Unix("path:" + exe)}));
}

TEST(UnixWorkloadAttestorTest, HashesTheExecutableAsSha256sumDoes) {
  UnixWorkloadAttestor attestor;
  auto selectors = attestor.Attest({getpid(), getuid(), getgid()});
  ASSERT_TRUE(selectors.ok()) << selectors.status();
  const std::string exe = std::filesystem::read_symlink("/proc/self/exe").string();
  const std::string expected = Sha256Sum(exe);
  ASSERT_EQ(expected.size(), 64u);
  EXPECT_THAT(*selectors, Contains(Unix("sha256:" + expected)));
}

TEST(UnixWorkloadAttestorTest, AttestsAChildRunningAsNobody) {
  if (getuid() != 0) {
    GTEST_SKIP() << "needs root to run a child as another user";
  }
  testing::SleepingChild child(65534, 65534, {65534, 100});
  ASSERT_GT(child.pid(), 0);
  UnixWorkloadAttestor attestor;
  auto selectors = attestor.Attest({child.pid(), 65534, 65534});
  ASSERT_TRUE(selectors.ok()) << selectors.status();
  EXPECT_THAT(*selectors,
              IsSupersetOf({Unix("uid:65534"), Unix("user:nobody"), Unix("gid:65534"),
                            Unix("group:nogroup"), Unix("supplementary_gid:65534"),
                            Unix("supplementary_gid:100"), Unix("supplementary_group:users"),
                            Unix("supplementary_group:nogroup"), Unix("path:/usr/bin/sleep"),
                            Unix("sha256:" + Sha256Sum("/usr/bin/sleep"))}));
  EXPECT_THAT(*selectors, Not(Contains(Unix("uid:0"))));
}

TEST(UnixWorkloadAttestorTest, LeavesOutNamesTheUserDatabaseLacks) {
  if (getuid() != 0) {
    GTEST_SKIP() << "needs root to run a child as another user";
  }
  // 54321 has no passwd or group entry here.
  ASSERT_FALSE(LookupUserName(54321).has_value());
  testing::SleepingChild child(54321, 54321, {});
  ASSERT_GT(child.pid(), 0);
  UnixWorkloadAttestor attestor;
  auto selectors = attestor.Attest({child.pid(), 54321, 54321});
  ASSERT_TRUE(selectors.ok()) << selectors.status();
  EXPECT_THAT(*selectors, IsSupersetOf({Unix("uid:54321"), Unix("gid:54321")}));
  EXPECT_THAT(*selectors, Not(Contains(Truly([](const Selector& s) {
    return s.value.rfind("user:", 0) == 0 || s.value.rfind("group:", 0) == 0;
  }))));
}

TEST(UnixWorkloadAttestorTest, FailsForAVanishedProcess) {
  const pid_t child = fork();
  if (child == 0) {
    _exit(0);
  }
  ASSERT_GT(child, 0);
  ASSERT_EQ(waitpid(child, nullptr, 0), child);
  UnixWorkloadAttestor attestor;
  auto selectors = attestor.Attest({child, 0, 0});
  ASSERT_FALSE(selectors.ok());
  EXPECT_EQ(selectors.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(std::string(selectors.status().message()),
            "process " + std::to_string(child) + " does not exist");
}

TEST(UnixWorkloadAttestorTest, HashesEachExecutableOnce) {
  UnixWorkloadAttestor attestor;
  ASSERT_TRUE(attestor.Attest({getpid(), getuid(), getgid()}).ok());
  ASSERT_TRUE(attestor.Attest({getpid(), getuid(), getgid()}).ok());
  EXPECT_EQ(attestor.hasher().misses(), 1u);
  EXPECT_EQ(attestor.hasher().hits(), 1u);
}

TEST(UnixWorkloadAttestorTest, SkipsTheHashOfAnExecutableOverTheLimit) {
  UnixWorkloadAttestor attestor({.hashing = {.max_file_bytes = 1024}});
  auto selectors = attestor.Attest({getpid(), getuid(), getgid()});
  ASSERT_TRUE(selectors.ok()) << selectors.status();
  EXPECT_THAT(*selectors, Not(Contains(Truly(IsSha256Selector))));
  EXPECT_THAT(*selectors,
              Contains(Truly([](const Selector& s) { return s.value.rfind("path:", 0) == 0; })));
}

TEST(UnixWorkloadAttestorTest, OmitsPathAndHashWithoutPathDiscovery) {
  UnixWorkloadAttestor attestor({.discover_workload_path = false});
  auto selectors = attestor.Attest({getpid(), getuid(), getgid()});
  ASSERT_TRUE(selectors.ok()) << selectors.status();
  for (const Selector& s : *selectors) {
    EXPECT_EQ(s.type, "unix");
    EXPECT_NE(s.value.rfind("path:", 0), 0u) << s.value;
    EXPECT_FALSE(IsSha256Selector(s)) << s.value;
  }
}

TEST(UnixWorkloadAttestorTest, RefusesMalformedProcStatus) {
  char tmpl[] = "/tmp/sigil-fakeproc-XXXXXX";
  const std::string root = mkdtemp(tmpl);
  std::filesystem::create_directories(root + "/77");
  FILE* f = fopen((root + "/77/status").c_str(), "w");
  fputs("Uid:\t0\t0\t0\t0\nGid:\tzero\t0\t0\t0\nGroups:\t\n", f);
  fclose(f);
  UnixWorkloadAttestor attestor({.proc_root = root});
  auto selectors = attestor.Attest({77, 0, 0});
  std::filesystem::remove_all(root);
  ASSERT_FALSE(selectors.ok());
  EXPECT_EQ(selectors.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(selectors.status().message()), "proc status: Gid id 1 is not a decimal id");
}

}  // namespace
}  // namespace sigil::attestors
