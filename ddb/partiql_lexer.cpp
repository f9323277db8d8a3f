// The PartiQL tokenizer. Comments are skipped as PartiQL defines them ("--" to
// the end of the line, "/* */"), so a quote inside a comment cannot hide the
// rest of a statement from the table and attribute scan.
#include "ddb/partiql_lexer.hpp"

namespace dynaudit::ddb {
namespace {

constexpr bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}
constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }
constexpr bool is_word_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
constexpr bool is_word_part(char c) { return is_word_start(c) || is_digit(c) || c == '$'; }

// Text between the quotes, with doubled quotes collapsed. Tolerates a
// missing closing quote (the lexer runs an unterminated quote to the end).
std::string unquote(std::string_view quoted, char quote) {
  if (!quoted.empty() && quoted.front() == quote) quoted.remove_prefix(1);
  if (!quoted.empty() && quoted.back() == quote) quoted.remove_suffix(1);
  std::string text;
  text.reserve(quoted.size());
  for (std::size_t i = 0; i < quoted.size(); ++i) {
    text += quoted[i];
    if (quoted[i] == quote && i + 1 < quoted.size() && quoted[i + 1] == quote) ++i;
  }
  return text;
}

}  // namespace

PartiqlToken PartiqlLexer::next() noexcept { return scan(position_); }

PartiqlToken PartiqlLexer::peek() const noexcept {
  std::size_t position = position_;
  return scan(position);
}

PartiqlToken PartiqlLexer::scan(std::size_t& position) const noexcept {
  const std::size_t size = text_.size();
  for (;;) {  // skip blanks and comments
    while (position < size && is_space(text_[position])) ++position;
    if (text_.substr(position).starts_with("--")) {
      const auto newline = text_.find('\n', position);
      position = newline == std::string_view::npos ? size : newline + 1;
    } else if (text_.substr(position).starts_with("/*")) {
      const auto close = text_.find("*/", position + 2);
      position = close == std::string_view::npos ? size : close + 2;
    } else {
      break;
    }
  }
  if (position >= size) return {PartiqlTokenKind::end, {}};

  const std::size_t start = position;
  const auto token = [&](PartiqlTokenKind kind) {
    return PartiqlToken{kind, text_.substr(start, position - start)};
  };
  const char c = text_[position++];

  if (c == '"' || c == '\'') {
    // A doubled quote is an escaped quote, not the end.
    while (position < size) {
      if (text_[position] == c) {
        if (position + 1 < size && text_[position + 1] == c) {
          position += 2;
          continue;
        }
        ++position;
        break;
      }
      ++position;
    }
    return token(c == '"' ? PartiqlTokenKind::quoted_identifier : PartiqlTokenKind::string_literal);
  }
  if (is_digit(c)) {
    while (position < size && (is_digit(text_[position]) || text_[position] == '.' ||
                               text_[position] == 'e' || text_[position] == 'E')) {
      ++position;
    }
    return token(PartiqlTokenKind::number);
  }
  if (is_word_start(c)) {
    while (position < size && is_word_part(text_[position])) ++position;
    return token(PartiqlTokenKind::word);
  }
  if (c == '?') return token(PartiqlTokenKind::parameter);
  return token(PartiqlTokenKind::punctuation);
}

std::string identifier_text(const PartiqlToken& token) {
  if (token.kind == PartiqlTokenKind::quoted_identifier) return unquote(token.text, '"');
  return std::string(token.text);
}

std::string string_literal_text(const PartiqlToken& token) { return unquote(token.text, '\''); }

}  // namespace dynaudit::ddb
