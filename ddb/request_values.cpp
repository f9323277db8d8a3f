// request_values: a ValueMemberVisitor that collects instead of writing.
#include "ddb/request_values.hpp"

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <unordered_set>

#include "ddb/error_response.hpp"
#include "ddb/expression_sanitizer.hpp"
#include "ddb/partiql_sanitizer.hpp"
#include "ddb/value_member_walk.hpp"

namespace dynaudit::ddb {
namespace {

// "+007.50" -> "7.5", "1.0" -> "1", "-0.10" -> "-0.1": DynamoDB may echo a
// number in another form than the one sent.
std::string plain_number(std::string_view text) {
  std::string out;
  if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
    if (text.front() == '-') out += '-';
    text.remove_prefix(1);
  }
  if (text.find_first_not_of("0123456789.") != std::string_view::npos) return {};  // exponents: left as written
  while (text.size() > 1 && text.front() == '0' && text[1] != '.') text.remove_prefix(1);
  if (text.find('.') != std::string_view::npos) {
    while (!text.empty() && text.back() == '0') text.remove_suffix(1);
    if (!text.empty() && text.back() == '.') text.remove_suffix(1);
  }
  out += text;
  return out;
}

int base64_digit(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62;
  if (c == '/' || c == '_') return 63;
  return -1;
}

// The decoded bytes when they are printable ASCII text; empty otherwise.
std::string base64_text(std::string_view text) {
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (const char c : text) {
    if (c == '=') break;
    const int digit = base64_digit(c);
    if (digit < 0) return {};
    buffer = (buffer << 6) | static_cast<unsigned>(digit);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      const char byte = static_cast<char>((buffer >> bits) & 0xFF);
      if (byte < 0x20 || byte > 0x7E) return {};
      out += byte;
    }
  }
  return out;
}

// Which values could occur in a text: every 2-, 3- and 4-byte window of it,
// so that most values are ruled out by one lookup of their first bytes.
class TextIndex {
 public:
  explicit TextIndex(std::string_view text) : text_(text) {
    for (std::size_t width = 2; width <= 4; ++width) {
      auto& set = windows_[width - 2];
      for (std::size_t i = 0; i + width <= text.size(); ++i) set.insert(text.substr(i, width));
    }
  }
  bool may_hold(std::string_view value) const {
    if (value.size() < 2 || value.size() > text_.size()) return false;
    const std::string_view head = value.substr(0, std::min<std::size_t>(value.size(), 4));
    if (!windows_[head.size() - 2].contains(head)) return false;
    return value.size() <= 4 || text_.find(value) != std::string_view::npos;
  }

 private:
  std::string_view text_;
  std::array<std::unordered_set<std::string_view>, 3> windows_;
};

class Collector : public ValueMemberVisitor {
 public:
  Collector(std::vector<std::string>& values, const TextIndex* only_in) : values_(values), only_in_(only_in) {}

  void visit(ValueKind kind, simdjson::dom::element value, std::string*) override {
    switch (kind) {
      case ValueKind::statement: {
        std::string_view text;
        if (value.get(text) != simdjson::SUCCESS) return any_leaves(value);
        const auto sanitized = sanitize_partiql_statement(text, [](PartiqlLiteralKind, std::string_view) { return std::string(); });
        for (const auto& literal : sanitized.literals) add(literal);
        return;
      }
      case ValueKind::expression: {
        std::string_view text;
        if (value.get(text) != simdjson::SUCCESS) return any_leaves(value);
        for (const auto& literal : sanitize_expression(text).literals) add(literal);
        return;
      }
      case ValueKind::attribute_updates:
      case ValueKind::expected:
      case ValueKind::conditions: return wrapped_values(wrapper_of(kind), value);
      case ValueKind::item:
      case ValueKind::expression_values:
      case ValueKind::value_list:
      case ValueKind::value: return any_leaves(value);
    }
  }

 private:
  void add(std::string_view text) {
    if (text.size() < 2) return;
    if (only_in_ != nullptr && !only_in_->may_hold(text)) {
      // Its JSON-escaped form may still be there (see collect()); only
      // quotes, backslashes and control bytes make the two differ here.
      const bool plain = std::none_of(text.begin(), text.end(), [](char c) {
        return c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20;
      });
      if (plain) return;
      std::string escaped;
      append_json_escaped(escaped, text);
      if (escaped == text || !only_in_->may_hold(escaped)) return;
    }
    values_.emplace_back(text);
  }

  // {"<attribute>": {"Value": v, "AttributeValueList": [...], "Action": "PUT"}}:
  // only the members the model says hold values (the others are enums,
  // which would only garble a message).
  void wrapped_values(std::string_view wrapper, simdjson::dom::element map) {
    simdjson::dom::object attributes;
    if (map.get(attributes) != simdjson::SUCCESS) return any_leaves(map);
    for (auto attribute : attributes) {
      simdjson::dom::object members;
      if (attribute.value.get(members) != simdjson::SUCCESS) {
        any_leaves(attribute.value);
        continue;
      }
      for (auto member : members) {
        for (const auto& entry : wrapper_value_members()) {
          if (entry.wrapper == wrapper && entry.member == member.key) any_leaves(member.value);
        }
      }
    }
  }

  // Every string and number under `value`, except object keys (attribute
  // names, type tags) — a typed leaf tells how to read its text.
  void any_leaves(simdjson::dom::element value, std::string_view type = {}) {
    simdjson::dom::object object;
    simdjson::dom::array array;
    std::string_view text;
    if (value.get(object) == simdjson::SUCCESS) {
      for (auto member : object) any_leaves(member.value, member.key);
    } else if (value.get(array) == simdjson::SUCCESS) {
      for (auto element : array) any_leaves(element, type);
    } else if (value.get(text) == simdjson::SUCCESS) {
      add(text);
      if (type == "N" || type == "NS") add(plain_number(text));
      if (type == "B" || type == "BS") add(base64_text(text));
    } else if (value.is_number()) {
      add(simdjson::minify(value));
    }
  }

  std::vector<std::string>& values_;
  const TextIndex* only_in_;
};

// A body simdjson cannot parse: every quoted string and bare number in it.
void raw_tokens(std::string_view body, std::vector<std::string>& values) {
  std::size_t i = 0;
  while (i < body.size()) {
    const char c = body[i];
    if (c == '"') {
      std::string text;
      for (++i; i < body.size() && body[i] != '"'; ++i) {
        if (body[i] == '\\' && i + 1 < body.size()) ++i;
        text += body[i];
      }
      ++i;
      if (text.size() >= 2) values.push_back(std::move(text));
    } else if ((c >= '0' && c <= '9') || c == '-') {
      const std::size_t start = i;
      while (i < body.size() && std::string_view("0123456789.eE+-").find(body[i]) != std::string_view::npos) ++i;
      if (i - start >= 2) values.emplace_back(body.substr(start, i - start));
    } else {
      ++i;
    }
  }
}

}  // namespace

namespace {

std::vector<std::string> collect(std::string_view body, const TextIndex* only_in) {
  std::vector<std::string> values;
  if (body.empty()) return values;
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(simdjson::padded_string(body)).get(root) != simdjson::SUCCESS) {
    raw_tokens(body, values);
  } else {
    Collector collector(values, only_in);
    walk_value_members(root, collector, nullptr);
  }
  // An upstream may echo the request's JSON text rather than the values it
  // decodes to: a value with quotes or backslashes is looked for both ways.
  const std::size_t decoded = values.size();
  for (std::size_t i = 0; i < decoded; ++i) {
    std::string escaped;
    append_json_escaped(escaped, values[i]);
    if (escaped != values[i]) values.push_back(std::move(escaped));
  }
  if (only_in != nullptr)
    std::erase_if(values, [&](const std::string& value) { return !only_in->may_hold(value); });
  // Longest first, without duplicates: the scrubber then sees each once.
  std::sort(values.begin(), values.end(),
            [](const std::string& a, const std::string& b) { return a.size() != b.size() ? a.size() > b.size() : a < b; });
  values.erase(std::unique(values.begin(), values.end()), values.end());
  return values;
}

}  // namespace

std::vector<std::string> request_values(std::string_view body) { return collect(body, nullptr); }

std::vector<std::string> request_values_in(std::string_view body, std::string_view text) {
  if (text.size() < 2) return {};
  const TextIndex index(text);
  return collect(body, &index);
}

}  // namespace dynaudit::ddb
