#include "common/config/toml_reader.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include <toml++/toml.h>

#include "sigil/status.h"

namespace sigil::config {

struct TomlReader::Impl {
  toml::table root;
  std::string source;
  std::set<std::string, std::less<>> used;

  // Marks `key` and each of its parent tables as used, so that CheckAllKeysUsed does not
  // report the tables that hold asked-about keys.
  void MarkUsed(std::string_view key) {
    size_t dot = key.find('.');
    while (dot != std::string_view::npos) {
      used.emplace(key.substr(0, dot));
      dot = key.find('.', dot + 1);
    }
    used.emplace(key);
  }

  toml::node* Find(std::string_view key) {
    MarkUsed(key);
    return root.at_path(key).node();
  }

  absl::Status TypeError(std::string_view key, std::string_view expected) const {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": ", AsAbsl(key), ": expected ", AsAbsl(expected)));
  }

  void CollectUnused(const toml::table& table, const std::string& prefix,
                     std::vector<std::string>* out) const {
    for (const auto& [name, node] : table) {
      const std::string key =
          prefix.empty() ? std::string(name.str()) : absl::StrCat(prefix, ".", AsAbsl(name.str()));
      if (!used.contains(key)) {
        out->push_back(key);
        continue;
      }
      if (const toml::table* child = node.as_table()) {
        CollectUnused(*child, key, out);
      }
    }
  }
};

TomlReader::TomlReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TomlReader::TomlReader(TomlReader&&) noexcept = default;
TomlReader& TomlReader::operator=(TomlReader&&) noexcept = default;
TomlReader::~TomlReader() = default;

absl::StatusOr<TomlReader> TomlReader::Parse(std::string_view text, std::string source) {
  if (text.size() > kMaxConfigFileSize) {
    return absl::InvalidArgumentError(absl::StrCat(
        source, ": ", text.size(), " bytes, more than the limit of ", kMaxConfigFileSize));
  }
  auto impl = std::make_unique<Impl>();
  impl->source = std::move(source);
  try {
    impl->root = toml::parse(text, impl->source);
  } catch (const toml::parse_error& e) {
    return absl::InvalidArgumentError(absl::StrCat(impl->source, ":", e.source().begin.line, ":",
                                                   e.source().begin.column, ": ",
                                                   AsAbsl(e.description())));
  }
  return TomlReader(std::move(impl));
}

absl::StatusOr<TomlReader> TomlReader::ParseFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("config file ", path, " cannot be opened"));
  }
  std::string text;
  text.resize(kMaxConfigFileSize + 1);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  return Parse(text, path);
}

TomlReader TomlReader::Empty() { return TomlReader(std::make_unique<Impl>()); }

absl::StatusOr<std::optional<std::string>> TomlReader::GetString(std::string_view key) {
  toml::node* node = impl_->Find(key);
  if (node == nullptr) {
    return std::nullopt;
  }
  if (!node->is_string()) {
    return impl_->TypeError(key, "a string");
  }
  return std::optional<std::string>(node->as_string()->get());
}

absl::StatusOr<std::optional<int64_t>> TomlReader::GetInt(std::string_view key) {
  toml::node* node = impl_->Find(key);
  if (node == nullptr) {
    return std::nullopt;
  }
  if (!node->is_integer()) {
    return impl_->TypeError(key, "an integer");
  }
  return std::optional<int64_t>(node->as_integer()->get());
}

absl::StatusOr<std::optional<bool>> TomlReader::GetBool(std::string_view key) {
  toml::node* node = impl_->Find(key);
  if (node == nullptr) {
    return std::nullopt;
  }
  if (!node->is_boolean()) {
    return impl_->TypeError(key, "true or false");
  }
  return std::optional<bool>(node->as_boolean()->get());
}

absl::StatusOr<std::optional<absl::Duration>> TomlReader::GetDuration(std::string_view key) {
  toml::node* node = impl_->Find(key);
  if (node == nullptr) {
    return std::nullopt;
  }
  absl::Duration d;
  if (node->is_integer()) {
    d = absl::Seconds(node->as_integer()->get());
  } else if (!node->is_string() || !absl::ParseDuration(node->as_string()->get(), &d)) {
    return impl_->TypeError(key, "a duration such as \"24h\", \"90m\" or \"30s\"");
  }
  if (d < absl::ZeroDuration()) {
    return impl_->TypeError(key, "a duration that is not negative");
  }
  return std::optional<absl::Duration>(d);
}

absl::StatusOr<std::optional<std::vector<std::string>>> TomlReader::GetStringArray(
    std::string_view key) {
  toml::node* node = impl_->Find(key);
  if (node == nullptr) {
    return std::nullopt;
  }
  const toml::array* array = node->as_array();
  if (array == nullptr) {
    return impl_->TypeError(key, "an array of strings");
  }
  std::vector<std::string> out;
  for (const toml::node& item : *array) {
    if (!item.is_string()) {
      return impl_->TypeError(key, "an array of strings");
    }
    out.push_back(item.as_string()->get());
  }
  return std::optional<std::vector<std::string>>(std::move(out));
}

absl::StatusOr<std::optional<TrustDomain>> TomlReader::GetTrustDomain(std::string_view key) {
  absl::StatusOr<std::optional<std::string>> name = GetString(key);
  if (!name.ok()) {
    return name.status();
  }
  if (!name->has_value()) {
    return std::optional<TrustDomain>();
  }
  absl::StatusOr<TrustDomain> td = TrustDomain::FromString(**name);
  if (!td.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(AsAbsl(key), ": ", td.status().message()));
  }
  return std::optional<TrustDomain>(*std::move(td));
}

bool TomlReader::HasTable(std::string_view key) {
  toml::node* node = impl_->Find(key);
  return node != nullptr && node->is_table();
}

absl::Status TomlReader::CheckAllKeysUsed() const {
  std::vector<std::string> unused;
  impl_->CollectUnused(impl_->root, "", &unused);
  if (unused.empty()) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat(impl_->source, ": unknown key ", unused.front(),
                   unused.size() > 1 ? absl::StrCat(" (and ", unused.size() - 1, " more)") : ""));
}

}  // namespace sigil::config
