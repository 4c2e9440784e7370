// Test helper: a child process running `sleep` under chosen ids, for attesting processes that
// are not the test itself. Needs root to change ids.
#ifndef SIGIL_ATTESTORS_WORKLOAD_TEST_PROCESS_H_
#define SIGIL_ATTESTORS_WORKLOAD_TEST_PROCESS_H_

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vector>

namespace sigil::attestors::testing {

// Forks, sets the supplementary groups, gid and uid, and execs "/usr/bin/sleep 600". Returns
// only once the exec has happened (a close-on-exec pipe reaches EOF then), so /proc already
// shows sleep and the new ids. Returns -1 if the child could not get there. The destructor
// kills and reaps the child.
class SleepingChild {
 public:
  SleepingChild(uid_t uid, gid_t gid, const std::vector<gid_t>& groups) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
      return;
    }
    pid_ = fork();
    if (pid_ == 0) {
      close(fds[0]);
      char failed = 1;
      if (setgroups(groups.size(), groups.data()) != 0 || setgid(gid) != 0 || setuid(uid) != 0) {
        [[maybe_unused]] ssize_t n = write(fds[1], &failed, 1);
        _exit(127);
      }
      execl("/usr/bin/sleep", "sleep", "600", static_cast<char*>(nullptr));
      [[maybe_unused]] ssize_t n = write(fds[1], &failed, 1);
      _exit(127);
    }
    close(fds[1]);
    char byte;
    const ssize_t n = read(fds[0], &byte, 1);
    close(fds[0]);
    if (pid_ > 0 && n != 0) {
      Reap();
      pid_ = -1;
    }
  }
  ~SleepingChild() { Reap(); }
  SleepingChild(const SleepingChild&) = delete;
  SleepingChild& operator=(const SleepingChild&) = delete;

  pid_t pid() const { return pid_; }

 private:
  void Reap() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  pid_t pid_ = -1;
};

}  // namespace sigil::attestors::testing

#endif  // SIGIL_ATTESTORS_WORKLOAD_TEST_PROCESS_H_
