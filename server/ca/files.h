// Small POSIX file helpers for the CA: bounded reads and crash-safe (atomic) writes of secret
// material. Internal to sigil_ca.
#ifndef SIGIL_SERVER_CA_FILES_H_
#define SIGIL_SERVER_CA_FILES_H_

#include <sys/types.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace sigil::server {

// Suffix marker of the temporary files WriteFileAtomically makes; RemoveStaleTempFiles deletes
// files carrying it that a crash left behind.
inline constexpr std::string_view kTempFileMarker = ".tmp-";

// Reads the whole regular file at `path` (symlinks are followed) into a string sized once from
// fstat, so that no partial copy of the content is left in freed memory. `what` names the file
// in messages ("upstream_authority key_file"). Fails with kNotFound when the file is absent,
// kPermissionDenied when it cannot be opened, kInvalidArgument when it is not a regular file or
// is larger than `max_size`, kUnavailable for other I/O errors. Never puts content in a message.
absl::StatusOr<std::string> ReadFileBounded(const std::string& path, size_t max_size,
                                            std::string_view what);

// Writes `bytes` to `dir`/`name` so that a crash at any moment leaves either the old file or the
// complete new one, never a half-written file: the bytes go to a temporary file in the same
// directory created with O_EXCL and `mode`, which is fsynced, renamed over the target, and then
// the directory is fsynced so the rename itself is durable. On failure the temporary file is
// removed and the target is untouched. `name` must not contain '/'.
absl::Status WriteFileAtomically(const std::string& dir, std::string_view name,
                                 std::string_view bytes, mode_t mode);

// Removes `dir`/`name` and fsyncs `dir`. kNotFound when absent.
absl::Status RemoveFileDurably(const std::string& dir, std::string_view name);

// Deletes files in `dir` whose name starts with '.' and contains kTempFileMarker: leftovers of
// WriteFileAtomically calls interrupted by a crash. Returns how many were removed.
absl::StatusOr<int> RemoveStaleTempFiles(const std::string& dir);

// Creates `dir` with `mode` when missing (its parent must exist); when it exists, it must be a
// directory, and its mode is narrowed to `mode` if it is wider. Fails with kFailedPrecondition
// when `dir` is not a directory or its mode cannot be narrowed (another user owns it).
absl::Status EnsurePrivateDirectory(const std::string& dir, mode_t mode);

}  // namespace sigil::server

#endif  // SIGIL_SERVER_CA_FILES_H_
