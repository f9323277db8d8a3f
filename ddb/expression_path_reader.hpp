// Reads attribute paths out of an expression's token stream: a name or #name
// followed by `.name` and `[n]` segments, rendered as "a.b[0].c" with every
// definition of its #placeholders. Shared by the path facts (which paths a
// call reads and writes) and the use analysis (how it uses each of them).
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ddb/expression_lexer.hpp"
#include "ddb/expression_paths.hpp"

namespace dynaudit::ddb {

bool equals_ignoring_case(std::string_view a, std::string_view b);
// Words of the condition grammar that can never be attribute names (they are
// reserved words, so an attribute with that name must use a #placeholder).
bool is_condition_keyword(std::string_view word);
// SET, REMOVE, ADD, DELETE: the clauses of an update expression.
bool is_update_clause_keyword(std::string_view word);

class ExpressionPathReader {
 public:
  ExpressionPathReader(std::string_view expression, const ExpressionAttributeNames& names)
      : lexer_(expression), names_(names) {}

  ExpressionLexer& lexer() { return lexer_; }

  // Reads the path that starts with `first` (a name token already consumed)
  // and appends its renderings to `out`: normally one; one per combination
  // of definitions when a #placeholder is defined more than once (bounded).
  void read_path(const ExpressionToken& first, std::vector<std::string>& out);

 private:
  struct PathSegment {
    bool is_index = false;
    std::string_view text;                         // digits, a name or an undefined #placeholder
    std::span<const NamePlaceholder> definitions;  // non-empty for a defined #placeholder
  };

  PathSegment name_segment(const ExpressionToken& token) const;
  void render(std::vector<std::string>& out);
  bool advance_choice();

  ExpressionLexer lexer_;
  const ExpressionAttributeNames& names_;
  std::vector<PathSegment> segments_;
  std::vector<std::size_t> choice_;
};

inline bool is_name_token(const ExpressionToken& token) {
  return token.kind == ExpressionTokenKind::identifier || token.kind == ExpressionTokenKind::name_placeholder;
}

}  // namespace dynaudit::ddb
