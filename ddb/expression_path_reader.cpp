// See expression_path_reader.hpp.
#include "ddb/expression_path_reader.hpp"

#include <algorithm>

namespace dynaudit::ddb {
namespace {

using Kind = ExpressionTokenKind;

// Bounds the renderings of one path whose placeholders have several
// definitions, so that a hostile request cannot make the facts explode.
constexpr std::size_t kMaxRenderingsPerPath = 64;

}  // namespace

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  const auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [&](char x, char y) { return lower(x) == lower(y); });
}

bool is_condition_keyword(std::string_view word) {
  for (const std::string_view keyword : {"AND", "OR", "NOT", "BETWEEN", "IN"}) {
    if (equals_ignoring_case(word, keyword)) return true;
  }
  return false;
}

bool is_update_clause_keyword(std::string_view word) {
  for (const std::string_view keyword : {"SET", "REMOVE", "ADD", "DELETE"}) {
    if (equals_ignoring_case(word, keyword)) return true;
  }
  return false;
}

void ExpressionPathReader::read_path(const ExpressionToken& first, std::vector<std::string>& out) {
  segments_.clear();
  segments_.push_back(name_segment(first));
  for (;;) {
    const ExpressionToken following = lexer_.peek();
    if (following.kind == Kind::dot) {
      lexer_.next();
      const ExpressionToken name = lexer_.peek();
      if (!is_name_token(name)) break;
      lexer_.next();
      segments_.push_back(name_segment(name));
    } else if (following.kind == Kind::left_bracket) {
      lexer_.next();
      const ExpressionToken index = lexer_.peek();
      if (index.kind != Kind::number) break;
      lexer_.next();
      segments_.push_back(PathSegment{true, index.text, {}});
      if (lexer_.peek().kind == Kind::right_bracket) lexer_.next();
    } else {
      break;
    }
  }
  render(out);
}

ExpressionPathReader::PathSegment ExpressionPathReader::name_segment(const ExpressionToken& token) const {
  PathSegment segment{false, token.text, {}};
  if (token.kind == Kind::name_placeholder) segment.definitions = names_.lookup(token.text);
  return segment;
}

// Renders every combination of placeholder definitions (normally exactly
// one), like an odometer over the segments.
void ExpressionPathReader::render(std::vector<std::string>& out) {
  choice_.assign(segments_.size(), 0);
  for (std::size_t rendered = 0; rendered < kMaxRenderingsPerPath; ++rendered) {
    std::string path;
    for (std::size_t i = 0; i < segments_.size(); ++i) {
      const PathSegment& segment = segments_[i];
      if (segment.is_index) {
        path += '[';
        path += segment.text;
        path += ']';
        continue;
      }
      if (i > 0) path += '.';
      path += segment.definitions.empty() ? segment.text : segment.definitions[choice_[i]].name;
    }
    if (!path.empty()) out.push_back(std::move(path));  // "#n": "" names nothing
    if (!advance_choice()) return;
  }
}

bool ExpressionPathReader::advance_choice() {
  for (std::size_t i = segments_.size(); i-- > 0;) {
    if (segments_[i].definitions.size() <= 1) continue;
    if (++choice_[i] < segments_[i].definitions.size()) return true;
    choice_[i] = 0;
  }
  return false;
}

}  // namespace dynaudit::ddb
