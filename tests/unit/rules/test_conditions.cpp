// Every condition kind, holding and not holding.
#include "rules_test_util.hpp"

using namespace rules_test;

TEST_CASE("operation", "[rules][conditions]") {
  Call get("GetItem"), scan("Scan"), records("GetRecords");
  CHECK(matches("      operation: GetItem\n", get));
  CHECK_FALSE(matches("      operation: GetItem\n", scan));
  CHECK(matches("      operation: [Query, Scan]\n", scan));
  CHECK(matches("      operation: GetRecords\n", records));
  Call unknown("Frobnicate");
  CHECK_FALSE(matches("      operation: GetItem\n", unknown));
}

TEST_CASE("operation_class including scan-like", "[rules][conditions]") {
  Call get("GetItem"), put("PutItem"), create("CreateTable"), scan("Scan"), query("Query"),
      exp("ExportTableToPointInTime"), records("GetRecords"), stmt("ExecuteStatement"), batch("BatchExecuteStatement");
  CHECK(matches("      operation_class: read\n", get));
  CHECK_FALSE(matches("      operation_class: read\n", put));
  CHECK(matches("      operation_class: write\n", put));
  CHECK(matches("      operation_class: admin\n", create));
  CHECK(matches("      operation_class: [write, admin]\n", create));
  const std::string sl = "      operation_class: scan-like\n";
  CHECK(matches(sl, scan));
  CHECK(matches(sl, query));
  CHECK(matches(sl, exp));
  CHECK(matches(sl, records));
  CHECK_FALSE(matches(sl, get));
  CHECK_FALSE(matches(sl, stmt));  // no statement
  stmt.facts.partiql_statements = {"  select * FROM t"};
  CHECK(matches(sl, stmt));
  stmt.facts.partiql_statements = {"UPDATE t SET a=1"};
  CHECK_FALSE(matches(sl, stmt));
  batch.facts.partiql_statements = {"SELECT a FROM t WHERE pk='x'"};
  CHECK(matches(sl, batch));
}

TEST_CASE("table: any table of the call against any glob", "[rules][conditions]") {
  Call c("BatchGetItem", {"orders", "cardholder-eu"});
  CHECK(matches("      table: \"cardholder-*\"\n", c));
  CHECK(matches("      table: [nope, \"ord?rs\"]\n", c));
  CHECK_FALSE(matches("      table: \"Cardholder-*\"\n", c));  // case-sensitive
  CHECK_FALSE(matches("      table: \"cardholder-[!e]*\"\n", c));
  Call none("ListTables", {});
  CHECK_FALSE(matches("      table: \"*\"\n", none));
}

TEST_CASE("principal, group, authenticated, tls", "[rules][conditions]") {
  Call c;
  c.principal = "svc-billing";
  c.groups = {"ops", "pci-admins"};
  CHECK(matches("      principal: \"svc-*\"\n", c));
  CHECK_FALSE(matches("      principal: \"user-*\"\n", c));
  CHECK(matches("      group: pci-admins\n", c));
  CHECK(matches("      group: [x, ops]\n", c));
  CHECK_FALSE(matches("      group: pci\n", c));
  CHECK(matches("      not: {group: pci-batch}\n", c));
  c.ctx.verified = true;
  CHECK(matches("      authenticated: true\n", c));
  CHECK_FALSE(matches("      authenticated: false\n", c));
  CHECK(matches("      tls: false\n", c));
  c.ctx.tls = true;
  CHECK(matches("      tls: true\n", c));
  CHECK_FALSE(matches("      tls: false\n", c));
}

TEST_CASE("source_ip: v4, v6, host bits, v4-mapped", "[rules][conditions]") {
  Call c;
  c.ctx.source = parse_source_address("10.1.2.3");
  CHECK(matches("      source_ip: 10.0.0.0/8\n", c));
  CHECK(matches("      source_ip: 10.1.2.3\n", c));
  CHECK(matches("      source_ip: 10.1.2.99/24\n", c));  // host bits masked
  CHECK_FALSE(matches("      source_ip: 10.1.2.4\n", c));
  CHECK_FALSE(matches("      source_ip: 192.168.0.0/16\n", c));
  CHECK(matches("      source_ip: \"::ffff:10.0.0.0/104\"\n", c));
  CHECK(matches("      source_ip: 0.0.0.0/0\n", c));
  c.ctx.source = parse_source_address("::ffff:10.1.2.3");
  CHECK(matches("      source_ip: 10.0.0.0/8\n", c));
  c.ctx.source = parse_source_address("fd12:3456::1");
  CHECK(matches("      source_ip: \"fd00::/8\"\n", c));
  CHECK_FALSE(matches("      source_ip: \"::1/128\"\n", c));
  CHECK_FALSE(matches("      source_ip: 10.0.0.0/8\n", c));
  c.ctx.source = parse_source_address("::1");
  CHECK(matches("      source_ip: \"::1/128\"\n", c));
  c.ctx.source = parse_source_address("not an address");
  CHECK_FALSE(c.ctx.source.valid);
  CHECK_FALSE(matches("      source_ip: 0.0.0.0/0\n", c));
}

TEST_CASE("attributes: nested both ways, [*], reads_all_attributes", "[rules][conditions]") {
  Call c("UpdateItem");
  c.facts.attributes_read = {"card.number", "items[2].sku"};
  c.facts.attributes_written = {"profile"};
  CHECK(matches("      attributes_read: card\n", c));            // card.number is under card
  CHECK(matches("      attributes_read: card.number\n", c));
  CHECK_FALSE(matches("      attributes_read: card.cvv\n", c));
  CHECK(matches("      attributes_read: \"items[*].sku\"\n", c));
  CHECK(matches("      attributes_read: \"items[2]\"\n", c));
  CHECK_FALSE(matches("      attributes_read: \"items[3].sku\"\n", c));
  CHECK_FALSE(matches("      attributes_read: \"items.sku\"\n", c));
  CHECK(matches("      attributes_written: profile.email\n", c));  // writing profile writes profile.email
  CHECK_FALSE(matches("      attributes_written: card\n", c));
  CHECK(matches("      attributes: [nope, profile]\n", c));
  CHECK(matches("      attributes: card\n", c));
  CHECK_FALSE(matches("      attributes: nope\n", c));
  CHECK_FALSE(matches("      attributes_read: profile\n", c));
  c.facts.attributes_read = {"cards[*].number"};
  CHECK(matches("      attributes_read: \"cards[0].number\"\n", c));
  CHECK_FALSE(matches("      attributes_read: \"cards[0].cvv\"\n", c));
  c.facts.reads_all_attributes = true;
  CHECK(matches("      attributes_read: ssn\n", c));
  CHECK(matches("      attributes: ssn\n", c));
  CHECK_FALSE(matches("      attributes_written: ssn\n", c));
}

TEST_CASE("key equals and prefix, optionally per table", "[rules][conditions]") {
  Call c("BatchGetItem", {"orders", "users"});
  c.facts.keys = {{"orders", "pk", "S", "tenant#42"}, {"users", "id", "N", "7"}};
  CHECK(matches("      key: {attribute: pk, equals: \"tenant#42\"}\n", c));
  CHECK(matches("      key: {attribute: id, equals: [1, 7]}\n", c));
  CHECK_FALSE(matches("      key: {attribute: id, equals: 8}\n", c));
  CHECK(matches("      key: {attribute: pk, prefix: \"tenant#\"}\n", c));
  CHECK_FALSE(matches("      key: {attribute: pk, prefix: \"tenant#5\"}\n", c));
  CHECK_FALSE(matches("      key: {attribute: sk, prefix: \"\"}\n", c));
  CHECK(matches("      key: {attribute: id, equals: 7, table: \"us*\"}\n", c));
  CHECK_FALSE(matches("      key: {attribute: id, equals: 7, table: orders}\n", c));
}

TEST_CASE("item_count and request_bytes comparisons", "[rules][conditions]") {
  Call c("BatchWriteItem");
  c.facts.item_count = 25;
  c.facts.body_bytes = 4096;
  CHECK(matches("      item_count: {gt: 24}\n", c));
  CHECK_FALSE(matches("      item_count: {gt: 25}\n", c));
  CHECK(matches("      item_count: {gte: 25, lte: 25}\n", c));
  CHECK(matches("      item_count: {eq: 25}\n", c));
  CHECK_FALSE(matches("      item_count: {gte: 10, lt: 20}\n", c));
  CHECK(matches("      request_bytes: {lt: 4097}\n", c));
  CHECK_FALSE(matches("      request_bytes: {lt: 4096}\n", c));
}

TEST_CASE("partiql: case-insensitive, whitespace collapsed", "[rules][conditions]") {
  Call c("ExecuteStatement");
  const std::string rule = "      partiql: \"select * from cardholder*\"\n";
  CHECK_FALSE(matches(rule, c));  // no statement
  c.facts.partiql_statements = {"SELECT  *\n\tFROM   \"cardholder\""};
  CHECK_FALSE(matches(rule, c));  // the quote is a character of its own
  c.facts.partiql_statements = {"  SELECT  *\n\tFROM   cardholder_eu WHERE pk = 'x'  "};
  CHECK(matches(rule, c));
  CHECK(matches("      partiql: \"SELECT   * FROM  cardholder_eu WHERE pk = 'x'\"\n", c));
  CHECK_FALSE(matches("      partiql: \"SELECT * FROM cardholder_eu WHERE pk = 'y'\"\n", c));
  CHECK(matches("      partiql: [\"update *\", \"select *\"]\n", c));
  CHECK_FALSE(matches("      partiql: \"update *\"\n", c));
}

// A batch is judged by every statement in it, not only the first.
TEST_CASE("partiql and scan-like see every statement of a batch", "[rules][conditions]") {
  Call batch("BatchExecuteStatement");
  batch.facts.partiql_statements = {"SELECT * FROM orders WHERE id = ?", "SELECT * FROM orders"};
  CHECK(matches("      partiql: \"select * from orders\"\n", batch));
  CHECK(matches("      operation_class: scan-like\n", batch));
  batch.facts.partiql_statements = {"UPDATE orders SET a = 1 WHERE id = ?", "select a from orders where id = ?"};
  CHECK(matches("      operation_class: scan-like\n", batch));
  batch.facts.partiql_statements = {"UPDATE orders SET a = 1 WHERE id = ?"};
  CHECK_FALSE(matches("      operation_class: scan-like\n", batch));
}

TEST_CASE("partiql match/except is judged statement by statement", "[rules][conditions]") {
  const std::string rule = "      partiql: {match: \"select * from *\", except: \"* where *\"}\n";
  Call batch("BatchExecuteStatement");
  batch.facts.partiql_statements = {"SELECT * FROM orders WHERE id = ?", "SELECT * FROM orders"};
  CHECK(matches(rule, batch));  // the second has no WHERE, whatever the first has
  batch.facts.partiql_statements = {"SELECT * FROM orders WHERE id = ?", "select a from t where b = 1"};
  CHECK_FALSE(matches(rule, batch));
  batch.facts.partiql_statements = {"UPDATE t SET a = 1"};
  CHECK_FALSE(matches(rule, batch));
  CHECK(errors_of("rules:\n  - id: r\n    effect: deny\n    when:\n      partiql: {except: \"x\"}\n").size() == 1);
  const auto bad = errors_of("rules:\n  - id: r\n    effect: deny\n    when:\n      partiql: {match: \"x\", unless: \"y\"}\n");
  REQUIRE(bad.size() == 1);
  CHECK(bad[0].line == 5);
  CHECK(bad[0].message.find("unknown key 'unless'") != std::string::npos);
}

// In a response-phase rule, `items` counts what was returned.
TEST_CASE("rate items in a response-phase rule count the items returned", "[rules][conditions]") {
  auto s = load("rules:\n  - id: bulk\n    effect: deny\n    when:\n      operation: Scan\n      status: 200\n"
                "      rate: {items: 250, per: 1m, by: principal}\n");
  Call c("Scan");
  RateState rates;
  ResponseContext page;
  page.status = 200;
  page.item_count = 100;
  for (int i = 0; i < 2; ++i) {
    Decision d;
    s->evaluate_request(c.context(), rates, d);
    s->evaluate_response(c.context(), page, rates, d);
    CHECK(d.effect == Effect::allow);  // 100, then 200 items
  }
  Decision d;
  s->evaluate_request(c.context(), rates, d);
  s->evaluate_response(c.context(), page, rates, d);
  CHECK(d.effect == Effect::deny);  // 300 > 250
  CHECK(d.denied_in_response);
}

TEST_CASE("time: days, hours, over midnight, zones", "[rules][conditions]") {
  Call c;
  c.ctx.time = utc(2024, 1, 15, 12, 0);  // Monday
  CHECK(matches("      time: {days: [mon, tue], hours: \"09:00-17:00\"}\n", c));
  CHECK_FALSE(matches("      time: {days: [sat, sun]}\n", c));
  CHECK(matches("      time: {hours: \"12:00-12:01\"}\n", c));
  CHECK_FALSE(matches("      time: {hours: \"11:00-12:00\"}\n", c));  // end exclusive
  CHECK_FALSE(matches("      time: {hours: \"22:00-06:00\"}\n", c));
  c.ctx.time = utc(2024, 1, 15, 23, 30);
  CHECK(matches("      time: {hours: \"22:00-06:00\"}\n", c));
  c.ctx.time = utc(2024, 1, 16, 5, 59);
  CHECK(matches("      time: {hours: \"22:00-06:00\"}\n", c));
  c.ctx.time = utc(2024, 1, 16, 6, 0);
  CHECK_FALSE(matches("      time: {hours: \"22:00-06:00\"}\n", c));
  CHECK(matches("      time: {hours: \"06:00-24:00\"}\n", c));

  // Europe/Berlin: UTC+1 in winter, UTC+2 in summer.
  const std::string berlin = "      time: {hours: \"09:00-17:00\", zone: Europe/Berlin}\n";
  c.ctx.time = utc(2024, 1, 15, 7, 30);  // 08:30 CET
  CHECK_FALSE(matches(berlin, c));
  c.ctx.time = utc(2024, 1, 15, 8, 30);  // 09:30 CET
  CHECK(matches(berlin, c));
  c.ctx.time = utc(2024, 7, 15, 7, 30);  // 09:30 CEST
  CHECK(matches(berlin, c));
  c.ctx.time = utc(2024, 7, 15, 15, 30);  // 17:30 CEST
  CHECK_FALSE(matches(berlin, c));
  c.ctx.time = utc(2024, 1, 15, 15, 30);  // 16:30 CET
  CHECK(matches(berlin, c));

  // America/New_York: the day changes with the zone.
  const std::string ny = "      time: {days: [sun], zone: America/New_York}\n";
  c.ctx.time = utc(2024, 1, 15, 3, 0);  // Sunday 22:00 EST
  CHECK(matches(ny, c));
  c.ctx.time = utc(2024, 1, 15, 5, 0);  // Monday 00:00 EST
  CHECK_FALSE(matches(ny, c));
  c.ctx.time = utc(2024, 7, 15, 3, 30);  // Sunday 23:30 EDT
  CHECK(matches(ny, c));
  c.ctx.time = utc(2024, 7, 15, 4, 0);  // Monday 00:00 EDT
  CHECK_FALSE(matches(ny, c));
}

TEST_CASE("all, any, not nest", "[rules][conditions]") {
  Call c("Scan", {"orders"});
  c.groups = {"analysts"};
  CHECK(matches("      any: [{operation: GetItem}, {operation: Scan}]\n", c));
  CHECK_FALSE(matches("      any: [{operation: GetItem}, {table: users}]\n", c));
  CHECK(matches("      all: [{operation: Scan}, {table: orders}]\n", c));
  CHECK_FALSE(matches("      all: [{operation: Scan}, {table: users}]\n", c));
  CHECK(matches("      not: {operation: GetItem}\n", c));
  CHECK_FALSE(matches("      not: {operation: Scan, table: orders}\n", c));
  CHECK(matches("      not: {operation: Scan, table: users}\n", c));  // not(all)
  CHECK(matches("      any: [{not: {group: analysts}}, {all: [{table: orders}, {not: {operation: Query}}]}]\n", c));
  CHECK_FALSE(matches("      operation: Scan\n      table: users\n", c));
  CHECK(matches("      {}\n", c));
}

TEST_CASE("a call without facts matches no fact condition", "[rules][conditions]") {
  auto s = load("rules:\n  - id: r\n    effect: deny\n    when: {not: {table: \"*\"}}\n"
                "  - id: p\n    effect: deny\n    when: {principal: \"*\"}\n");
  RequestContext ctx;  // facts == nullptr
  RateState rates;
  Decision d;
  s->evaluate_request(ctx, rates, d);
  REQUIRE(d.matched.size() == 2);
  CHECK(d.determining->id == "r");
}
