// libFuzzer target for PartiQL statements: the lexer and
// scan_partiql_statement (tables, attributes read and written, uses). Input:
// the statement. Beyond crashes it checks that the lexer skips only blanks
// and comments and always ends, that tables and paths are named, and that
// the facts (which rules see) and the uses (which the masking check sees)
// name the same paths: a path one of them missed would slip past it.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ddb/partiql_lexer.hpp"
#include "ddb/partiql_statement.hpp"
#include "fuzz_check.hpp"

namespace {

using namespace dynaudit::ddb;
using Kind = PartiqlTokenKind;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }
bool is_word_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }

// A gap between two tokens holds only blanks and comments; a comment may run
// unterminated only to the end of the statement.
bool only_blanks_and_comments(std::string_view gap, bool at_end) {
  while (!gap.empty()) {
    if (is_space(gap[0])) {
      gap.remove_prefix(1);
    } else if (gap.starts_with("--")) {
      const auto newline = gap.find('\n');
      if (newline == std::string_view::npos) return at_end;
      gap.remove_prefix(newline + 1);
    } else if (gap.starts_with("/*")) {
      const auto close = gap.find("*/", 2);
      if (close == std::string_view::npos) return at_end;
      gap.remove_prefix(close + 2);
    } else {
      return false;
    }
  }
  return true;
}

void check_lexer(std::string_view statement) {
  PartiqlLexer lexer(statement);
  std::size_t tokens = 0;
  const char* last_end = statement.data();
  const char* const stop = statement.data() + statement.size();
  for (;;) {
    const PartiqlToken peeked = lexer.peek();
    const PartiqlToken token = lexer.next();
    FUZZ_CHECK(peeked.kind == token.kind && peeked.text.data() == token.text.data() &&
          peeked.text.size() == token.text.size());
    if (token.kind == Kind::end) {
      FUZZ_CHECK(only_blanks_and_comments(std::string_view(last_end, stop - last_end), true));
      break;
    }
    FUZZ_CHECK(++tokens <= statement.size());
    FUZZ_CHECK(!token.text.empty() && token.text.data() >= last_end && token.text.data() + token.text.size() <= stop);
    FUZZ_CHECK(only_blanks_and_comments(std::string_view(last_end, token.text.data() - last_end), false));
    last_end = token.text.data() + token.text.size();
    switch (token.kind) {
      case Kind::word: FUZZ_CHECK(is_word_start(token.text[0])); break;
      case Kind::quoted_identifier: FUZZ_CHECK(token.text[0] == '"'); break;
      case Kind::string_literal: FUZZ_CHECK(token.text[0] == '\''); break;
      case Kind::number: FUZZ_CHECK(token.text[0] >= '0' && token.text[0] <= '9'); break;
      case Kind::parameter: FUZZ_CHECK(token.text == "?"); break;
      default: FUZZ_CHECK(token.text.size() == 1); break;
    }
    FUZZ_CHECK(identifier_text(token).size() <= token.text.size());
    if (token.kind == Kind::string_literal) FUZZ_CHECK(string_literal_text(token).size() <= token.text.size());
  }
  FUZZ_CHECK(lexer.next().kind == Kind::end);  // and stays ended
}

std::vector<std::string> sorted(std::vector<std::string> list) {
  std::sort(list.begin(), list.end());
  return list;
}

bool contains(const std::vector<std::string>& sorted_list, const std::string& value) {
  return std::binary_search(sorted_list.begin(), sorted_list.end(), value);
}

void check_scan(std::string_view statement) {
  const PartiqlFacts facts = scan_partiql_statement(statement);
  for (const PartiqlTableRef& ref : facts.tables) {
    FUZZ_CHECK(!ref.table.empty());
    if (ref.index) FUZZ_CHECK(!ref.index->empty());
  }
  for (const std::string& path : facts.attributes_read) FUZZ_CHECK(!path.empty());
  for (const std::string& path : facts.attributes_written) FUZZ_CHECK(!path.empty());

  const std::vector<std::string> read = sorted(facts.attributes_read);
  const std::vector<std::string> written = sorted(facts.attributes_written);
  std::vector<std::string> use_paths;
  for (const AttributeUse& use : facts.uses) {
    FUZZ_CHECK(!use.path.empty());
    FUZZ_CHECK(use.member.starts_with("PartiQL "));
    FUZZ_CHECK(use.kind != UseKind::key_equality && use.kind != UseKind::start_key);
    FUZZ_CHECK(use.table.empty() || (!facts.tables.empty() && use.table == facts.tables.front().table));
    use_paths.push_back(use.path);
    // A path used but not in the facts is only a value of INSERT's tuple.
    if (use.member != "PartiQL VALUE")
      FUZZ_CHECK(contains(read, use.path) || contains(written, use.path));
  }
  use_paths = sorted(std::move(use_paths));
  for (const std::string& path : facts.attributes_read) FUZZ_CHECK(contains(use_paths, path));
  for (const std::string& path : facts.attributes_written) FUZZ_CHECK(contains(use_paths, path));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view statement(reinterpret_cast<const char*>(data), size);
  check_lexer(statement);
  check_scan(statement);
  return 0;
}
