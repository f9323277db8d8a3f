// Tokens of DynamoDB's expression language (projection, condition, key
// condition, filter and update expressions). Only what is needed to find the
// attribute paths an expression names; it never fails, unknown bytes become
// `other` tokens so callers can keep going on garbage.
#pragma once

#include <cstddef>
#include <string_view>

namespace dynaudit::ddb {

enum class ExpressionTokenKind {
  end,                // no more input
  identifier,         // [A-Za-z_][A-Za-z0-9_]*: attribute name, keyword or function
  name_placeholder,   // #name, resolved through ExpressionAttributeNames
  value_placeholder,  // :value, never an attribute name
  number,             // [0-9]+, list indexes
  dot,
  left_bracket,
  right_bracket,
  left_paren,
  right_paren,
  comma,
  comparator,  // = <> < <= > >=
  arithmetic,  // + -
  other,       // any other byte
};

struct ExpressionToken {
  ExpressionTokenKind kind = ExpressionTokenKind::end;
  std::string_view text;  // a view into the expression
};

class ExpressionLexer {
 public:
  explicit ExpressionLexer(std::string_view expression) noexcept : text_(expression) {}

  // Consumes and returns the next token; `end` forever once input runs out.
  ExpressionToken next() noexcept;
  // The token next() would return, without consuming it.
  ExpressionToken peek() const noexcept;

 private:
  // Scans the token at or after `position`; returns it and where it ends.
  ExpressionToken scan(std::size_t& position) const noexcept;

  std::string_view text_;
  std::size_t position_ = 0;
};

}  // namespace dynaudit::ddb
