// What the audit log keeps of a PartiQL statement: its structure and names,
// with every literal (string, number, backquoted Ion) replaced by a token the
// caller chooses (the audit log's hash token) and comments dropped.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace dynaudit::ddb {

enum class PartiqlLiteralKind { string, number, ion };

// Returns the replacement for one literal: for strings and Ion the text to
// put between single quotes, for numbers the number to write.
using PartiqlLiteralToken = std::function<std::string(PartiqlLiteralKind kind, std::string_view content)>;

struct SanitizedStatement {
  std::string text;
  bool changed = false;
  // Every literal replaced, as written and as its content ('it''s' gives
  // both "'it''s'" and "it's"), and the text of every comment dropped: an
  // error message may echo any of them.
  std::vector<std::string> literals;
  // Names inside Ion literals ({a: "x"} lexes as names): fact extraction may
  // have taken them for attribute names. And the names outside any literal.
  std::vector<std::string> literal_words;
  std::vector<std::string> name_words;
};

// Tokens come from ddb/partiql_lexer and are written back separated as in the
// statement (one space wherever blanks or comments stood). Kept: words,
// quoted identifiers, '?' parameters, punctuation, and a string literal
// directly followed by ':' (a tuple key, {'name': ...}, is an attribute name).
// An unterminated quoted identifier is a literal (it cannot be a name).
SanitizedStatement sanitize_partiql_statement(std::string_view statement, const PartiqlLiteralToken& token_of);

}  // namespace dynaudit::ddb
