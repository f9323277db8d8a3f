// Finds the attribute paths in DynamoDB expressions with a single pass over
// the tokens. No grammar is enforced: the request is DynamoDB's to validate,
// the facts only have to name every attribute it could touch.
#include "ddb/expression_paths.hpp"

#include <algorithm>

#include "ddb/expression_lexer.hpp"
#include "ddb/expression_path_reader.hpp"

namespace dynaudit::ddb {
namespace {

using Kind = ExpressionTokenKind;

// Projection and condition expressions: every path is read. A name followed
// by '(' is a function (attribute_exists, begins_with, size, ...).
void collect_read_paths(ExpressionPathReader& collector, std::vector<std::string>& read) {
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
void collect_update_paths(ExpressionPathReader& collector, ExpressionPaths& out) {
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
  ExpressionPathReader collector(expression, names);
  if (kind == ExpressionKind::update) {
    collect_update_paths(collector, out);
  } else {
    collect_read_paths(collector, out.read);
  }
}

}  // namespace dynaudit::ddb
