// JSON text for the audit record: a string writer whose output reads back to
// the very same bytes (the hash chain depends on that), and a strict cursor
// that reads the fixed layout to_json writes and nothing else.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace dynaudit::storage::json {

// Appends `text` as a quoted JSON string. Broken UTF-8 becomes U+FFFD as raw
// bytes (not the \ufffd escape), so that parsing and writing again is stable.
void append_string(std::string& out, std::string_view text);

// Reads JSON text without white space in a layout known in advance. Every
// method consumes input only on success; any failure means "not our record".
class Cursor {
 public:
  explicit Cursor(std::string_view text) : text_(text) {}

  // Inline: called with string literals, so the compiler compares a known
  // number of bytes in place (a call to memcmp per literal was a tenth of
  // audit verify's time).
  bool peek(std::string_view expected) const {  // true if `expected` is next
    return text_.size() - pos_ >= expected.size() && text_.compare(pos_, expected.size(), expected) == 0;
  }
  bool literal(std::string_view expected) {  // consumes `expected` if next
    if (!peek(expected)) return false;
    pos_ += expected.size();
    return true;
  }
  // Consumes `,"name":` if next (without building that string).
  bool member(std::string_view name);
  bool string(std::string& out);               // a quoted string, unescaped
  bool uint64(std::uint64_t& out);
  bool int64(std::int64_t& out);
  bool boolean(bool& out);
  // One complete JSON value of any kind, copied verbatim and validated.
  bool raw_value(std::string& out);
  bool at_end() const { return pos_ == text_.size(); }

 private:
  bool unsigned_digits(std::uint64_t& out, std::size_t& pos) const;
  std::string_view text_;
  std::size_t pos_ = 0;
};

}  // namespace dynaudit::storage::json
