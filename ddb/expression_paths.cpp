// Finds the attribute paths in DynamoDB expressions with a single pass over
// the tokens. No grammar is enforced: the request is DynamoDB's to validate,
// the facts only have to name every attribute it could touch.
#include "ddb/expression_paths.hpp"

#include <algorithm>
#include <cstddef>
#include <optional>

#include "ddb/expression_lexer.hpp"

namespace dynaudit::ddb {
namespace {

using Kind = ExpressionTokenKind;

// Bounds the renderings of one path whose placeholders have several
// definitions, so that a hostile request cannot make the facts explode.
constexpr std::size_t kMaxRenderingsPerPath = 64;

struct PathSegment {
  bool is_index = false;
  std::string_view text;                        // digits, a name or an undefined #placeholder
  std::span<const NamePlaceholder> definitions;  // non-empty for a defined #placeholder
};

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  const auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [&](char x, char y) { return lower(x) == lower(y); });
}

// Words of the condition grammar that can never be attribute names (they are
// reserved words, so an attribute with that name must use a #placeholder).
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

bool is_name(const ExpressionToken& token) {
  return token.kind == Kind::identifier || token.kind == Kind::name_placeholder;
}

class PathCollector {
 public:
  PathCollector(std::string_view expression, const ExpressionAttributeNames& names)
      : lexer_(expression), names_(names) {}

  ExpressionLexer& lexer() { return lexer_; }

  // Reads the path that starts with `first` (a name token already consumed)
  // and appends its renderings to `out`.
  void read_path(const ExpressionToken& first, std::vector<std::string>& out) {
    segments_.clear();
    segments_.push_back(name_segment(first));
    for (;;) {
      const ExpressionToken following = lexer_.peek();
      if (following.kind == Kind::dot) {
        lexer_.next();
        const ExpressionToken name = lexer_.peek();
        if (!is_name(name)) break;
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

 private:
  PathSegment name_segment(const ExpressionToken& token) const {
    PathSegment segment{false, token.text, {}};
    if (token.kind == Kind::name_placeholder) segment.definitions = names_.lookup(token.text);
    return segment;
  }

  // Renders every combination of placeholder definitions (normally exactly
  // one), like an odometer over the segments.
  void render(std::vector<std::string>& out) {
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

  bool advance_choice() {
    for (std::size_t i = segments_.size(); i-- > 0;) {
      if (segments_[i].definitions.size() <= 1) continue;
      if (++choice_[i] < segments_[i].definitions.size()) return true;
      choice_[i] = 0;
    }
    return false;
  }

  ExpressionLexer lexer_;
  const ExpressionAttributeNames& names_;
  std::vector<PathSegment> segments_;
  std::vector<std::size_t> choice_;
};

// Projection and condition expressions: every path is read. A name followed
// by '(' is a function (attribute_exists, begins_with, size, ...).
void collect_read_paths(PathCollector& collector, std::vector<std::string>& read) {
  ExpressionLexer& lexer = collector.lexer();
  for (ExpressionToken token = lexer.next(); token.kind != Kind::end; token = lexer.next()) {
    if (token.kind == Kind::identifier) {
      if (is_condition_keyword(token.text)) continue;
      if (lexer.peek().kind == Kind::left_paren) continue;
    } else if (token.kind != Kind::name_placeholder) {
      continue;
    }
    collector.read_path(token, read);
  }
}

// Update expressions: "SET a = b + :v, c = if_not_exists(c, :z) REMOVE d ADD
// e :n DELETE f :s". The first path of each action (after a clause keyword or
// a comma outside parentheses) is written; every other path is an operand and
// therefore read (SET a = ssn copies ssn, so ssn is read).
void collect_update_paths(PathCollector& collector, ExpressionPaths& out) {
  ExpressionLexer& lexer = collector.lexer();
  bool in_clause = false;
  bool at_action_start = false;
  int paren_depth = 0;
  for (ExpressionToken token = lexer.next(); token.kind != Kind::end; token = lexer.next()) {
    switch (token.kind) {
      case Kind::left_paren: ++paren_depth; at_action_start = false; continue;
      case Kind::right_paren: paren_depth = std::max(0, paren_depth - 1); continue;
      case Kind::comma: at_action_start = paren_depth == 0 && in_clause; continue;
      case Kind::identifier:
        if (is_update_clause_keyword(token.text)) {
          // Reserved words, never attribute names; valid only outside
          // parentheses, so unbalanced ones before it are forgotten.
          in_clause = true;
          paren_depth = 0;
          at_action_start = true;
          continue;
        }
        if (lexer.peek().kind == Kind::left_paren) {  // a function: if_not_exists, list_append
          at_action_start = false;
          continue;
        }
        break;
      case Kind::name_placeholder: break;
      default: at_action_start = false; continue;
    }
    collector.read_path(token, at_action_start ? out.written : out.read);
    at_action_start = false;
  }
}

}  // namespace

ExpressionAttributeNames::ExpressionAttributeNames(std::vector<NamePlaceholder> entries)
    : entries_(std::move(entries)) {
  std::stable_sort(entries_.begin(), entries_.end(),
                   [](const NamePlaceholder& a, const NamePlaceholder& b) { return a.placeholder < b.placeholder; });
}

std::span<const NamePlaceholder> ExpressionAttributeNames::lookup(std::string_view placeholder) const {
  const auto [first, last] = std::equal_range(
      entries_.begin(), entries_.end(), NamePlaceholder{placeholder, {}},
      [](const NamePlaceholder& a, const NamePlaceholder& b) { return a.placeholder < b.placeholder; });
  return {first, last};
}

void collect_expression_paths(ExpressionKind kind, std::string_view expression,
                              const ExpressionAttributeNames& names, ExpressionPaths& out) {
  PathCollector collector(expression, names);
  if (kind == ExpressionKind::update) {
    collect_update_paths(collector, out);
  } else {
    collect_read_paths(collector, out.read);
  }
}

}  // namespace dynaudit::ddb
