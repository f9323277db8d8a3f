// The masked-use check and the two shared lookups it and Streams rely on
// (proxy/pipeline/masked_use_stage.hpp, stream_tables.hpp, key_schemas.hpp).
#include <catch2/catch.hpp>

#include "ddb/request_facts.hpp"
#include "proxy/pipeline/key_schemas.hpp"
#include "proxy/pipeline/masked_use_stage.hpp"
#include "proxy/pipeline/stream_tables.hpp"

using namespace dynaudit;
using proxy::MaskedUseFindings;
using proxy::Principal;

namespace {

rules::Rule mask_rule(std::string id, std::vector<std::string> paths) {
  rules::Rule rule;
  rule.id = std::move(id);
  for (auto& path : paths) rule.mask.push_back(rules::MaskAction{std::move(path), "redact", 0, 0, {}, {}, 0});
  return rule;
}

MaskedUseFindings check(const rules::Rule& rule, const std::string& operation, const std::string& body,
                        const Principal& principal = Principal{}) {
  rules::Decision decision;
  decision.masks.push_back(&rule);
  const auto uses = ddb::extract_attribute_uses("DynamoDB_20120810." + operation, body);
  REQUIRE(uses);
  return proxy::find_masked_uses(decision, principal, *uses,
                                 [](std::string_view v) { return v.starts_with("dynaudit:v1:"); });
}

}  // namespace

TEST_CASE("masked uses: copies and probes are refused, reads, writes and key equality are not", "[masked-use]") {
  const auto rule = mask_rule("mask-pci", {"card.number", "ssn"});
  auto f = check(rule, "UpdateItem", R"J({"TableName":"t","Key":{"ssn":{"S":"1"}},"UpdateExpression":"SET leak = card"})J");
  REQUIRE(f.refused.size() == 1);  // `card` holds card.number; Key equality on ssn is allowed
  CHECK(proxy::describe_use(f.refused[0]) == "card: copy (SET) in UpdateExpression");
  CHECK(proxy::record_entry(f.refused[0]) == "mask-pci deny: card: copy (SET) in UpdateExpression");
  const auto denial = proxy::masked_use_denial(f.refused[0]);
  CHECK(denial.kind == ddb::ErrorKind::access_denied);
  CHECK(denial.message.find("mask-pci") != std::string::npos);

  f = check(rule, "GetItem", R"J({"TableName":"t","Key":{"ssn":{"S":"1"}},"ProjectionExpression":"card, ssn"})J");
  CHECK(f.empty());
  f = check(rule, "Scan", R"J({"TableName":"t","FilterExpression":"begins_with(card.number.x, :p) OR attribute_exists(ssn)"})J");
  REQUIRE(f.refused.size() == 1);
  CHECK(f.refused[0].mask_path == "card.number");
  f = check(rule, "Scan", R"J({"TableName":"t","FilterExpression":"card.exp = :p"})J");
  CHECK(f.empty());  // a sibling of the masked path
}

TEST_CASE("masked uses: unmask groups, protect settings and sealed start keys", "[masked-use]") {
  auto rule = mask_rule("m", {"ssn"});
  rule.unmask_groups = {"admins"};
  const std::string probe = R"J({"TableName":"t","FilterExpression":"contains(ssn, :p)"})J";
  Principal admin;
  admin.groups = {"readers", "admins"};
  CHECK(check(rule, "Scan", probe, admin).empty());
  CHECK(check(rule, "Scan", probe).refused.size() == 1);

  rule.protect.use = rules::ProtectAction::alert;
  auto f = check(rule, "Scan", probe);
  CHECK(f.refused.empty());
  CHECK(f.alerted.size() == 1);
  rule.protect.use = rules::ProtectAction::allow;
  CHECK(check(rule, "Scan", probe).empty());

  rule.protect.key_equality = rules::ProtectAction::deny;
  CHECK(check(rule, "GetItem", R"J({"TableName":"t","Key":{"ssn":{"S":"1"}}})J").refused.size() == 1);

  rule.protect = {};
  CHECK(check(rule, "Query", R"J({"TableName":"t","ExclusiveStartKey":{"ssn":{"S":"dynaudit:v1:x"}}})J").empty());
  CHECK(check(rule, "Query", R"J({"TableName":"t","ExclusiveStartKey":{"ssn":{"S":"123"}}})J").refused.size() == 1);
}

TEST_CASE("masked uses: alerts go to protect.channel, one per rule, naming every use and no value", "[masked-use]") {
  auto rule = mask_rule("m", {"ssn", "card"});
  rule.protect.channel = "sec";
  const auto f = check(rule, "Scan",
                       R"J({"TableName":"t","FilterExpression":"begins_with(ssn, :p) AND card > :q",
                            "ExpressionAttributeValues":{":p":{"S":"SECRET-1"},":q":{"S":"SECRET-2"}}})J");
  REQUIRE(f.refused.size() == 2);
  storage::AuditEvent event;
  event.user_identity.user_name = "alice";
  proxy::record_masked_uses(f, event);
  CHECK(event.alerted_rules == std::vector<std::string>{"m"});
  CHECK(event.masked_uses.size() == 2);
  rules::Decision decision;
  decision.effect = rules::Effect::deny;
  const auto alerts = proxy::masked_use_alerts(f, decision, event);
  REQUIRE(alerts.size() == 1);
  CHECK(alerts[0].channel == "sec");
  CHECK(alerts[0].severity == "high");
  CHECK(alerts[0].message ==
        "alice was refused masked attributes (rule m): ssn: function (begins_with) in FilterExpression; card: "
        "comparison (>) in FilterExpression");
}

TEST_CASE("stream iterator tables: learned, bounded, timed", "[streams]") {
  using Clock = proxy::StreamIteratorTables::Clock;
  proxy::StreamIteratorTables tables(2, std::chrono::seconds(900));
  const auto t0 = Clock::now();
  tables.remember("it-1", "orders", t0);
  tables.remember("it-2", "customers", t0);
  CHECK(tables.table_of("it-1", t0) == "orders");  // it-1 is now the most recent
  tables.remember("it-3", "orders", t0);           // evicts it-2, the least recently used
  CHECK_FALSE(tables.table_of("it-2", t0));
  CHECK(tables.size() == 2);
  CHECK_FALSE(tables.table_of("it-1", t0 + std::chrono::seconds(901)));  // expired
  CHECK_FALSE(tables.table_of("never-seen", t0));
  CHECK(proxy::iterator_in_reply("GetShardIterator", R"J({"ShardIterator":"abc"})J") == "abc");
  CHECK(proxy::iterator_in_reply("GetRecords", R"J({"Records":[],"NextShardIterator":"def"})J") == "def");
  CHECK_FALSE(proxy::iterator_in_reply("GetRecords", R"J({"Records":[]})J"));
}

TEST_CASE("key schemas: table and index keys from DescribeTable, cached for a while", "[key-schema]") {
  const auto keys = proxy::key_attributes_in_describe_table(R"J({"Table":{"TableName":"t",
      "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],
      "GlobalSecondaryIndexes":[{"IndexName":"g","KeySchema":[{"AttributeName":"email","KeyType":"HASH"}]}],
      "LocalSecondaryIndexes":[{"IndexName":"l","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"when","KeyType":"RANGE"}]}]}})J");
  REQUIRE(keys);
  CHECK(*keys == std::vector<std::string>{"pk", "sk", "email", "when"});
  CHECK_FALSE(proxy::key_attributes_in_describe_table(R"J({"__type":"ResourceNotFoundException"})J"));

  using Clock = proxy::KeySchemaCache::Clock;
  proxy::KeySchemaCache cache(1, std::chrono::seconds(300));
  const auto t0 = Clock::now();
  cache.store("t", *keys, t0);
  CHECK(cache.find("t", t0 + std::chrono::seconds(299)) == keys);
  CHECK_FALSE(cache.find("t", t0 + std::chrono::seconds(301)));
  cache.store("u", {"id"}, t0);  // capacity 1: t is forgotten
  CHECK_FALSE(cache.find("t", t0));
}
