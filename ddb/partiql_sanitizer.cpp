// The PartiQL sanitizer; see partiql_sanitizer.hpp for what is kept.
#include "ddb/partiql_sanitizer.hpp"

#include <algorithm>

#include "ddb/partiql_lexer.hpp"

namespace dynaudit::ddb {
namespace {

using Kind = PartiqlTokenKind;

void add_unique(std::vector<std::string>& into, std::string_view text) {
  if (text.empty()) return;
  if (std::find(into.begin(), into.end(), text) == into.end()) into.emplace_back(text);
}

bool terminated(std::string_view quoted) { return quoted.size() >= 2 && quoted.back() == quoted.front(); }

std::string_view trimmed(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n\f\v");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t\r\n\f\v") - first + 1);
}

// Comments are dropped from the statement, but an error message may still
// quote them: what they said is scrubbed like a literal.
void note_comments(std::string_view gap, std::vector<std::string>& literals) {
  gap = trimmed(gap);
  if (gap.empty()) return;
  add_unique(literals, gap);
  std::string inside;
  for (std::size_t i = 0; i < gap.size(); ++i) {
    const std::string_view rest = gap.substr(i);
    if (rest.starts_with("--") || rest.starts_with("/*") || rest.starts_with("*/")) {
      inside += ' ';
      ++i;
    } else {
      inside += gap[i];
    }
  }
  add_unique(literals, trimmed(inside));
}

// The words and quoted identifiers of `text`, as PartiQL would read them.
void note_names(std::string_view text, std::vector<std::string>& names) {
  PartiqlLexer lexer(text);
  for (PartiqlToken token = lexer.next(); token.kind != Kind::end; token = lexer.next()) {
    if (token.kind == Kind::word || token.kind == Kind::quoted_identifier) add_unique(names, identifier_text(token));
  }
}

}  // namespace

SanitizedStatement sanitize_partiql_statement(std::string_view statement, const PartiqlLiteralToken& token_of) {
  SanitizedStatement out;
  out.text.reserve(statement.size());
  std::size_t written_up_to = 0;  // end of the last token written
  bool first = true;
  const auto separate = [&](std::size_t begin) {
    note_comments(statement.substr(written_up_to, begin - written_up_to), out.literals);
    if (!first && begin > written_up_to) out.text += ' ';
    first = false;
  };
  // Two quoted tokens written back to back would read as one with an
  // escaped quote ('T''T'): they are kept apart by a space.
  const auto emit = [&](std::string_view text) {
    if (!out.text.empty() && !text.empty() && out.text.back() == text.front() &&
        (text.front() == '\'' || text.front() == '"'))
      out.text += ' ';
    out.text += text;
  };
  const auto replace = [&](PartiqlLiteralKind kind, std::string_view written, std::string_view content) {
    add_unique(out.literals, written);
    add_unique(out.literals, content);
    const std::string token = token_of(kind, content);
    emit(kind == PartiqlLiteralKind::number ? token : "'" + token + "'");
    out.changed = true;
  };

  PartiqlLexer lexer(statement);
  for (;;) {
    const PartiqlToken token = lexer.next();
    if (token.kind == Kind::end) break;
    const std::size_t begin = static_cast<std::size_t>(token.text.data() - statement.data());
    std::size_t end = begin + token.text.size();
    separate(begin);
    switch (token.kind) {
      case Kind::string_literal:
        if (terminated(token.text) && lexer.peek().kind == Kind::punctuation && lexer.peek().text == ":") {
          emit(token.text);  // a tuple key: an attribute name
        } else {
          const std::string content = string_literal_text(token);
          replace(PartiqlLiteralKind::string, token.text, content);
        }
        break;
      case Kind::number: replace(PartiqlLiteralKind::number, token.text, token.text); break;
      case Kind::quoted_identifier:
        if (terminated(token.text)) {
          emit(token.text);
        } else {
          const std::string content = identifier_text(token);
          replace(PartiqlLiteralKind::string, token.text, content);
        }
        break;
      case Kind::punctuation:
        if (token.text == "`") {
          // An Ion literal runs to the next backquote (or the end); the lexer
          // would read its content as tokens, so it restarts after it.
          const auto close = statement.find('`', end);
          end = close == std::string_view::npos ? statement.size() : close + 1;
          const std::string_view written = statement.substr(begin, end - begin);
          const std::string_view content =
              statement.substr(begin + 1, (close == std::string_view::npos ? statement.size() : close) - begin - 1);
          replace(PartiqlLiteralKind::ion, written, content);
          note_names(content, out.literal_words);
          lexer = PartiqlLexer(statement.substr(end));
        } else {
          emit(token.text);
        }
        break;
      default: emit(token.text); break;
    }
    if (token.kind == Kind::word || (token.kind == Kind::quoted_identifier && terminated(token.text)))
      add_unique(out.name_words, identifier_text(token));
    written_up_to = end;
  }
  note_comments(statement.substr(written_up_to), out.literals);
  if (out.text != statement) out.changed = true;
  return out;
}

}  // namespace dynaudit::ddb
