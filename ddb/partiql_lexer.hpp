// Tokens of DynamoDB's PartiQL dialect, enough to tell identifiers from
// string literals, comments and punctuation. It never fails: an unterminated
// quote or comment runs to the end of the statement.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace dynaudit::ddb {

enum class PartiqlTokenKind {
  end,
  word,               // bare identifier or keyword: [A-Za-z_][A-Za-z0-9_$]*
  quoted_identifier,  // "Orders" (text keeps the quotes; see identifier_text)
  string_literal,     // 'abc' (text keeps the quotes; see string_literal_text)
  number,             // 12, 1.5, 1e3
  parameter,          // ?
  punctuation,        // one byte: . , ( ) [ ] { } : * = < > ! + - / | ; and anything else
};

struct PartiqlToken {
  PartiqlTokenKind kind = PartiqlTokenKind::end;
  std::string_view text;  // a view into the statement
};

class PartiqlLexer {
 public:
  explicit PartiqlLexer(std::string_view statement) noexcept : text_(statement) {}

  PartiqlToken next() noexcept;
  PartiqlToken peek() const noexcept;

 private:
  PartiqlToken scan(std::size_t& position) const noexcept;

  std::string_view text_;
  std::size_t position_ = 0;
};

// The name a word or quoted identifier stands for: "a""b" → a"b.
std::string identifier_text(const PartiqlToken& token);
// The contents of a string literal: 'it''s' → it's.
std::string string_literal_text(const PartiqlToken& token);

}  // namespace dynaudit::ddb
