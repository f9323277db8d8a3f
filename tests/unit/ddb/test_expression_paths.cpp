// The expression tokenizer and path extraction: placeholder resolution,
// nested paths, functions and keywords, update clauses, and garbage.
#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

#include "ddb/expression_lexer.hpp"
#include "ddb/expression_paths.hpp"

namespace ddb = dynaudit::ddb;
using ddb::ExpressionKind;
using Strings = std::vector<std::string>;

namespace {

ddb::ExpressionPaths paths_of(ExpressionKind kind, std::string_view expression,
                              std::vector<ddb::NamePlaceholder> names = {}) {
  ddb::ExpressionPaths paths;
  ddb::collect_expression_paths(kind, expression, ddb::ExpressionAttributeNames(std::move(names)), paths);
  return paths;
}

Strings read_of(ExpressionKind kind, std::string_view expression, std::vector<ddb::NamePlaceholder> names = {}) {
  return paths_of(kind, expression, std::move(names)).read;
}

std::string kinds_of(std::string_view expression) {
  using K = ddb::ExpressionTokenKind;
  std::string out;
  ddb::ExpressionLexer lexer(expression);
  for (auto token = lexer.next(); token.kind != K::end; token = lexer.next()) {
    switch (token.kind) {
      case K::identifier: out += "id"; break;
      case K::name_placeholder: out += "#"; break;
      case K::value_placeholder: out += ":"; break;
      case K::number: out += "n"; break;
      case K::dot: out += "."; break;
      case K::left_bracket: out += "["; break;
      case K::right_bracket: out += "]"; break;
      case K::left_paren: out += "("; break;
      case K::right_paren: out += ")"; break;
      case K::comma: out += ","; break;
      case K::comparator: out += "cmp"; break;
      case K::arithmetic: out += "op"; break;
      case K::other: out += "?"; break;
      case K::end: break;
    }
    out += '<' + std::string(token.text) + "> ";
  }
  return out;
}

}  // namespace

TEST_CASE("the lexer splits every token kind", "[expression][lexer]") {
  CHECK(kinds_of("a.#b[12] <> :v") == "id<a> .<.> #<#b> [<[> n<12> ]<]> cmp<<>> :<:v> ");
  CHECK(kinds_of("size(x)>=:n,y<=1") ==
        "id<size> (<(> id<x> )<)> cmp<>=> :<:n> ,<,> id<y> cmp<<=> n<1> ");
  CHECK(kinds_of("\t a = b + :c - :d\r\n") == "id<a> cmp<=> id<b> op<+> :<:c> op<-> :<:d> ");
  CHECK(kinds_of("_x1 > #_2 < @") == "id<_x1> cmp<>> #<#_2> cmp<<> ?<@> ");
  CHECK(kinds_of("") == "");
  CHECK(kinds_of("   ") == "");
  ddb::ExpressionLexer lexer("a b");
  CHECK(lexer.peek().text == "a");
  CHECK(lexer.peek().text == "a");  // peek does not consume
  CHECK(lexer.next().text == "a");
  CHECK(lexer.next().text == "b");
  CHECK(lexer.next().kind == ddb::ExpressionTokenKind::end);
  CHECK(lexer.next().kind == ddb::ExpressionTokenKind::end);
}

TEST_CASE("projection expressions: paths, nesting, placeholders", "[expression]") {
  CHECK(read_of(ExpressionKind::projection, "id, title") == Strings{"id", "title"});
  CHECK(read_of(ExpressionKind::projection, "#n, info.rating, tags[0], a.b[1][2].c",
                {{"#n", "name"}}) == Strings{"name", "info.rating", "tags[0]", "a.b[1][2].c"});
  CHECK(read_of(ExpressionKind::projection, "#a.#b[3].#c", {{"#a", "x"}, {"#b", "y"}, {"#c", "z"}}) ==
        Strings{"x.y[3].z"});
  // Resolved names are used verbatim, dots and all.
  CHECK(read_of(ExpressionKind::projection, "#dotted", {{"#dotted", "a.b"}}) == Strings{"a.b"});
  // An undefined placeholder is kept as written.
  CHECK(read_of(ExpressionKind::projection, "#missing, #ok", {{"#ok", "fine"}}) == Strings{"#missing", "fine"});
  CHECK(read_of(ExpressionKind::projection, " a . b [ 1 ] ") == Strings{"a.b[1]"});
  // A placeholder for the empty name names nothing (found by the fuzzer).
  CHECK(read_of(ExpressionKind::projection, "#e, b", {{"#e", ""}}) == Strings{"b"});
}

TEST_CASE("condition expressions: functions, keywords and values are not attributes", "[expression]") {
  CHECK(read_of(ExpressionKind::condition, "attribute_exists(id) AND NOT attribute_not_exists(#s)",
                {{"#s", "status"}}) == Strings{"id", "status"});
  CHECK(read_of(ExpressionKind::condition, "begins_with(sk, :prefix) or contains(tags, :t)") ==
        Strings{"sk", "tags"});
  CHECK(read_of(ExpressionKind::condition, "size(info.reviews) > :n and price BETWEEN :lo AND :hi") ==
        Strings{"info.reviews", "price"});
  CHECK(read_of(ExpressionKind::condition, "color IN (:red, :green) And attribute_type(a.b, :S)") ==
        Strings{"color", "a.b"});
  CHECK(read_of(ExpressionKind::condition, "pk = :pk AND sk >= :from") == Strings{"pk", "sk"});
  CHECK(read_of(ExpressionKind::condition, ":a = :b").empty());
  CHECK(read_of(ExpressionKind::condition, "a <> b").size() == 2);
}

TEST_CASE("update expressions: action targets are written, operands read", "[expression]") {
  const auto paths = paths_of(ExpressionKind::update,
                              "SET #c = #c + :one, info.tags = list_append(if_not_exists(info.tags, :empty), :t), "
                              "copy = ssn REMOVE obsolete, #old[2] ADD visits :n DELETE colors :red",
                              {{"#c", "count"}, {"#old", "history"}});
  CHECK(paths.written == Strings{"count", "info.tags", "copy", "obsolete", "history[2]", "visits", "colors"});
  CHECK(paths.read == Strings{"count", "info.tags", "ssn"});

  // Clause keywords are case-insensitive and may come in any order.
  const auto reordered = paths_of(ExpressionKind::update, "remove a, b set c = :v");
  CHECK(reordered.written == Strings{"a", "b", "c"});
  CHECK(reordered.read.empty());

  // A comma inside a function call does not start a new action.
  const auto nested = paths_of(ExpressionKind::update, "SET a = if_not_exists(b, c), d = :v");
  CHECK(nested.written == Strings{"a", "d"});
  CHECK(nested.read == Strings{"b", "c"});
}

TEST_CASE("a placeholder defined twice yields both names", "[expression]") {
  CHECK(read_of(ExpressionKind::projection, "#n", {{"#n", "public"}, {"#n", "ssn"}}) == Strings{"public", "ssn"});
  CHECK(read_of(ExpressionKind::projection, "#a.#b", {{"#a", "x"}, {"#b", "p"}, {"#a", "y"}, {"#b", "q"}}) ==
        Strings{"x.p", "x.q", "y.p", "y.q"});
  // The product is bounded.
  std::vector<ddb::NamePlaceholder> many;
  for (int i = 0; i < 100; ++i) many.push_back({"#n", "name"});
  CHECK(read_of(ExpressionKind::projection, "#n.#n.#n", many).size() == 64);
}

TEST_CASE("garbage never crashes and still yields recognisable paths", "[expression][robustness]") {
  CHECK(read_of(ExpressionKind::condition, "((((a").size() == 1);
  CHECK(read_of(ExpressionKind::condition, "a.") == Strings{"a"});
  CHECK(read_of(ExpressionKind::condition, "a[") == Strings{"a"});
  CHECK(read_of(ExpressionKind::condition, "a[1") == Strings{"a[1]"});
  CHECK(read_of(ExpressionKind::condition, "a[x]") == Strings{"a", "x"});
  CHECK(read_of(ExpressionKind::condition, "#").size() == 1);
  CHECK(read_of(ExpressionKind::condition, "é = ü OR b") == Strings{"b"});
  CHECK(paths_of(ExpressionKind::update, "SET").written.empty());
  CHECK(paths_of(ExpressionKind::update, ",,,SET ,, a").written == Strings{"a"});
  CHECK(paths_of(ExpressionKind::update, ")))) SET a = b").written == Strings{"a"});
  CHECK(paths_of(ExpressionKind::update, std::string(10000, '(') + "SET a").written == Strings{"a"});
  CHECK(paths_of(ExpressionKind::update, "SET a = f(b REMOVE c").written == Strings{"a", "c"});

  std::mt19937 random(12345);
  const std::string alphabet = "ab#:.[]()0, =<>+-SETANDOR\x00\xff";
  for (int round = 0; round < 2000; ++round) {
    std::string expression;
    const int length = static_cast<int>(random() % 64);
    for (int i = 0; i < length; ++i) expression += alphabet[random() % alphabet.size()];
    for (ExpressionKind kind : {ExpressionKind::projection, ExpressionKind::condition, ExpressionKind::update}) {
      const auto paths = paths_of(kind, expression, {{"#a", "x"}});
      for (const auto& path : paths.read) CHECK_FALSE(path.empty());
      for (const auto& path : paths.written) CHECK_FALSE(path.empty());
    }
  }
}
