#include "input.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"

#include "output.h"
#include "sigil/status.h"

namespace sigil::cli {
namespace {

struct FileCloser {
  void operator()(std::FILE* f) const noexcept { std::fclose(f); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

absl::Status SystemError(int error, std::string_view what) {
  const std::string message = absl::StrCat(AsAbsl(what), ": ", std::strerror(error));
  switch (error) {
    case ENOENT:
      return absl::NotFoundError(message);
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(message);
    default:
      return absl::InvalidArgumentError(message);
  }
}

// Reads at most max_bytes + 1 bytes so that an oversized input is detected without reading
// all of it.
absl::StatusOr<std::string> ReadStream(std::FILE* f, std::string_view name, size_t max_bytes) {
  std::string data;
  char buffer[64 * 1024];
  while (data.size() <= max_bytes) {
    const size_t n = std::fread(buffer, 1, sizeof(buffer), f);
    data.append(buffer, n);
    if (n < sizeof(buffer)) {
      break;
    }
  }
  if (std::ferror(f)) {
    const int error = errno;
    WipeString(data);
    return SystemError(error, absl::StrCat("cannot read ", AsAbsl(name)));
  }
  if (data.size() > max_bytes) {
    WipeString(data);
    return absl::InvalidArgumentError(
        absl::StrCat(AsAbsl(name), " is larger than the ", max_bytes, "-byte limit"));
  }
  std::memset(buffer, 0, sizeof(buffer));
  return data;
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

}  // namespace

std::string InputName(std::string_view path) {
  return path == "-" ? "standard input" : Printable(path);
}

absl::StatusOr<std::string> ReadInput(std::string_view path, size_t max_bytes) {
  const std::string name = InputName(path);
  if (path == "-") {
    return ReadStream(stdin, name, max_bytes);
  }
  FilePtr f(std::fopen(std::string(path).c_str(), "rb"));
  if (f == nullptr) {
    return SystemError(errno, absl::StrCat("cannot open ", name));
  }
  return ReadStream(f.get(), name, max_bytes);
}

absl::StatusOr<SecretBytes> ReadTokenArgument(std::string_view arg) {
  // Room for surrounding whitespace; the JWT code enforces the real size limit and says so.
  constexpr size_t kMaxTokenInput = 64 * 1024;
  std::string token;
  if (arg == "-" || (!arg.empty() && arg[0] == '@')) {
    SIGIL_ASSIGN_OR_RETURN(token, ReadInput(arg == "-" ? arg : arg.substr(1), kMaxTokenInput));
  } else {
    token.assign(arg);
  }
  size_t end = token.size();
  while (end > 0 && IsSpace(token[end - 1])) {
    --end;
  }
  size_t begin = 0;
  while (begin < end && IsSpace(token[begin])) {
    ++begin;
  }
  if (begin > 0 || end < token.size()) {
    std::string trimmed = token.substr(begin, end - begin);
    WipeString(token);
    token = std::move(trimmed);
  }
  if (token.empty()) {
    return absl::InvalidArgumentError("the token is empty");
  }
  return SecretBytes::Adopt(std::move(token));
}

}  // namespace sigil::cli
