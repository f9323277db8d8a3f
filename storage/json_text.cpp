// JSON text for the audit record: the stable string writer and the strict
// cursor that reads records back (see json_text.hpp).
#include "storage/json_text.hpp"

#include <simdjson.h>

#include "ddb/error_response.hpp"
#include "ddb/utf8.hpp"

namespace dynaudit::storage::json {
namespace {

constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";  // U+FFFD

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

unsigned hex_value(char c) {
  if (c >= '0' && c <= '9') return static_cast<unsigned>(c - '0');
  if (c >= 'a' && c <= 'f') return static_cast<unsigned>(c - 'a' + 10);
  return static_cast<unsigned>(c - 'A' + 10);
}

bool read_hex4(std::string_view text, std::size_t at, unsigned& out) {
  if (at + 4 > text.size()) return false;
  out = 0;
  for (std::size_t i = at; i < at + 4; ++i) {
    if (!is_hex(text[i])) return false;
    out = out * 16 + hex_value(text[i]);
  }
  return true;
}

void append_utf8(std::string& out, unsigned code_point) {
  if (code_point < 0x80) {
    out += static_cast<char>(code_point);
  } else if (code_point < 0x800) {
    out += static_cast<char>(0xC0 | (code_point >> 6));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  } else if (code_point < 0x10000) {
    out += static_cast<char>(0xE0 | (code_point >> 12));
    out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (code_point >> 18));
    out += static_cast<char>(0x80 | ((code_point >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  }
}

// End of the string starting at `at` (a quote), one past the closing quote;
// npos if it does not close. Escapes are skipped, not checked.
std::size_t skip_string(std::string_view text, std::size_t at) {
  for (std::size_t p = at + 1; p < text.size(); ++p) {
    if (text[p] == '\\') {
      ++p;
    } else if (text[p] == '"') {
      return p + 1;
    }
  }
  return std::string_view::npos;
}

// End of the JSON value starting at `at`, found by bracket depth; the value
// is validated afterwards by simdjson.
std::size_t skip_value(std::string_view text, std::size_t at) {
  if (at >= text.size()) return std::string_view::npos;
  const char first = text[at];
  if (first == '"') return skip_string(text, at);
  if (first == '{' || first == '[') {
    std::size_t depth = 0;
    for (std::size_t p = at; p < text.size(); ++p) {
      const char c = text[p];
      if (c == '"') {
        p = skip_string(text, p);
        if (p == std::string_view::npos) return p;
        --p;
      } else if (c == '{' || c == '[') {
        ++depth;
      } else if (c == '}' || c == ']') {
        if (--depth == 0) return p + 1;
      }
    }
    return std::string_view::npos;
  }
  std::size_t p = at;
  while (p < text.size() && text[p] != ',' && text[p] != '}' && text[p] != ']') ++p;
  return p == at ? std::string_view::npos : p;
}

bool is_valid_json(std::string_view text) {
  // One parser per thread: parsing allocates its buffers once, then reuses them.
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element element;
  return parser.parse(text.data(), text.size(), true).get(element) == simdjson::SUCCESS;
}

}  // namespace


void append_string(std::string& out, std::string_view text) {
  out += '"';
  // Plain runs are copied whole; only the bytes that need escaping go
  // through ddb's escaper, one at a time. Broken UTF-8 is replaced here by
  // the raw bytes of U+FFFD: ddb's escaper would write the escape \ufffd,
  // which reads back as those raw bytes and would then be written
  // differently, and write(read(write(x))) == write(x) must hold.
  std::size_t run_start = 0;
  std::size_t i = 0;
  const auto flush = [&] { out.append(text.substr(run_start, i - run_start)); };
  while (i < text.size()) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte >= 0x80) {
      const std::size_t length = ddb::valid_utf8_sequence_length(text.substr(i));
      if (length != 0) {
        i += length;
        continue;
      }
      flush();
      out += kReplacementCharacter;
    } else if (byte < 0x20 || byte == 0x7F || byte == '"' || byte == '\\') {
      flush();
      ddb::append_json_escaped(out, text.substr(i, 1));
    } else {
      ++i;
      continue;
    }
    ++i;
    run_start = i;
  }
  flush();
  out += '"';
}

bool Cursor::member(std::string_view name) {
  const std::size_t size = name.size() + 4;
  if (text_.size() - pos_ < size) return false;
  const char* p = text_.data() + pos_;
  if (p[0] != ',' || p[1] != '"' || p[size - 2] != '"' || p[size - 1] != ':') return false;
  if (std::string_view(p + 2, name.size()) != name) return false;
  pos_ += size;
  return true;
}

bool Cursor::string(std::string& out) {
  if (pos_ >= text_.size() || text_[pos_] != '"') return false;
  std::string value;
  std::size_t p = pos_ + 1;
  while (p < text_.size()) {
    const char c = text_[p];
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"') {
      out = std::move(value);
      pos_ = p + 1;
      return true;
    }
    if (byte < 0x20) return false;  // raw control characters are not JSON
    if (byte >= 0x80) {
      const std::size_t length = ddb::valid_utf8_sequence_length(text_.substr(p));
      if (length == 0) return false;
      value.append(text_.substr(p, length));
      p += length;
      continue;
    }
    if (c != '\\') {
      std::size_t end = p + 1;
      while (end < text_.size()) {
        const auto next = static_cast<unsigned char>(text_[end]);
        if (next == '"' || next == '\\' || next < 0x20 || next >= 0x80) break;
        ++end;
      }
      value.append(text_.substr(p, end - p));
      p = end;
      continue;
    }
    if (++p >= text_.size()) return false;
    switch (text_[p]) {
      case '"': value += '"'; break;
      case '\\': value += '\\'; break;
      case '/': value += '/'; break;
      case 'b': value += '\b'; break;
      case 'f': value += '\f'; break;
      case 'n': value += '\n'; break;
      case 'r': value += '\r'; break;
      case 't': value += '\t'; break;
      case 'u': {
        unsigned unit = 0;
        if (!read_hex4(text_, p + 1, unit)) return false;
        p += 4;
        if (unit >= 0xDC00 && unit <= 0xDFFF) return false;  // lone low surrogate
        if (unit >= 0xD800 && unit <= 0xDBFF) {
          unsigned low = 0;
          if (!(p + 2 < text_.size() && text_[p + 1] == '\\' && text_[p + 2] == 'u')) return false;
          if (!read_hex4(text_, p + 3, low) || low < 0xDC00 || low > 0xDFFF) return false;
          p += 6;
          unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
        }
        append_utf8(value, unit);
        break;
      }
      default:
        return false;
    }
    ++p;
  }
  return false;
}

bool Cursor::unsigned_digits(std::uint64_t& out, std::size_t& pos) const {
  const std::size_t start = pos;
  std::uint64_t value = 0;
  while (pos < text_.size() && text_[pos] >= '0' && text_[pos] <= '9') {
    const auto digit = static_cast<std::uint64_t>(text_[pos] - '0');
    if (value > (UINT64_MAX - digit) / 10) return false;  // overflow
    value = value * 10 + digit;
    ++pos;
  }
  if (pos == start) return false;
  if (text_[start] == '0' && pos - start > 1) return false;  // JSON has no leading zeros
  out = value;
  return true;
}

bool Cursor::uint64(std::uint64_t& out) {
  std::size_t p = pos_;
  if (!unsigned_digits(out, p)) return false;
  pos_ = p;
  return true;
}

bool Cursor::int64(std::int64_t& out) {
  std::size_t p = pos_;
  const bool negative = p < text_.size() && text_[p] == '-';
  if (negative) ++p;
  std::uint64_t magnitude = 0;
  if (!unsigned_digits(magnitude, p)) return false;
  constexpr auto kMax = static_cast<std::uint64_t>(INT64_MAX);
  if (negative) {
    if (magnitude == 0 || magnitude > kMax + 1) return false;  // "-0" is not what we write
    out = magnitude == kMax + 1 ? INT64_MIN : -static_cast<std::int64_t>(magnitude);
  } else {
    if (magnitude > kMax) return false;
    out = static_cast<std::int64_t>(magnitude);
  }
  pos_ = p;
  return true;
}

bool Cursor::boolean(bool& out) {
  if (literal("true")) {
    out = true;
    return true;
  }
  if (literal("false")) {
    out = false;
    return true;
  }
  return false;
}

bool Cursor::raw_value(std::string& out) {
  const std::size_t end = skip_value(text_, pos_);
  if (end == std::string_view::npos) return false;
  const std::string_view value = text_.substr(pos_, end - pos_);
  if (!is_valid_json(value)) return false;
  out.assign(value);
  pos_ = end;
  return true;
}

}  // namespace dynaudit::storage::json
