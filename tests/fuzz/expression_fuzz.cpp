// libFuzzer target for DynamoDB expressions: the lexer, the path facts
// (collect_expression_paths) and the use analysis (collect_expression_uses)
// in every role. Input: the expression, then NUL-separated pairs of
// ExpressionAttributeNames ("#p\0name\0#q\0name"). Beyond crashes it checks
// that the lexer loses no byte and always ends, that every path is named,
// and that the facts (which rules see) and the uses (which the masking check
// sees) name the same paths: a path one of them missed would slip past it.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ddb/expression_lexer.hpp"
#include "ddb/expression_paths.hpp"
#include "ddb/expression_uses.hpp"
#include "fuzz_check.hpp"

namespace {

using namespace dynaudit::ddb;
using Kind = ExpressionTokenKind;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }

// Every token is a non-empty view into the input, in order, without blanks;
// together they hold every byte that is not a blank. Returns the count.
std::size_t check_lexer(std::string_view expression) {
  ExpressionLexer lexer(expression);
  std::size_t tokens = 0;
  std::size_t covered = 0;
  const char* last_end = expression.data();
  for (;;) {
    const ExpressionToken peeked = lexer.peek();
    const ExpressionToken token = lexer.next();
    FUZZ_CHECK(peeked.kind == token.kind && peeked.text.data() == token.text.data() &&
          peeked.text.size() == token.text.size());
    if (token.kind == Kind::end) break;
    FUZZ_CHECK(++tokens <= expression.size());
    FUZZ_CHECK(!token.text.empty());
    FUZZ_CHECK(token.text.data() >= last_end && token.text.data() + token.text.size() <= expression.data() + expression.size());
    for (char c : std::string_view(last_end, token.text.data() - last_end)) FUZZ_CHECK(is_space(c));
    last_end = token.text.data() + token.text.size();
    covered += token.text.size();
    for (char c : token.text) FUZZ_CHECK(!is_space(c));
    switch (token.kind) {
      case Kind::identifier: FUZZ_CHECK(is_name_start(token.text[0])); break;
      case Kind::number: FUZZ_CHECK(std::all_of(token.text.begin(), token.text.end(), is_digit)); break;
      case Kind::name_placeholder: FUZZ_CHECK(token.text[0] == '#'); break;
      case Kind::value_placeholder: FUZZ_CHECK(token.text[0] == ':'); break;
      case Kind::other: FUZZ_CHECK(token.text.size() == 1); break;
      default: FUZZ_CHECK(token.text.size() <= 2); break;
    }
  }
  FUZZ_CHECK(lexer.next().kind == Kind::end);  // and stays ended
  FUZZ_CHECK(covered == static_cast<std::size_t>(std::count_if(expression.begin(), expression.end(),
                                                          [](char c) { return !is_space(c); })));
  return tokens;
}

bool allowed(ExpressionRole role, UseKind kind) {
  switch (role) {
    case ExpressionRole::projection:
      return kind == UseKind::read || kind == UseKind::function || kind == UseKind::exists;
    case ExpressionRole::condition:
      return kind == UseKind::exists || kind == UseKind::function || kind == UseKind::equality ||
             kind == UseKind::compare;
    case ExpressionRole::key_condition:
      return kind == UseKind::exists || kind == UseKind::function || kind == UseKind::equality ||
             kind == UseKind::compare || kind == UseKind::key_equality;
    case ExpressionRole::update: return kind == UseKind::write || kind == UseKind::copy;
  }
  return false;
}

void check_role(ExpressionRole role, std::string_view expression, const ExpressionAttributeNames& names,
                std::size_t tokens) {
  const ExpressionKind kind = role == ExpressionRole::update       ? ExpressionKind::update
                              : role == ExpressionRole::projection ? ExpressionKind::projection
                                                                   : ExpressionKind::condition;
  ExpressionPaths paths;
  collect_expression_paths(kind, expression, names, paths);
  std::vector<AttributeUse> uses;
  collect_expression_uses(role, "Member", expression, names, "table", uses);

  // Bounded: at most 64 renderings of each path, one path per name token.
  FUZZ_CHECK(uses.size() <= 64 * tokens);
  std::vector<std::string> from_paths = paths.read;
  from_paths.insert(from_paths.end(), paths.written.begin(), paths.written.end());
  if (role != ExpressionRole::update) FUZZ_CHECK(paths.written.empty());
  for (const std::string& path : from_paths) FUZZ_CHECK(!path.empty());

  std::vector<std::string> from_uses;
  for (const AttributeUse& use : uses) {
    FUZZ_CHECK(!use.path.empty());
    FUZZ_CHECK(use.member == "Member" && use.table == "table" && use.start_key_value.empty());
    FUZZ_CHECK(allowed(role, use.kind));
    from_uses.push_back(use.path);
  }
  std::sort(from_paths.begin(), from_paths.end());
  std::sort(from_uses.begin(), from_uses.end());
  FUZZ_CHECK(from_paths == from_uses);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t end = input.find('\0');
  const std::string_view expression = input.substr(0, end);
  std::vector<NamePlaceholder> entries;
  if (end != std::string_view::npos) {
    std::string_view rest = input.substr(end + 1);
    while (!rest.empty()) {
      const std::size_t split = rest.find('\0');
      const std::string_view placeholder = rest.substr(0, split);
      rest = split == std::string_view::npos ? std::string_view{} : rest.substr(split + 1);
      const std::size_t name_end = rest.find('\0');
      const std::string_view name = rest.substr(0, name_end);
      rest = name_end == std::string_view::npos ? std::string_view{} : rest.substr(name_end + 1);
      entries.push_back({placeholder, name});
    }
  }
  const ExpressionAttributeNames names(entries);
  // Each placeholder keeps every definition, in document order (checked for
  // the first few; the check is quadratic).
  for (std::size_t i = 0; i < std::min<std::size_t>(entries.size(), 16); ++i) {
    const NamePlaceholder& entry = entries[i];
    std::vector<std::string_view> expected;
    for (const NamePlaceholder& e : entries)
      if (e.placeholder == entry.placeholder) expected.push_back(e.name);
    std::vector<std::string_view> found;
    for (const NamePlaceholder& e : names.lookup(entry.placeholder)) found.push_back(e.name);
    FUZZ_CHECK(found == expected);
  }

  const std::size_t tokens = check_lexer(expression);
  for (ExpressionRole role : {ExpressionRole::projection, ExpressionRole::condition, ExpressionRole::key_condition,
                              ExpressionRole::update})
    check_role(role, expression, names, tokens);
  return 0;
}
