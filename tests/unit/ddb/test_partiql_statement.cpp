// PartiQL statements: tables and indexes, attributes read and written, and
// the lexer's handling of quotes and comments.
#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

#include "ddb/partiql_lexer.hpp"
#include "ddb/partiql_statement.hpp"

namespace ddb = dynaudit::ddb;
using Strings = std::vector<std::string>;

namespace {

Strings tables_of(const ddb::PartiqlFacts& facts) {
  Strings tables;
  for (const auto& ref : facts.tables) tables.push_back(ref.table + (ref.index ? "." + *ref.index : ""));
  return tables;
}

}  // namespace

TEST_CASE("the PartiQL lexer keeps literals, identifiers and comments apart", "[partiql][lexer]") {
  using K = ddb::PartiqlTokenKind;
  ddb::PartiqlLexer lexer(R"(SELECT "a""b", 'it''s' -- FROM "x"
  /* FROM "y" */ ? 1.5e3)");
  auto token = lexer.next();
  CHECK((token.kind == K::word && token.text == "SELECT"));
  token = lexer.next();
  CHECK(token.kind == K::quoted_identifier);
  CHECK(ddb::identifier_text(token) == "a\"b");
  CHECK(lexer.next().text == ",");
  token = lexer.next();
  CHECK(token.kind == K::string_literal);
  CHECK(ddb::string_literal_text(token) == "it's");
  CHECK(lexer.next().kind == K::parameter);
  token = lexer.next();
  CHECK((token.kind == K::number && token.text == "1.5e3"));
  CHECK(lexer.next().kind == K::end);

  // Unterminated quotes and comments run to the end.
  ddb::PartiqlLexer open_quote(R"("Orders)");
  token = open_quote.next();
  CHECK(ddb::identifier_text(token) == "Orders");
  CHECK(open_quote.next().kind == K::end);
  ddb::PartiqlLexer open_comment("a /* b");
  CHECK(open_comment.next().text == "a");
  CHECK(open_comment.next().kind == K::end);
}

TEST_CASE("SELECT: table, index, projected and filtered attributes", "[partiql]") {
  auto facts = ddb::scan_partiql_statement(
      R"(SELECT id, "info".rating, tags[0], m['k'] FROM "Orders"."ByDate" WHERE pk = ? AND begins_with(sk, 'x') ORDER BY sk DESC)");
  CHECK(tables_of(facts) == Strings{"Orders.ByDate"});
  CHECK(facts.attributes_read == Strings{"id", "info.rating", "tags[0]", "m.k", "pk", "sk", "sk"});
  CHECK(facts.attributes_written.empty());

  facts = ddb::scan_partiql_statement("select * from Music where Artist='No One You Know'");
  CHECK(tables_of(facts) == Strings{"Music"});
  CHECK(facts.attributes_read == Strings{"Artist"});

  // A keyword inside a string literal or a quoted identifier is not a keyword.
  facts = ddb::scan_partiql_statement(R"(SELECT "from" FROM "t" WHERE note = 'FROM secret')");
  CHECK(tables_of(facts) == Strings{"t"});
  CHECK(facts.attributes_read == Strings{"from", "note"});

  // Tables may be named by ARN.
  facts = ddb::scan_partiql_statement(R"(SELECT * FROM "arn:aws:dynamodb:us-east-1:123456789012:table/Orders")");
  CHECK(tables_of(facts) == Strings{"Orders"});
}

TEST_CASE("INSERT, UPDATE, DELETE and EXISTS", "[partiql]") {
  auto facts = ddb::scan_partiql_statement(R"(INSERT INTO "Orders" VALUE {'pk': ?, 'total': 12, 'meta': {'nested': 1}})");
  CHECK(tables_of(facts) == Strings{"Orders"});
  CHECK(facts.attributes_written == Strings{"pk", "total", "meta"});
  CHECK(facts.attributes_read.empty());

  facts = ddb::scan_partiql_statement(
      R"(UPDATE "Orders" SET total = total + 1, "status" = 'paid' SET tags = list_append(tags, ['a']) REMOVE old.x WHERE pk = ? RETURNING ALL NEW *)");
  CHECK(tables_of(facts) == Strings{"Orders"});
  CHECK(facts.attributes_written == Strings{"total", "status", "tags", "old.x"});
  CHECK(facts.attributes_read == Strings{"total", "tags", "pk"});

  facts = ddb::scan_partiql_statement(R"(DELETE FROM Orders WHERE pk = ? AND attribute_exists(sk))");
  CHECK(tables_of(facts) == Strings{"Orders"});
  CHECK(facts.attributes_read == Strings{"pk", "sk"});
  CHECK(facts.attributes_written.empty());

  facts = ddb::scan_partiql_statement(R"(EXISTS(SELECT * FROM "Accounts" WHERE id = ? AND balance >= 10))");
  CHECK(tables_of(facts) == Strings{"Accounts"});
  CHECK(facts.attributes_read == Strings{"id", "balance"});
}

TEST_CASE("a comment cannot hide a table", "[partiql]") {
  const auto facts = ddb::scan_partiql_statement("SELECT * FROM \"a\" -- it's\nUNION SELECT * FROM \"b\"");
  CHECK(tables_of(facts) == Strings{"a", "b"});
}

TEST_CASE("PartiQL garbage never crashes", "[partiql][robustness]") {
  CHECK(ddb::scan_partiql_statement("").tables.empty());
  CHECK(ddb::scan_partiql_statement("FROM").tables.empty());
  CHECK(ddb::scan_partiql_statement("SELECT * FROM").tables.empty());
  CHECK(tables_of(ddb::scan_partiql_statement("FROM t.")) == Strings{"t"});
  CHECK(ddb::scan_partiql_statement("UPDATE").tables.empty());
  CHECK(ddb::scan_partiql_statement("x['").attributes_read == Strings{"x."});
  // Empty quoted names name nothing (found by the fuzzer).
  auto empty = ddb::scan_partiql_statement(R"(SELECT "" FROM "" WHERE ")");
  CHECK(empty.tables.empty());
  CHECK(empty.attributes_read.empty());
  empty = ddb::scan_partiql_statement(R"(INSERT INTO "t"."" VALUE {'': 1})");
  CHECK(tables_of(empty) == Strings{"t"});
  CHECK(empty.attributes_written.empty());

  std::mt19937 random(777);
  const std::string alphabet = "ab\"'.[]{}(),:*=?- /\nFROMSETUPDATEINTO";
  for (int round = 0; round < 3000; ++round) {
    std::string statement;
    const int length = static_cast<int>(random() % 80);
    for (int i = 0; i < length; ++i) statement += alphabet[random() % alphabet.size()];
    const auto facts = ddb::scan_partiql_statement(statement);
    for (const auto& ref : facts.tables) CHECK_FALSE(ref.table.empty());
  }
}
