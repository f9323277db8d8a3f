// What the audit log keeps of a DynamoDB expression: attribute names, #name
// and :value placeholders, keywords, functions, operators and punctuation.
// The expression language has no literals, so anything else (a quoted
// string, a number that is not a list index, a byte the grammar lacks) is a
// value typed into a malformed expression: it is replaced, never stored.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace dynaudit::ddb {

inline constexpr std::string_view kExpressionLiteralMark = "****";

struct SanitizedExpression {
  std::string text;  // the expression with each literal run replaced by kExpressionLiteralMark
  bool changed = false;
  // What was replaced: each run as written, the text between its quotes, and
  // its words of 4 characters or more (an error message may echo any of them).
  std::vector<std::string> literals;
  // Identifier-shaped words inside replaced runs. Fact extraction may have
  // taken them for attribute names ('a b' reads as names a and b).
  std::vector<std::string> literal_words;
  // Identifiers outside replaced runs: names the expression really uses.
  std::vector<std::string> name_words;
};

// Rules, on the tokens of ddb/expression_lexer:
// - a quote (' " `) starts a literal that runs to the same quote or the end;
// - any other byte the grammar lacks marks its whole whitespace-delimited run;
// - a number is kept only as a list index (after '[', at most 6 digits, as a
//   DynamoDB item cannot hold a longer list); otherwise its word is replaced;
// - runs that touch are replaced together, whitespace is kept as written.
SanitizedExpression sanitize_expression(std::string_view expression);

}  // namespace dynaudit::ddb
