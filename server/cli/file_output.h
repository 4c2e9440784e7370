// Writing what a command produced (SVIDs, keys, bundles) into a directory without ever leaving
// a half-written file: each file is written to a temporary name beside it, flushed to disk,
// and renamed into place only once every file of the set is complete.
#ifndef SIGIL_SERVER_CLI_FILE_OUTPUT_H_
#define SIGIL_SERVER_CLI_FILE_OUTPUT_H_

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace sigil::server::cli {

struct OutputFile {
  std::string name;          // a plain file name, no '/'
  std::string_view content;  // borrowed for the call
  mode_t mode = 0644;        // set before the first byte is written
};

// Creates `dir` (mode 0700) when it does not exist (its parent must), then writes every file
// as above. On failure before the renames, nothing in `dir` has changed and every temporary
// file is removed; the error names the file and the cause.
//
// Limitation: the renames are atomic one by one, not as a set: a failure between two renames
// (the disk vanishing, say) leaves the new svid.pem beside the old key.pem.
absl::Status WriteFilesAtomically(const std::string& dir, const std::vector<OutputFile>& files);

}  // namespace sigil::server::cli

#endif  // SIGIL_SERVER_CLI_FILE_OUTPUT_H_
