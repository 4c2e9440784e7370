// SecretBytes holds key material or tokens. It wipes its buffer when destroyed or reassigned
// and converts to nothing that absl::StrCat, absl::StrFormat, fmt or a stream accepts, so a
// stray log field cannot leak what it holds: reading the bytes takes an explicit view().
#ifndef SIGIL_SECRET_BYTES_H_
#define SIGIL_SECRET_BYTES_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace sigil {

class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(std::string_view bytes);
  SecretBytes(const SecretBytes& other);
  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(const SecretBytes& other);
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  ~SecretBytes();

  // Takes over `bytes` (no copy is left behind in the caller's string).
  static SecretBytes Adopt(std::string&& bytes);

  std::string_view view() const { return bytes_; }
  const uint8_t* data() const { return reinterpret_cast<const uint8_t*>(bytes_.data()); }
  size_t size() const { return bytes_.size(); }
  bool empty() const { return bytes_.empty(); }
  void clear();

  friend bool operator==(const SecretBytes& a, const SecretBytes& b);

 private:
  std::string bytes_;
};

// Overwrites `s` with zeros in a way the compiler may not elide, then empties it.
void WipeString(std::string& s);

}  // namespace sigil

#endif  // SIGIL_SECRET_BYTES_H_
