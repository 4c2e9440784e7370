#include "sigil/strict_json.h"

#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"

#include "sigil/status.h"

namespace sigil {
namespace {

using Json = nlohmann::json;

// Builds the DOM itself so that it can see every member name: nlohmann's own DOM builder lets
// a repeated name silently overwrite the first, which would let two parsers of one bundle or
// token disagree about its content.
class StrictSax : public nlohmann::json_sax<Json> {
 public:
  explicit StrictSax(size_t max_depth) : max_depth_(max_depth) {}

  bool null() override { return Put(Json(nullptr)); }
  bool boolean(bool v) override { return Put(Json(v)); }
  bool number_integer(number_integer_t v) override { return Put(Json(v)); }
  bool number_unsigned(number_unsigned_t v) override { return Put(Json(v)); }
  bool number_float(number_float_t v, const string_t&) override { return Put(Json(v)); }
  bool string(string_t& v) override { return Put(Json(std::move(v))); }
  bool binary(binary_t&) override { return Fail("binary values are not JSON"); }

  bool start_object(std::size_t) override { return Open(Json::object()); }
  bool end_object() override { return Close(); }
  bool start_array(std::size_t) override { return Open(Json::array()); }
  bool end_array() override { return Close(); }

  bool key(string_t& k) override {
    Frame& frame = stack_.back();
    if (!frame.keys.insert(k).second) {
      return Fail(absl::StrCat("duplicate member name \"", Printable(k), "\""));
    }
    frame.pending_key = std::move(k);
    return true;
  }

  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception& ex) override {
    if (error_.empty()) {
      // nlohmann's message quotes the offending token; keep only its classification.
      error_ = absl::StrCat("malformed JSON near byte ", position > 0 ? position - 1 : 0,
                            ParseErrorKind(ex));
    }
    return false;
  }

  Json TakeResult() { return std::move(root_); }
  const std::string& error() const { return error_; }

 private:
  struct Frame {
    Json value;
    std::string pending_key;
    absl::flat_hash_set<std::string> keys;
  };

  static std::string ParseErrorKind(const nlohmann::detail::exception& ex) {
    const std::string what = ex.what();
    if (what.find("invalid string: ill-formed UTF-8") != std::string::npos) {
      return " (invalid UTF-8)";
    }
    if (what.find("control character") != std::string::npos) {
      return " (unescaped control character in a string)";
    }
    if (what.find("end of input") != std::string::npos) {
      return " (unexpected end of input)";
    }
    return "";
  }

  // Member names are short identifiers in every document we read; cap what we echo.
  static std::string Printable(const std::string& s) {
    std::string out;
    for (char c : s.substr(0, 64)) {
      const auto u = static_cast<unsigned char>(c);
      out.push_back(u >= 0x20 && u < 0x7f && c != '"' ? c : '?');
    }
    return out;
  }

  bool Fail(std::string message) {
    if (error_.empty()) {
      error_ = std::move(message);
    }
    return false;
  }

  bool Put(Json value) {
    if (stack_.empty()) {
      root_ = std::move(value);
      return true;
    }
    Frame& frame = stack_.back();
    if (frame.value.is_object()) {
      frame.value[frame.pending_key] = std::move(value);
    } else {
      frame.value.push_back(std::move(value));
    }
    return true;
  }

  bool Open(Json container) {
    if (stack_.size() >= max_depth_) {
      return Fail(absl::StrCat("nesting deeper than ", max_depth_, " levels"));
    }
    stack_.push_back(Frame{std::move(container), {}, {}});
    return true;
  }

  bool Close() {
    Json value = std::move(stack_.back().value);
    stack_.pop_back();
    return Put(std::move(value));
  }

  size_t max_depth_;
  std::vector<Frame> stack_;
  Json root_;
  std::string error_;
};

}  // namespace

absl::StatusOr<nlohmann::json> ParseStrictJson(std::string_view text, std::string_view what,
                                               const JsonLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        AsAbsl(what), " is ", text.size(), " bytes, more than the limit of ", limits.max_bytes));
  }
  StrictSax sax(limits.max_depth);
  const bool ok = Json::sax_parse(text.begin(), text.end(), &sax, Json::input_format_t::json,
                                  /*strict=*/true, /*ignore_comments=*/false);
  if (!ok) {
    const std::string& error = sax.error();
    return absl::InvalidArgumentError(
        absl::StrCat(AsAbsl(what), ": ", error.empty() ? std::string("malformed JSON") : error));
  }
  return sax.TakeResult();
}

}  // namespace sigil
