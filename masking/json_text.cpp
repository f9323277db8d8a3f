// Strict JSON scanning for AttributeValue subtrees; see json_text.hpp.
#include "masking/json_text.hpp"

#include <cstdint>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "ddb/error_response.hpp"
#include "ddb/utf8.hpp"

namespace dynaudit::masking::json {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool read_hex4(std::string_view s, std::size_t at, std::uint32_t& value) {
  if (at + 4 > s.size()) return false;
  value = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    const int h = hex_value(s[at + i]);
    if (h < 0) return false;
    value = value * 16 + static_cast<std::uint32_t>(h);
  }
  return true;
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

bool skip_number(Cursor& c) {
  const char* p = c.p;
  if (p < c.end && *p == '-') ++p;
  if (p >= c.end) return false;
  if (*p == '0') {
    ++p;
  } else if (*p >= '1' && *p <= '9') {
    while (p < c.end && *p >= '0' && *p <= '9') ++p;
  } else {
    return false;
  }
  if (p < c.end && *p == '.') {
    ++p;
    if (p >= c.end || *p < '0' || *p > '9') return false;
    while (p < c.end && *p >= '0' && *p <= '9') ++p;
  }
  if (p < c.end && (*p == 'e' || *p == 'E')) {
    ++p;
    if (p < c.end && (*p == '+' || *p == '-')) ++p;
    if (p >= c.end || *p < '0' || *p > '9') return false;
    while (p < c.end && *p >= '0' && *p <= '9') ++p;
  }
  c.p = p;
  return true;
}

bool skip_literal(Cursor& c, std::string_view word) {
  if (static_cast<std::size_t>(c.end - c.p) < word.size()) return false;
  if (std::string_view(c.p, word.size()) != word) return false;
  c.p += word.size();
  return true;
}

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kB64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int b64_value(char c, bool url) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == (url ? '-' : '+')) return 62;
  if (c == (url ? '_' : '/')) return 63;
  return -1;
}

// The first byte in [p, end) that is '"', '\\', below 0x20 or at least
// 0x80 (and, when `del`, 0x7f): the bytes string scanning must look at one
// by one. 16 bytes at a time where SSE2 is there.
template <bool del>
const char* next_special(const char* p, const char* end) {
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i slash = _mm_set1_epi8('\\');
  const __m128i space = _mm_set1_epi8(0x20);
  const __m128i rubout = _mm_set1_epi8(0x7f);
  while (end - p >= 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    // Signed compare: bytes >= 0x80 are negative, so they count as below 0x20.
    __m128i hit =
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, slash)), _mm_cmplt_epi8(v, space));
    if (del) hit = _mm_or_si128(hit, _mm_cmpeq_epi8(v, rubout));
    const int mask = _mm_movemask_epi8(hit);
    if (mask != 0) return p + __builtin_ctz(static_cast<unsigned>(mask));
    p += 16;
  }
#endif
  for (; p < end; ++p) {
    const auto c = static_cast<unsigned char>(*p);
    if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\' || (del && c == 0x7f)) return p;
  }
  return p;
}

}  // namespace

bool parse_string(Cursor& c, std::string_view& content, bool& escaped) {
  if (c.p >= c.end || *c.p != '"') return false;
  const char* start = ++c.p;
  escaped = false;
  while (c.p < c.end) {
    c.p = next_special<false>(c.p, c.end);
    if (c.p == c.end) break;
    const auto byte = static_cast<unsigned char>(*c.p);
    if (byte == '"') {
      content = std::string_view(start, static_cast<std::size_t>(c.p - start));
      ++c.p;
      return true;
    }
    if (byte == '\\') {
      escaped = true;
      if (c.p + 1 >= c.end) return false;
      const char e = c.p[1];
      if (e == 'u') {
        std::uint32_t v;
        if (!read_hex4(std::string_view(c.p, static_cast<std::size_t>(c.end - c.p)), 2, v)) return false;
        c.p += 6;
      } else if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' || e == 'r' || e == 't') {
        c.p += 2;
      } else {
        return false;
      }
      continue;
    }
    if (byte < 0x20) return false;
    if (byte >= 0x80) {
      const std::size_t n =
          ddb::valid_utf8_sequence_length(std::string_view(c.p, static_cast<std::size_t>(c.end - c.p)));
      if (n == 0) return false;
      c.p += n;
    }
  }
  return false;
}

bool skip_value(Cursor& c, std::string_view& span, int depth) {
  if (depth > kMaxDepth) return false;
  c.ws();
  const char* start = c.p;
  if (c.p >= c.end) return false;
  switch (*c.p) {
    case '"': {
      std::string_view content;
      bool escaped;
      if (!parse_string(c, content, escaped)) return false;
      break;
    }
    case '{': {
      ++c.p;
      if (!c.eat('}')) {
        for (;;) {
          c.ws();
          std::string_view key, value;
          bool escaped;
          if (!parse_string(c, key, escaped)) return false;
          if (!c.eat(':')) return false;
          if (!skip_value(c, value, depth + 1)) return false;
          if (c.eat(',')) continue;
          if (c.eat('}')) break;
          return false;
        }
      }
      break;
    }
    case '[': {
      ++c.p;
      if (!c.eat(']')) {
        for (;;) {
          std::string_view value;
          if (!skip_value(c, value, depth + 1)) return false;
          if (c.eat(',')) continue;
          if (c.eat(']')) break;
          return false;
        }
      }
      break;
    }
    case 't':
      if (!skip_literal(c, "true")) return false;
      break;
    case 'f':
      if (!skip_literal(c, "false")) return false;
      break;
    case 'n':
      if (!skip_literal(c, "null")) return false;
      break;
    default:
      if (!skip_number(c)) return false;
  }
  span = std::string_view(start, static_cast<std::size_t>(c.p - start));
  return true;
}

bool decode_string(std::string_view s, std::string& out) {
  std::size_t i = 0;
  while (i < s.size()) {
    const std::size_t slash = s.find('\\', i);
    if (slash == std::string_view::npos) {
      out.append(s.substr(i));
      return true;
    }
    out.append(s.substr(i, slash - i));
    i = slash;
    if (i + 1 >= s.size()) return false;
    const char e = s[i + 1];
    switch (e) {
      case '"': out += '"'; break;
      case '\\': out += '\\'; break;
      case '/': out += '/'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'u': {
        std::uint32_t cp;
        if (!read_hex4(s, i + 2, cp)) return false;
        i += 6;
        if (cp >= 0xd800 && cp <= 0xdbff) {
          std::uint32_t low;
          if (i + 1 < s.size() && s[i] == '\\' && s[i + 1] == 'u' && read_hex4(s, i + 2, low) && low >= 0xdc00 &&
              low <= 0xdfff) {
            cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
            i += 6;
          } else {
            cp = 0xfffd;
          }
        } else if (cp >= 0xdc00 && cp <= 0xdfff) {
          cp = 0xfffd;
        }
        append_utf8(out, cp);
        continue;
      }
      default:
        return false;
    }
    i += 2;
  }
  return true;
}

void append_quoted(std::string& out, std::string_view utf8) {
  // Runs of bytes that need no escaping are appended whole; anything else
  // goes through ddb::append_json_escaped, which owns the escaping rules.
  out += '"';
  std::size_t run = 0;
  std::size_t i = 0;
  const std::size_t n = utf8.size();
  while (i < n) {
    i = static_cast<std::size_t>(next_special<true>(utf8.data() + i, utf8.data() + n) - utf8.data());
    if (i == n) break;
    const auto byte = static_cast<unsigned char>(utf8[i]);
    std::size_t length = 1;
    if (byte >= 0x80) {
      length = ddb::valid_utf8_sequence_length(utf8.substr(i));
      if (length > 0) {
        i += length;
        continue;
      }
      length = 1;
    }
    out.append(utf8, run, i - run);
    ddb::append_json_escaped(out, utf8.substr(i, length));
    i += length;
    run = i;
  }
  out.append(utf8, run, n - run);
  out += '"';
}

bool parse_av(std::string_view text, AvView& av) {
  Cursor c(text);
  if (!c.eat('{')) return false;
  c.ws();
  std::string_view tag;
  bool escaped;
  if (!parse_string(c, tag, escaped)) return false;
  if (!c.eat(':')) return false;
  c.ws();
  std::string_view inner;
  if (!skip_value(c, inner, 1)) return false;
  if (!c.eat('}') || !c.at_end()) return false;
  av.tag = tag;
  av.inner = inner;
  av.type = AvType::unknown;
  if (escaped) return true;
  const char first = inner.empty() ? 0 : inner.front();
  if (tag == "S" || tag == "N" || tag == "B") {
    if (first != '"') return false;
    av.type = tag == "S" ? AvType::S : tag == "N" ? AvType::N : AvType::B;
  } else if (tag == "BOOL" || tag == "NULL") {
    if (inner != "true" && inner != "false") return false;
    av.type = tag == "BOOL" ? AvType::BOOL : AvType::NUL;
  } else if (tag == "SS" || tag == "NS" || tag == "BS") {
    if (first != '[') return false;
    av.type = tag == "SS" ? AvType::SS : tag == "NS" ? AvType::NS : AvType::BS;
  } else if (tag == "L") {
    if (first != '[') return false;
    av.type = AvType::L;
  } else if (tag == "M") {
    if (first != '{') return false;
    av.type = AvType::M;
  }
  return true;
}

void append_base64(std::string& out, std::string_view bytes, bool url) {
  const char* alphabet = url ? kB64Url : kB64;
  std::size_t i = 0;
  const auto at = [&](std::size_t k) { return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[k])); };
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t v = (at(i) << 16) | (at(i + 1) << 8) | at(i + 2);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += alphabet[v & 63];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest == 1) {
    const std::uint32_t v = at(i) << 16;
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    if (!url) out += "==";
  } else if (rest == 2) {
    const std::uint32_t v = (at(i) << 16) | (at(i + 1) << 8);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    if (!url) out += '=';
  }
}

bool decode_base64(std::string_view text, std::string& out, bool url) {
  if (!url) {
    if (text.size() % 4 != 0) return false;
    std::size_t pad = 0;
    while (pad < 2 && pad < text.size() && text[text.size() - 1 - pad] == '=') ++pad;
    text.remove_suffix(pad);
  }
  if (text.size() % 4 == 1) return false;
  std::uint32_t acc = 0;
  int bits = 0;
  for (const char ch : text) {
    const int v = b64_value(ch, url);
    if (v < 0) return false;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return true;
}

}  // namespace dynaudit::masking::json
