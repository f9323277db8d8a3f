// The expression tokenizer. Every call consumes at least one byte or returns
// `end`, so loops over it always terminate, whatever the input.
#include "ddb/expression_lexer.hpp"

namespace dynaudit::ddb {
namespace {

constexpr bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }
constexpr bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
constexpr bool is_name_start(char c) { return is_letter(c) || c == '_'; }
constexpr bool is_name_part(char c) { return is_name_start(c) || is_digit(c); }

}  // namespace

ExpressionToken ExpressionLexer::next() noexcept { return scan(position_); }

ExpressionToken ExpressionLexer::peek() const noexcept {
  std::size_t position = position_;
  return scan(position);
}

ExpressionToken ExpressionLexer::scan(std::size_t& position) const noexcept {
  while (position < text_.size() && is_space(text_[position])) ++position;
  if (position >= text_.size()) return {ExpressionTokenKind::end, {}};

  const std::size_t start = position;
  const auto take_while = [&](auto predicate) {
    while (position < text_.size() && predicate(text_[position])) ++position;
  };
  const auto token = [&](ExpressionTokenKind kind) {
    return ExpressionToken{kind, text_.substr(start, position - start)};
  };

  const char c = text_[position++];
  switch (c) {
    case '#': take_while(is_name_part); return token(ExpressionTokenKind::name_placeholder);
    case ':': take_while(is_name_part); return token(ExpressionTokenKind::value_placeholder);
    case '.': return token(ExpressionTokenKind::dot);
    case '[': return token(ExpressionTokenKind::left_bracket);
    case ']': return token(ExpressionTokenKind::right_bracket);
    case '(': return token(ExpressionTokenKind::left_paren);
    case ')': return token(ExpressionTokenKind::right_paren);
    case ',': return token(ExpressionTokenKind::comma);
    case '+':
    case '-': return token(ExpressionTokenKind::arithmetic);
    case '=': return token(ExpressionTokenKind::comparator);
    case '<':
      if (position < text_.size() && (text_[position] == '=' || text_[position] == '>')) ++position;
      return token(ExpressionTokenKind::comparator);
    case '>':
      if (position < text_.size() && text_[position] == '=') ++position;
      return token(ExpressionTokenKind::comparator);
    default: break;
  }
  if (is_digit(c)) {
    take_while(is_digit);
    return token(ExpressionTokenKind::number);
  }
  if (is_name_start(c)) {
    take_while(is_name_part);
    return token(ExpressionTokenKind::identifier);
  }
  return token(ExpressionTokenKind::other);
}

}  // namespace dynaudit::ddb
