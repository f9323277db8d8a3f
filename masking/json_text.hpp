// Small strict JSON scanner for AttributeValue subtrees: the response masker
// finds items with simdjson and hands each masked attribute's raw text here,
// so that only the few values a plan touches are ever decoded or rewritten.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace dynaudit::masking::json {

// Deeper AttributeValues are refused (DynamoDB allows 32 levels).
inline constexpr int kMaxDepth = 256;

struct Cursor {
  const char* p;
  const char* end;

  explicit Cursor(std::string_view text) : p(text.data()), end(text.data() + text.size()) {}
  void ws() {
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) ++p;
  }
  bool eat(char c) {
    ws();
    if (p < end && *p == c) {
      ++p;
      return true;
    }
    return false;
  }
  bool peek(char c) {
    ws();
    return p < end && *p == c;
  }
  bool at_end() {
    ws();
    return p == end;
  }
};

// A JSON string at the cursor: `content` is the text between the quotes,
// still escaped; `escaped` says whether it holds a backslash.
bool parse_string(Cursor& c, std::string_view& content, bool& escaped);
// Validates and skips one JSON value; `span` is its text.
bool skip_value(Cursor& c, std::string_view& span, int depth = 0);
// Decodes the content of a JSON string to UTF-8 (lone surrogates become
// U+FFFD), appending to `out`.
bool decode_string(std::string_view content, std::string& out);
// `"text"` with JSON escaping (invalid UTF-8 becomes U+FFFD).
void append_quoted(std::string& out, std::string_view utf8);

enum class AvType { S, N, B, BOOL, NUL, SS, NS, BS, L, M, unknown };

// One AttributeValue: {"<tag>": <inner>}, exactly one member.
struct AvView {
  AvType type = AvType::unknown;
  std::string_view tag;    // as written (unescaped form if no escapes)
  std::string_view inner;  // raw JSON text of the value
};
bool parse_av(std::string_view text, AvView& av);

// Calls f(element_raw) for each element of a JSON array text; f returns
// false to stop with failure.
template <class F>
bool for_each_element(std::string_view array_text, F&& f) {
  Cursor c(array_text);
  if (!c.eat('[')) return false;
  if (c.eat(']')) return c.at_end();
  for (;;) {
    c.ws();
    std::string_view span;
    if (!skip_value(c, span, 1)) return false;
    if (!f(span)) return false;
    if (c.eat(',')) continue;
    if (c.eat(']')) return c.at_end();
    return false;
  }
}

// Calls f(key_content, key_escaped, value_raw) for each member of a JSON
// object text.
template <class F>
bool for_each_member(std::string_view object_text, F&& f) {
  Cursor c(object_text);
  if (!c.eat('{')) return false;
  if (c.eat('}')) return c.at_end();
  for (;;) {
    c.ws();
    std::string_view key;
    bool escaped = false;
    if (!parse_string(c, key, escaped)) return false;
    if (!c.eat(':')) return false;
    c.ws();
    std::string_view span;
    if (!skip_value(c, span, 1)) return false;
    if (!f(key, escaped, span)) return false;
    if (c.eat(',')) continue;
    if (c.eat('}')) return c.at_end();
    return false;
  }
}

// Standard base64 with padding (AttributeValue B) and base64url without
// padding (pagination tokens).
void append_base64(std::string& out, std::string_view bytes, bool url = false);
bool decode_base64(std::string_view text, std::string& out, bool url = false);

}  // namespace dynaudit::masking::json
