// Attribute paths in rules ("card.number", "cards[*].number", "a[0].b")
// and their matching against the paths request facts name.
#include <charconv>

#include "rules/compiled.hpp"
#include "rules/path_overlap.hpp"

namespace dynaudit::rules {
namespace {

struct FactSegment {
  std::string_view name;
  std::int64_t index = 0;
  bool is_index = false;
  bool any_index = false;
};

enum class Step { segment, end, malformed };

// Reads the next segment of `path` at `i` (after the first, a name is
// preceded by '.').
Step next_segment(std::string_view path, std::size_t& i, bool first, FactSegment& out) {
  if (i >= path.size()) return Step::end;
  if (path[i] == '[') {
    const auto close = path.find(']', i + 1);
    if (close == std::string_view::npos || close == i + 1) return Step::malformed;
    const auto inner = path.substr(i + 1, close - i - 1);
    out = FactSegment{};
    out.is_index = true;
    if (inner == "*") {
      out.any_index = true;
    } else {
      auto [ptr, ec] = std::from_chars(inner.data(), inner.data() + inner.size(), out.index);
      if (ec != std::errc() || ptr != inner.data() + inner.size() || out.index < 0) return Step::malformed;
    }
    i = close + 1;
    return Step::segment;
  }
  if (!first) {
    if (path[i] != '.') return Step::malformed;
    ++i;
  }
  const std::size_t start = i;
  while (i < path.size() && path[i] != '.' && path[i] != '[' && path[i] != ']') ++i;
  if (i == start) return Step::malformed;
  if (i < path.size() && path[i] == ']') return Step::malformed;
  out = FactSegment{};
  out.name = path.substr(start, i - start);
  return Step::segment;
}

}  // namespace

bool parse_attribute_path(std::string_view text, AttributePath& out) {
  out.clear();
  std::size_t i = 0;
  bool first = true;
  for (;;) {
    FactSegment seg;
    const Step step = next_segment(text, i, first, seg);
    if (step == Step::end) break;
    if (step == Step::malformed) return false;
    if (first && seg.is_index) return false;  // a path starts with a name
    PathSegment p;
    p.name = std::string(seg.name);
    p.index = seg.index;
    p.is_index = seg.is_index;
    p.any_index = seg.any_index;
    out.push_back(std::move(p));
    first = false;
  }
  return !out.empty();
}

bool attribute_path_matches(const AttributePath& rule_path, std::string_view fact_path) {
  if (fact_path.empty()) return false;
  std::size_t i = 0;
  bool first = true;
  for (const PathSegment& r : rule_path) {
    FactSegment f;
    const Step step = next_segment(fact_path, i, first, f);
    first = false;
    if (step == Step::end) return true;  // the fact is a prefix of the rule path: reading `card` reads `card.number`
    if (step == Step::malformed) return false;
    if (r.is_index != f.is_index) return false;
    if (r.is_index) {
      if (!r.any_index && !f.any_index && r.index != f.index) return false;
    } else if (r.name != f.name) {
      return false;
    }
  }
  return true;  // the rule path is a prefix of (or equal to) the fact path
}

bool paths_overlap(std::string_view rule_path, std::string_view fact_path) {
  AttributePath parsed;
  return parse_attribute_path(rule_path, parsed) && attribute_path_matches(parsed, fact_path);
}

}  // namespace dynaudit::rules
