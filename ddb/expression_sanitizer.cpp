// The expression sanitizer: marks literal bytes over the lexer's tokens, then
// writes the expression back with every marked run replaced.
#include "ddb/expression_sanitizer.hpp"

#include <algorithm>

#include "ddb/expression_lexer.hpp"

namespace dynaudit::ddb {
namespace {

using Kind = ExpressionTokenKind;

constexpr std::size_t kMaxIndexDigits = 6;
constexpr std::size_t kMinLiteralWord = 4;

constexpr bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
constexpr bool is_word_byte(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}
constexpr bool is_quote(char c) { return c == '\'' || c == '"' || c == '`'; }

void add_unique(std::vector<std::string>& into, std::string_view text) {
  if (text.empty()) return;
  if (std::find(into.begin(), into.end(), text) == into.end()) into.emplace_back(text);
}

class Marker {
 public:
  explicit Marker(std::string_view text) : text_(text), marked_(text.size(), false) {}

  // Marks [begin, end) and returns where lexing resumes.
  std::size_t mark(std::size_t begin, std::size_t end) {
    std::fill(marked_.begin() + static_cast<std::ptrdiff_t>(begin), marked_.begin() + static_cast<std::ptrdiff_t>(end),
              true);
    return end;
  }
  // Marks the whitespace-delimited run around [begin, end).
  std::size_t mark_run(std::size_t begin, std::size_t end) {
    while (begin > 0 && !is_space(text_[begin - 1])) --begin;
    while (end < text_.size() && !is_space(text_[end])) ++end;
    return mark(begin, end);
  }
  // Marks the run of word bytes around [begin, end).
  std::size_t mark_word(std::size_t begin, std::size_t end) {
    while (begin > 0 && is_word_byte(text_[begin - 1])) --begin;
    while (end < text_.size() && is_word_byte(text_[end])) ++end;
    return mark(begin, end);
  }
  bool marked(std::size_t i) const { return marked_[i]; }

 private:
  std::string_view text_;
  std::vector<bool> marked_;
};

void note_run(std::string_view run, SanitizedExpression& out) {
  add_unique(out.literals, run);
  // The text between the quotes, and the words inside.
  for (std::size_t i = 0; i < run.size(); ++i) {
    if (!is_quote(run[i])) continue;
    const auto close = run.find(run[i], i + 1);
    const std::string_view inside = run.substr(i + 1, close == std::string_view::npos ? std::string_view::npos : close - i - 1);
    add_unique(out.literals, inside);
    if (close == std::string_view::npos) break;
    i = close;
  }
  std::size_t i = 0;
  while (i < run.size()) {
    if (!is_word_byte(run[i])) {
      ++i;
      continue;
    }
    const std::size_t start = i;
    while (i < run.size() && is_word_byte(run[i])) ++i;
    const std::string_view word = run.substr(start, i - start);
    if (word.size() >= kMinLiteralWord) add_unique(out.literals, word);
    if (!(word.front() >= '0' && word.front() <= '9')) add_unique(out.literal_words, word);
  }
}

}  // namespace

SanitizedExpression sanitize_expression(std::string_view expression) {
  SanitizedExpression out;
  Marker marker(expression);
  std::vector<std::pair<std::size_t, std::size_t>> identifiers;  // outside literals, checked after marking

  ExpressionLexer lexer(expression);
  Kind previous = Kind::end;
  for (;;) {
    const ExpressionToken token = lexer.next();
    if (token.kind == Kind::end) break;
    const std::size_t begin = static_cast<std::size_t>(token.text.data() - expression.data());
    const std::size_t end = begin + token.text.size();
    std::size_t resume = 0;
    if (token.kind == Kind::other && is_quote(token.text.front())) {
      const auto close = expression.find(token.text.front(), end);
      const std::size_t literal_end = close == std::string_view::npos ? expression.size() : close + 1;
      resume = marker.mark_run(begin, literal_end);
    } else if (token.kind == Kind::other) {
      resume = marker.mark_run(begin, end);
    } else if (token.kind == Kind::number &&
               (previous != Kind::left_bracket || token.text.size() > kMaxIndexDigits)) {
      resume = marker.mark_word(begin, end);
    } else {
      if (token.kind == Kind::identifier) identifiers.emplace_back(begin, end);
      previous = token.kind;
      continue;
    }
    // Marking may run past the token: lex again from where it ends. The
    // lexer runs over a view into the same bytes, so offsets stay absolute.
    lexer = ExpressionLexer(expression.substr(resume));
    previous = Kind::other;
  }

  std::size_t i = 0;
  while (i < expression.size()) {
    if (!marker.marked(i)) {
      out.text += expression[i++];
      continue;
    }
    const std::size_t start = i;
    while (i < expression.size() && marker.marked(i)) ++i;
    note_run(expression.substr(start, i - start), out);
    out.text += kExpressionLiteralMark;
    out.changed = true;
  }
  for (const auto& [begin, end] : identifiers) {
    if (!marker.marked(begin)) add_unique(out.name_words, expression.substr(begin, end - begin));
  }
  return out;
}

}  // namespace dynaudit::ddb
