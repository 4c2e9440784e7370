// A scratch directory for tests that need real files, removed with everything in it when the
// object goes away.
#ifndef SIGIL_SERVER_DATASTORE_TEST_TEMP_DIR_H_
#define SIGIL_SERVER_DATASTORE_TEST_TEMP_DIR_H_

#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <string_view>
#include <system_error>

namespace sigil::server::testing {

class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern =
        std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/sigil-datastore-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
      std::cerr << "mkdtemp failed for " << pattern << "\n";
      std::abort();
    }
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;  // best effort: a leftover scratch directory fails no test
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string File(std::string_view name) const { return path_ + "/" + std::string(name); }

 private:
  std::string path_;
};

}  // namespace sigil::server::testing

#endif  // SIGIL_SERVER_DATASTORE_TEST_TEMP_DIR_H_
