// The audit log's sanitizers: expressions keep only names and placeholders,
// PartiQL literals become tokens, error messages lose the request's values.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "ddb/expression_sanitizer.hpp"
#include "ddb/partiql_sanitizer.hpp"
#include "ddb/request_values.hpp"
#include "ddb/value_scrubber.hpp"

namespace ddb = dynaudit::ddb;

namespace {

bool contains(const std::vector<std::string>& list, std::string_view text) {
  for (const auto& item : list)
    if (item == text) return true;
  return false;
}

std::string tokens(ddb::PartiqlLiteralKind kind, std::string_view content) {
  return (kind == ddb::PartiqlLiteralKind::number ? "N<" : "S<") + std::string(content) + ">";
}

std::string mark(std::string_view) { return "<x>"; }

}  // namespace

TEST_CASE("a well-formed expression is kept as written", "[sanitize][expression]") {
  for (const char* expression :
       {"attribute_exists(#n) AND begins_with(a.b[3].c, :p)", "SET #a = list_append(if_not_exists(l, :e), :v) REMOVE x[12]",
        "a, b.c, #d[0]", "size(a) <= :n OR NOT (b <> :m)", "ADD n :one DELETE s :set", "k = :k AND s BETWEEN :a AND :b",
        "  spaced   =   :v  ", ""}) {
    INFO(expression);
    const auto sanitized = ddb::sanitize_expression(expression);
    CHECK(sanitized.text == expression);
    CHECK_FALSE(sanitized.changed);
    CHECK(sanitized.literals.empty());
  }
}

TEST_CASE("literals in a malformed expression are replaced", "[sanitize][expression]") {
  SECTION("quoted strings, whatever the quote, run to the closing quote") {
    const auto s = ddb::sanitize_expression("card = '4111 1111' AND x = :v");
    CHECK(s.text == "card = **** AND x = :v");
    CHECK(s.changed);
    CHECK(contains(s.literals, "'4111 1111'"));
    CHECK(contains(s.literals, "4111 1111"));
    CHECK(contains(s.literals, "4111"));
    CHECK(ddb::sanitize_expression("a = \"sec ret\"").text == "a = ****");
    CHECK(ddb::sanitize_expression("a = `sec ret` OR b = :b").text == "a = **** OR b = :b");
  }
  SECTION("an unterminated quote runs to the end") {
    const auto s = ddb::sanitize_expression("a = :v OR b = 'PLANT-secret tail AND c = :c");
    CHECK(s.text == "a = :v OR b = ****");
    CHECK(contains(s.literals, "PLANT"));
    CHECK(contains(s.literals, "secret"));
    CHECK(contains(s.literal_words, "tail"));
    CHECK(contains(s.name_words, "a"));
    CHECK_FALSE(contains(s.name_words, "tail"));
  }
  SECTION("a quote marks its whole run, names glued to it included") {
    CHECK(ddb::sanitize_expression("x=:v AND b='v'").text == "x=:v AND ****");
    CHECK(ddb::sanitize_expression("begins_with(a,'pre') AND c = :c").text == "**** AND c = :c");
  }
  SECTION("bytes the grammar lacks mark their run") {
    const auto s = ddb::sanitize_expression("email = john.doe@example.com AND x = :x");
    CHECK(s.text == "email = **** AND x = :x");
    CHECK(contains(s.literals, "john.doe@example.com"));
    CHECK(contains(s.literal_words, "john"));
    CHECK(ddb::sanitize_expression("a = :v; DROP").text == "a = **** DROP");
  }
  SECTION("numbers are kept only as short list indexes") {
    CHECK(ddb::sanitize_expression("a[0] = :v AND b[123456] = :w").text == "a[0] = :v AND b[123456] = :w");
    CHECK(ddb::sanitize_expression("a = 4111111111111111").text == "a = ****");
    CHECK(ddb::sanitize_expression("a[4111111111111111] = :v").text == "a[****] = :v");
    CHECK(ddb::sanitize_expression("a=5").text == "a=****");
    CHECK(ddb::sanitize_expression("a = 12abc OR b = :b").text == "a = **** OR b = :b");
    CHECK(ddb::sanitize_expression("SET n = n + 1").text == "SET n = n + ****");
  }
  SECTION("separate literals stay separate") {
    const auto s = ddb::sanitize_expression("a = 'x1' OR b = 'y2'");
    CHECK(s.text == "a = **** OR b = ****");
  }
}

TEST_CASE("sanitize_expression survives hostile input", "[sanitize][expression]") {
  std::string many;
  for (int i = 0; i < 20000; ++i) many += "a@b ";
  const auto s = ddb::sanitize_expression(many);
  CHECK(s.text.find('@') == std::string::npos);
  std::string quotes(5000, '\'');
  CHECK(ddb::sanitize_expression(quotes).text == "****");
  CHECK(ddb::sanitize_expression(std::string("\0\xff\x80", 3)).text == "****");
}

TEST_CASE("PartiQL literals become tokens; names, parameters and structure stay", "[sanitize][partiql]") {
  SECTION("strings and numbers") {
    const auto s = ddb::sanitize_partiql_statement(
        "SELECT a, \"b\" FROM \"Orders\".\"ByDate\" WHERE id = 'k-1' AND n > 12.5 AND m = ?", tokens);
    CHECK(s.text == "SELECT a, \"b\" FROM \"Orders\".\"ByDate\" WHERE id = 'S<k-1>' AND n > N<12.5> AND m = ?");
    CHECK(s.changed);
    CHECK(contains(s.literals, "'k-1'"));
    CHECK(contains(s.literals, "k-1"));
    CHECK(contains(s.literals, "12.5"));
  }
  SECTION("escaped quotes are decoded before hashing") {
    const auto s = ddb::sanitize_partiql_statement("UPDATE t SET a = 'it''s' WHERE k = 'x'", tokens);
    CHECK(s.text == "UPDATE t SET a = 'S<it's>' WHERE k = 'S<x>'");
    CHECK(contains(s.literals, "it's"));
  }
  SECTION("tuple keys are attribute names; their values are not") {
    const auto s = ddb::sanitize_partiql_statement("INSERT INTO t VALUE {'id': 'secret', 'n': 42}", tokens);
    CHECK(s.text == "INSERT INTO t VALUE {'id': 'S<secret>', 'n': N<42>}");
  }
  SECTION("comments are dropped, an unterminated literal or identifier is a literal") {
    CHECK(ddb::sanitize_partiql_statement("SELECT * FROM t -- secret note\nWHERE a = 'x", tokens).text ==
          "SELECT * FROM t WHERE a = 'S<x>'");
    const auto s = ddb::sanitize_partiql_statement("SELECT * FROM t/* note 4111 */WHERE a = \"4111 --tail", tokens);
    CHECK(s.text == "SELECT * FROM t WHERE a = 'S<4111 --tail>'");
    CHECK(contains(s.literals, "/* note 4111 */"));
    CHECK(contains(s.literals, "note 4111"));
    const auto trailing = ddb::sanitize_partiql_statement("SELECT * FROM t -- secret note", tokens);
    CHECK(trailing.text == "SELECT * FROM t");
    CHECK(contains(trailing.literals, "secret note"));
  }
  SECTION("Ion literals in backquotes are one literal") {
    const auto s = ddb::sanitize_partiql_statement("SELECT * FROM t WHERE a = `{b: \"secret\"}` AND c = 1", tokens);
    CHECK(s.text == "SELECT * FROM t WHERE a = 'S<{b: \"secret\"}>' AND c = N<1>");
    CHECK(contains(s.literals, "{b: \"secret\"}"));
    CHECK(contains(s.literal_words, "secret"));  // the lexer reads "secret" as a name
    CHECK(contains(s.name_words, "a"));
    CHECK_FALSE(contains(s.name_words, "secret"));
  }
  SECTION("a statement without literals is kept") {
    const auto s = ddb::sanitize_partiql_statement("SELECT * FROM \"t\" WHERE \"k\" = ?", tokens);
    CHECK(s.text == "SELECT * FROM \"t\" WHERE \"k\" = ?");
    CHECK_FALSE(s.changed);
  }
}

TEST_CASE("scrub_values: long values anywhere, short ones as whole tokens, one-byte ones never", "[scrub]") {
  SECTION("long values wherever they appear") {
    const auto r = ddb::scrub_values("Invalid value PLANT-abc123x near \"= PLANT-abc123x\"", {"PLANT-abc123x"}, mark);
    CHECK(r.text == "Invalid value <x> near \"= <x>\"");
    CHECK(r.replaced == 2);
    CHECK(ddb::scrub_values("x4111111111111111y", {"4111111111111111"}, mark).text == "x<x>y");
  }
  SECTION("short values only as tokens") {
    CHECK(ddb::scrub_values("1 validation error: value 42 at 'a' (421)", {"42"}, mark).text ==
          "1 validation error: value <x> at 'a' (421)");
    CHECK(ddb::scrub_values("cvv 123, x123", {"123"}, mark).text == "cvv <x>, x123");
  }
  SECTION("one-byte values are not looked for") {
    CHECK(ddb::scrub_values("1 validation error", {"1"}, mark).text == "1 validation error");
  }
  SECTION("overlapping values are one run, replaced once") {
    const auto r = ddb::scrub_values("see abcdefgh here", {"abcdef", "defgh"}, mark);
    CHECK(r.text == "see <x> here");
    CHECK(r.replaced == 1);
  }
  SECTION("the token sees the text it replaces; inserted text is not scanned again") {
    const auto upper = [](std::string_view v) { return "[" + std::string(v) + "-" + std::to_string(v.size()) + "]"; };
    CHECK(ddb::scrub_values("a secret b", {"secret", "cret-6"}, upper).text == "a [secret-6] b");
  }
  SECTION("nothing to do") {
    CHECK(ddb::scrub_values("", {"abcd"}, mark).text.empty());
    CHECK(ddb::scrub_values("message", {}, mark).text == "message");
  }
}

TEST_CASE("request_values: every scalar of every value member, and the literals", "[scrub][values]") {
  SECTION("items, legacy members, placeholders, expressions") {
    const auto values = ddb::request_values(R"({"TableName":"tablename","Key":{"id":{"S":"key-1"}},
      "AttributeUpdates":{"a":{"Value":{"M":{"x":{"L":[{"S":"deep-value"},{"N":"007.50"}]}}},"Action":"PUT"}},
      "Expected":{"b":{"AttributeValueList":[{"SS":["set-1","set-2"]}],"ComparisonOperator":"IN"}},
      "UpdateExpression":"SET x = 'expr-literal'","ExpressionAttributeValues":{":v":{"B":"cGxhbnRlZA=="}}})");
    for (const char* expected : {"key-1", "deep-value", "007.50", "7.5", "set-1", "set-2", "expr-literal",
                                 "'expr-literal'", "cGxhbnRlZA==", "planted"}) {
      INFO(expected);
      CHECK(contains(values, expected));
    }
    // Names and enums are not values worth scrubbing; table names are not values.
    CHECK_FALSE(contains(values, "tablename"));
    CHECK_FALSE(contains(values, "id"));
    CHECK_FALSE(contains(values, "PUT"));
    CHECK_FALSE(contains(values, "IN"));
  }
  SECTION("PartiQL literals and parameters") {
    const auto values = ddb::request_values(R"({"Statements":[{"Statement":"SELECT * FROM t WHERE a = 'lit-1' AND b = 98765","Parameters":[{"S":"param-1"}]}]})");
    CHECK(contains(values, "lit-1"));
    CHECK(contains(values, "98765"));
    CHECK(contains(values, "param-1"));
  }
  SECTION("longest first, no duplicates") {
    const auto values = ddb::request_values(R"({"Item":{"a":{"S":"abc"},"b":{"S":"abcdef"},"c":{"S":"abc"}}})");
    CHECK(values == std::vector<std::string>{"abcdef", "abc"});
  }
  SECTION("request_values_in keeps only what the text holds, in either form") {
    const std::string body = R"({"Item":{"a":{"S":"inside"},"b":{"S":"outside"},"c":{"S":"q\"uote"},"d":{"S":"ab"}}})";
    CHECK(ddb::request_values_in(body, "it is inside, q\\\"uote and ab") ==
          std::vector<std::string>{"q\\\"uote", "inside", "ab"});
    CHECK(ddb::request_values_in(body, "q\"uote") == std::vector<std::string>{"q\"uote"});
    CHECK(ddb::request_values_in(body, "").empty());
  }
  SECTION("a body that does not parse gives its strings") {
    const auto values = ddb::request_values(R"({"Item":{"a":{"S":"broken-value"}})");
    CHECK(contains(values, "broken-value"));
  }
}
