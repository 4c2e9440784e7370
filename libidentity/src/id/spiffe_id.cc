#include "sigil/spiffe_id.h"

#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

#include "sigil/status.h"

namespace sigil {
namespace {

bool IsTrustDomainByte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
}

bool IsPathByte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '-' || c == '_';
}

// Describes a byte that broke a character-set rule, naming the most common mistakes so the
// operator sees what to fix rather than a bare code point.
std::string DescribeByte(unsigned char c) {
  if (c >= 'A' && c <= 'Z') {
    return "an uppercase letter";
  }
  switch (c) {
    case '%':
      return "a percent-encoded character ('%')";
    case ':':
      return "a port or colon (':')";
    case '@':
      return "userinfo ('@')";
    case '?':
      return "a query ('?')";
    case '#':
      return "a fragment ('#')";
    case '/':
      return "a slash";
    case '[':
    case ']':
      return "an IPv6 bracket";
    case ' ':
      return "a space";
    case '\0':
      return "a NUL byte";
    default:
      break;
  }
  if (c >= 0x80) {
    return absl::StrFormat("a non-ASCII byte 0x%02x", c);
  }
  if (c < 0x20 || c == 0x7f) {
    return absl::StrFormat("a control byte 0x%02x", c);
  }
  return absl::StrFormat("an invalid character '%c'", c);
}

// `base` is the offset of `name` within the whole input, so positions refer to the input.
absl::Status CheckTrustDomainBytes(std::string_view name, size_t base) {
  if (name.empty()) {
    return absl::InvalidArgumentError("trust domain is empty");
  }
  if (name.size() > kMaxTrustDomainLength) {
    return absl::InvalidArgumentError(absl::StrCat("trust domain is ", name.size(),
                                                   " bytes, longer than the ",
                                                   kMaxTrustDomainLength, "-byte maximum"));
  }
  for (size_t i = 0; i < name.size(); ++i) {
    const auto c = static_cast<unsigned char>(name[i]);
    if (!IsTrustDomainByte(c)) {
      return absl::InvalidArgumentError(
          absl::StrCat("trust domain has ", DescribeByte(c), " at byte ", base + i));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckPathBytes(std::string_view path, size_t base) {
  if (path.empty()) {
    return absl::OkStatus();
  }
  if (path[0] != '/') {
    return absl::InvalidArgumentError(absl::StrCat("path must start with '/' at byte ", base));
  }
  size_t segment_start = 1;
  for (size_t i = 1; i <= path.size(); ++i) {
    if (i == path.size() || path[i] == '/') {
      const std::string_view segment = path.substr(segment_start, i - segment_start);
      if (segment.empty()) {
        if (i == path.size()) {
          return absl::InvalidArgumentError(
              absl::StrCat("path has a trailing '/' at byte ", base + i - 1));
        }
        return absl::InvalidArgumentError(
            absl::StrCat("path has an empty segment at byte ", base + i));
      }
      if (segment == "." || segment == "..") {
        return absl::InvalidArgumentError(absl::StrCat("path has a '", AsAbsl(segment),
                                                       "' segment at byte ", base + segment_start));
      }
      segment_start = i + 1;
      continue;
    }
    const auto c = static_cast<unsigned char>(path[i]);
    if (!IsPathByte(c)) {
      return absl::InvalidArgumentError(
          absl::StrCat("path has ", DescribeByte(c), " at byte ", base + i));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateTrustDomainName(std::string_view name) {
  return CheckTrustDomainBytes(name, 0);
}

absl::Status ValidatePath(std::string_view path) { return CheckPathBytes(path, 0); }

absl::Status ValidatePathSegment(std::string_view segment) {
  if (segment.empty()) {
    return absl::InvalidArgumentError("path segment is empty");
  }
  if (segment == "." || segment == "..") {
    return absl::InvalidArgumentError(
        absl::StrCat("path segment '", AsAbsl(segment), "' is not allowed"));
  }
  for (size_t i = 0; i < segment.size(); ++i) {
    const auto c = static_cast<unsigned char>(segment[i]);
    if (!IsPathByte(c)) {
      return absl::InvalidArgumentError(
          absl::StrCat("path segment has ", DescribeByte(c), " at byte ", i));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<TrustDomain> TrustDomain::FromString(std::string_view name_or_id) {
  if (name_or_id.find(":/") != std::string_view::npos) {
    absl::StatusOr<SpiffeId> id = SpiffeId::Parse(name_or_id);
    if (!id.ok()) {
      return id.status();
    }
    return id->trust_domain();
  }
  if (absl::Status s = CheckTrustDomainBytes(name_or_id, 0); !s.ok()) {
    return s;
  }
  return TrustDomain(std::string(name_or_id));
}

std::string TrustDomain::IdString() const { return absl::StrCat(AsAbsl(kSpiffeScheme), name_); }

SpiffeId TrustDomain::Id() const {
  std::string id = IdString();
  const size_t path_offset = id.size();
  return SpiffeId(std::move(id), *this, path_offset);
}

absl::StatusOr<SpiffeId> SpiffeId::Parse(std::string_view id) {
  if (id.empty()) {
    return absl::InvalidArgumentError("SPIFFE ID is empty");
  }
  if (id.size() > kMaxSpiffeIdLength) {
    return absl::InvalidArgumentError(absl::StrCat("SPIFFE ID is ", id.size(),
                                                   " bytes, longer than the ", kMaxSpiffeIdLength,
                                                   "-byte maximum"));
  }
  // The scheme is compared byte for byte: "SPIFFE://" is refused rather than folded, as every
  // reference parser does.
  if (id.substr(0, kSpiffeScheme.size()) != kSpiffeScheme) {
    return absl::InvalidArgumentError("SPIFFE ID must start with the scheme \"spiffe://\"");
  }
  const size_t td_start = kSpiffeScheme.size();
  size_t td_end = id.find('/', td_start);
  if (td_end == std::string_view::npos) {
    td_end = id.size();
  }
  const std::string_view td = id.substr(td_start, td_end - td_start);
  if (absl::Status s = CheckTrustDomainBytes(td, td_start); !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckPathBytes(id.substr(td_end), td_end); !s.ok()) {
    return s;
  }
  return SpiffeId(std::string(id), TrustDomain(std::string(td)), td_end);
}

absl::StatusOr<SpiffeId> SpiffeId::FromPath(const TrustDomain& td, std::string_view path) {
  if (absl::Status s = ValidatePath(path); !s.ok()) {
    return s;
  }
  std::string id = absl::StrCat(AsAbsl(kSpiffeScheme), td.name(), AsAbsl(path));
  if (id.size() > kMaxSpiffeIdLength) {
    return absl::InvalidArgumentError(absl::StrCat("SPIFFE ID would be ", id.size(),
                                                   " bytes, longer than the ", kMaxSpiffeIdLength,
                                                   "-byte maximum"));
  }
  const size_t offset = kSpiffeScheme.size() + td.name().size();
  return SpiffeId(std::move(id), td, offset);
}

absl::StatusOr<SpiffeId> SpiffeId::FromSegments(const TrustDomain& td,
                                                absl::Span<const std::string_view> segments) {
  std::string path;
  for (std::string_view segment : segments) {
    if (absl::Status s = ValidatePathSegment(segment); !s.ok()) {
      return s;
    }
    absl::StrAppend(&path, "/", AsAbsl(segment));
  }
  return FromPath(td, path);
}

}  // namespace sigil
