// Prometheus text parsing; see text_parse.hpp.
#include "metrics/text_parse.hpp"

#include <cstdlib>
#include <optional>

namespace dynaudit::metrics {
namespace {

bool is_name_char(char c, bool first) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':') return true;
  return !first && c >= '0' && c <= '9';
}

std::optional<double> parse_value(std::string_view text) {
  if (text == "+Inf" || text == "Inf") return 1.0 / 0.0;
  if (text == "-Inf") return -1.0 / 0.0;
  if (text == "NaN") return 0.0 / 0.0;
  const std::string copy(text);
  char* end = nullptr;
  const double v = std::strtod(copy.c_str(), &end);
  if (end == copy.c_str() || *end != '\0') return std::nullopt;
  return v;
}

// `{a="x",b="y"}` starting at text[pos] == '{'; moves pos past the '}'.
bool parse_labels(std::string_view text, std::size_t& pos, std::map<std::string, std::string>& out) {
  ++pos;
  while (pos < text.size() && text[pos] != '}') {
    const std::size_t start = pos;
    while (pos < text.size() && is_name_char(text[pos], pos == start)) ++pos;
    if (pos == start || pos + 1 >= text.size() || text[pos] != '=' || text[pos + 1] != '"') return false;
    std::string key(text.substr(start, pos - start));
    pos += 2;
    std::string value;
    for (;;) {
      if (pos >= text.size()) return false;
      const char c = text[pos++];
      if (c == '"') break;
      if (c == '\\') {
        if (pos >= text.size()) return false;
        const char e = text[pos++];
        value += e == 'n' ? '\n' : e;
      } else {
        value += c;
      }
    }
    out.emplace(std::move(key), std::move(value));
    if (pos < text.size() && text[pos] == ',') ++pos;
  }
  if (pos >= text.size()) return false;
  ++pos;  // '}'
  return true;
}

}  // namespace

ParsedExposition parse_exposition(std::string_view text) {
  ParsedExposition result;
  std::size_t line_start = 0;
  while (line_start < text.size()) {
    std::size_t line_end = text.find('\n', line_start);
    if (line_end == std::string_view::npos) line_end = text.size();
    const std::string_view line = text.substr(line_start, line_end - line_start);
    line_start = line_end + 1;
    if (line.empty() || line.front() == '#') continue;

    Sample sample;
    std::size_t pos = 0;
    while (pos < line.size() && is_name_char(line[pos], pos == 0)) ++pos;
    sample.name.assign(line.substr(0, pos));
    bool ok = !sample.name.empty();
    if (ok && pos < line.size() && line[pos] == '{') ok = parse_labels(line, pos, sample.labels);
    if (ok && (pos >= line.size() || line[pos] != ' ')) ok = false;
    if (ok) {
      std::string_view rest = line.substr(pos + 1);
      rest = rest.substr(0, rest.find(' '));  // a timestamp may follow
      if (auto v = parse_value(rest)) sample.value = *v;
      else ok = false;
    }
    if (ok) result.samples.push_back(std::move(sample));
    else ++result.unreadable_lines;
  }
  return result;
}

}  // namespace dynaudit::metrics
