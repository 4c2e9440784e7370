#include "sigil/base64.h"

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace sigil {
namespace {

constexpr std::string_view kStdAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view kUrlAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr uint8_t kInvalid = 0xff;

using DecodeTable = std::array<uint8_t, 256>;

constexpr DecodeTable MakeDecodeTable(std::string_view alphabet) {
  DecodeTable table{};
  for (auto& entry : table) {
    entry = kInvalid;
  }
  for (size_t i = 0; i < alphabet.size(); ++i) {
    table[static_cast<uint8_t>(alphabet[i])] = static_cast<uint8_t>(i);
  }
  return table;
}

constexpr DecodeTable kStdDecode = MakeDecodeTable(kStdAlphabet);
constexpr DecodeTable kUrlDecode = MakeDecodeTable(kUrlAlphabet);

std::string Encode(std::string_view bytes, std::string_view alphabet, bool pad) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t v = (static_cast<uint8_t>(bytes[i]) << 16) |
                       (static_cast<uint8_t>(bytes[i + 1]) << 8) |
                       static_cast<uint8_t>(bytes[i + 2]);
    out.push_back(alphabet[(v >> 18) & 0x3f]);
    out.push_back(alphabet[(v >> 12) & 0x3f]);
    out.push_back(alphabet[(v >> 6) & 0x3f]);
    out.push_back(alphabet[v & 0x3f]);
  }
  const size_t rest = bytes.size() - i;
  if (rest == 0) {
    return out;
  }
  uint32_t v = static_cast<uint8_t>(bytes[i]) << 16;
  if (rest == 2) {
    v |= static_cast<uint8_t>(bytes[i + 1]) << 8;
  }
  out.push_back(alphabet[(v >> 18) & 0x3f]);
  out.push_back(alphabet[(v >> 12) & 0x3f]);
  if (rest == 2) {
    out.push_back(alphabet[(v >> 6) & 0x3f]);
  }
  if (pad) {
    out.append(rest == 1 ? "==" : "=");
  }
  return out;
}

// Decodes `text`, which holds only data characters (padding already stripped and checked).
absl::StatusOr<std::string> DecodeData(std::string_view text, const DecodeTable& table,
                                       const char* variant) {
  if (text.size() % 4 == 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(variant, ": ", text.size(), " data characters cannot encode whole bytes"));
  }

  std::string out;
  out.reserve(text.size() / 4 * 3 + 2);
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const uint8_t v = table[static_cast<uint8_t>(text[i])];
    if (v == kInvalid) {
      return absl::InvalidArgumentError(
          absl::StrCat(variant, ": byte ", i, " is not in the alphabet"));
    }
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  // Leftover bits must be zero, otherwise several texts would decode to the same bytes.
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(variant, ": unused bits of the last character are not zero"));
  }
  return out;
}

}  // namespace

std::string Base64Encode(std::string_view bytes) { return Encode(bytes, kStdAlphabet, true); }

std::string Base64UrlEncode(std::string_view bytes) { return Encode(bytes, kUrlAlphabet, false); }

absl::StatusOr<std::string> Base64Decode(std::string_view text) {
  constexpr const char* kVariant = "base64";
  if (text.size() % 4 != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(kVariant, ": length ", text.size(), " is not a multiple of 4"));
  }
  size_t pad = 0;
  while (pad < 2 && pad < text.size() && text[text.size() - 1 - pad] == '=') {
    ++pad;
  }
  std::string_view data = text.substr(0, text.size() - pad);
  // A third "=" or one earlier in the text lands here as a non-alphabet byte.
  return DecodeData(data, kStdDecode, kVariant);
}

absl::StatusOr<std::string> Base64UrlDecode(std::string_view text) {
  constexpr const char* kVariant = "base64url";
  if (size_t pos = text.find('='); pos != std::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(kVariant, ": padding at byte ", pos, " is not allowed"));
  }
  return DecodeData(text, kUrlDecode, kVariant);
}

}  // namespace sigil
