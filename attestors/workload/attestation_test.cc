#include "attestors/workload/attestation.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "attestors/workload/unix_attestor.h"

namespace sigil::attestors {
namespace {

using ::testing::ElementsAre;

// Returns fixed selectors, running `during` first (to change the world mid-attestation).
class FakeAttestor : public WorkloadAttestor {
 public:
  FakeAttestor(std::string type, std::vector<std::string> values,
               std::function<void()> during = nullptr)
      : type_(std::move(type)), values_(std::move(values)), during_(std::move(during)) {}

  std::string_view name() const override { return type_; }
  absl::StatusOr<std::vector<Selector>> Attest(const WorkloadProcess&) const override {
    if (during_) {
      during_();
    }
    if (values_.empty()) {
      return absl::UnavailableError("cannot reach the container runtime");
    }
    std::vector<Selector> out;
    for (const std::string& v : values_) {
      out.push_back({type_, v});
    }
    return out;
  }

 private:
  std::string type_;
  std::vector<std::string> values_;
  std::function<void()> during_;
};

// A fake proc tree holding one process, 77, whose start time tests can change.
class AttestationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/sigil-fakeproc-XXXXXX";
    root_ = mkdtemp(tmpl);
    std::filesystem::create_directories(root_ + "/77");
    SetStartTime(1000);
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  void SetStartTime(uint64_t ticks) {
    std::ofstream(root_ + "/77/stat", std::ios::trunc)
        << "77 (work load) S 1 77 77 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 " << ticks << " 0 0\n";
  }

  template <typename... A>
  WorkloadAttestation Make(A... attestors) {
    std::vector<std::unique_ptr<WorkloadAttestor>> list;
    (list.push_back(std::move(attestors)), ...);
    return WorkloadAttestation(std::move(list), root_);
  }

  std::string root_;
};

TEST_F(AttestationTest, UnionsAndSortsEveryAttestorsSelectors) {
  auto attestation =
      Make(std::make_unique<FakeAttestor>("unix", std::vector<std::string>{"uid:5", "gid:5"}),
           std::make_unique<FakeAttestor>("k8s", std::vector<std::string>{"ns:a", "ns:a"}));
  auto selectors = attestation.Attest({77, 5, 5});
  ASSERT_TRUE(selectors.ok()) << selectors.status();
  EXPECT_THAT(*selectors, ElementsAre(Selector{"k8s", "ns:a"}, Selector{"unix", "gid:5"},
                                      Selector{"unix", "uid:5"}));
}

TEST_F(AttestationTest, RefusesAPidReusedDuringAttestation) {
  auto attestation = Make(std::make_unique<FakeAttestor>("unix", std::vector<std::string>{"uid:5"},
                                                         [this] { SetStartTime(2000); }));
  auto selectors = attestation.Attest({77, 5, 5});
  ASSERT_FALSE(selectors.ok());
  EXPECT_EQ(selectors.status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(std::string(selectors.status().message()),
            "process 77 changed during attestation (pid reused)");
}

TEST_F(AttestationTest, ReportsAProcessThatExitedDuringAttestation) {
  auto attestation =
      Make(std::make_unique<FakeAttestor>("unix", std::vector<std::string>{"uid:5"},
                                          [this] { std::filesystem::remove_all(root_ + "/77"); }));
  auto selectors = attestation.Attest({77, 5, 5});
  ASSERT_FALSE(selectors.ok());
  EXPECT_EQ(selectors.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(std::string(selectors.status().message()), "process 77 exited during attestation");
}

TEST_F(AttestationTest, ReportsAProcessGoneBeforeAttestation) {
  auto attestation = Make(std::make_unique<FakeAttestor>("unix", std::vector<std::string>{"x"}));
  auto selectors = attestation.Attest({78, 5, 5});
  ASSERT_FALSE(selectors.ok());
  EXPECT_EQ(selectors.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(std::string(selectors.status().message()), "process 78 does not exist");
}

TEST_F(AttestationTest, FailsWhenOneAttestorFails) {
  auto attestation = Make(std::make_unique<FakeAttestor>("unix", std::vector<std::string>{"uid:5"}),
                          std::make_unique<FakeAttestor>("docker", std::vector<std::string>{}));
  auto selectors = attestation.Attest({77, 5, 5});
  ASSERT_FALSE(selectors.ok());
  EXPECT_EQ(selectors.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(std::string(selectors.status().message()),
            "docker attestor: cannot reach the container runtime");
}

TEST(WorkloadAttestationTest, AttestsThisProcessWithTheUnixAttestor) {
  std::vector<std::unique_ptr<WorkloadAttestor>> list;
  list.push_back(std::make_unique<UnixWorkloadAttestor>());
  WorkloadAttestation attestation(std::move(list));
  auto selectors = attestation.Attest({getpid(), getuid(), getgid()});
  ASSERT_TRUE(selectors.ok()) << selectors.status();
  EXPECT_TRUE(std::is_sorted(selectors->begin(), selectors->end()));
  EXPECT_NE(std::find(selectors->begin(), selectors->end(),
                      Selector{"unix", "uid:" + std::to_string(geteuid())}),
            selectors->end());
}

}  // namespace
}  // namespace sigil::attestors
