// The reply walker, the inventory, and rule suggestions that the rule
// loader accepts.
#include <catch2/catch.hpp>

#include <map>
#include <vector>

#include "discovery/inventory.hpp"
#include "discovery/item_walker.hpp"
#include "rules/rule_snapshot.hpp"

using namespace dynaudit;
using namespace dynaudit::discovery;

namespace {
std::multimap<std::string, std::string> walk(std::string_view op, std::string_view body) {
  std::multimap<std::string, std::string> out;
  walk_reply_items(op, "t", body, [&](std::string_view table, std::string_view path, std::string_view value) {
    out.emplace(std::string(table) + ":" + std::string(path), std::string(value));
  });
  return out;
}
}  // namespace

TEST_CASE("the walker: nested maps, lists as [*], sets, every item-bearing reply") {
  const auto item = walk("GetItem", R"({"Item":{"pk":{"S":"c1"},"card":{"M":{"pan":{"S":"4111111111111111"}}},
      "cards":{"L":[{"M":{"pan":{"S":"x"}}},{"M":{"pan":{"S":"y"}}}]},"phones":{"SS":["+441","+442"]},"n":{"N":"7"},
      "ok":{"BOOL":true}}})");
  CHECK(item.count("t:pk") == 1);
  CHECK(item.find("t:card.pan")->second == "4111111111111111");
  CHECK(item.count("t:cards[*].pan") == 2);
  CHECK(item.count("t:phones") == 2);
  CHECK(item.count("t:n") == 1);
  CHECK(item.count("t:ok") == 0);
  const auto batch = walk("BatchGetItem", R"({"Responses":{"a":[{"x":{"S":"1"}}],"b":[{"y":{"S":"2"}}]}})");
  CHECK(batch.count("a:x") == 1);
  CHECK(batch.count("b:y") == 1);
  CHECK(walk("Scan", R"({"Items":[{"a":{"S":"1"}},{"a":{"S":"2"}}],"Count":2})").count("t:a") == 2);
  CHECK(walk("GetRecords", R"({"Records":[{"dynamodb":{"NewImage":{"a":{"S":"1"}},"OldImage":{"a":{"S":"0"}}}}]})")
            .count("t:a") == 2);
  CHECK(walk("Scan", "not json").empty());
  CHECK(walk("PutItem", R"({"Attributes":{"a":{"S":"1"}}})").empty());
}

TEST_CASE("the walker stops at its limits") {
  std::string body = R"({"Items":[)";
  for (int i = 0; i < 500; ++i) body += std::string(i ? "," : "") + R"({"a":{"S":"v"},"b":{"S":"w"}})";
  body += "]}";
  std::size_t seen = 0;
  const auto visited = walk_reply_items("Scan", "t", body, [&](auto, auto, auto) { ++seen; }, WalkLimits{100, 150, 32});
  CHECK(visited == 150);
  CHECK(seen == 150);
}

TEST_CASE("the inventory: counts, confidence, masked or not, who read it in clear") {
  Inventory inv;
  const Detection card{DataClass::card_number, 0.9};
  inv.record("orders", "card", card, "alice", "", 1000);
  inv.record("orders", "card", {DataClass::card_number, 0.97}, "bob", "mask-cards", 2000);
  inv.record("orders", "card", card, "alice", "", 3000);
  inv.record("orders", "email", {DataClass::email, 0.95}, "alice", "", 1500);
  const auto entries = inv.entries();
  REQUIRE(entries.size() == 2);
  const auto& c = entries[0];
  CHECK(c.path == "card");
  CHECK(c.values == 3);
  CHECK(c.confidence == Approx(0.97));
  CHECK(c.first_seen_ms == 1000);
  CHECK(c.last_seen_ms == 3000);
  CHECK(c.mask_rule == "mask-cards");
  CHECK(c.clear_reads == 2);
  CHECK(c.masked_reads == 1);
  CHECK(c.clear_readers == std::vector<std::string>{"alice"});
  CHECK(to_json(entries[1]).find("\"status\":\"UNMASKED\"") != std::string::npos);

  InventoryEntry back;
  REQUIRE(decode_entry(encode_entry(c), back));
  CHECK(to_json(back) == to_json(c));
  CHECK_FALSE(decode_entry(encode_entry(c).substr(1), back));

  Inventory small(1);
  CHECK(small.record("t", "a", card, "p", "", 1));
  CHECK_FALSE(small.record("t", "b", card, "p", "", 1));
}

TEST_CASE("suggested rules mask what nothing masks, and the rule loader accepts them") {
  Inventory inv;
  inv.record("orders", "card_number", {DataClass::card_number, 0.97}, "alice", "", 1);
  inv.record("orders", "profile.ssn", {DataClass::us_ssn, 0.97}, "alice", "", 1);
  inv.record("orders", "cards[*].pan", {DataClass::card_number, 0.9}, "alice", "", 1);
  inv.record("orders", "masked_already", {DataClass::email, 0.95}, "alice", "rule-x", 1);
  inv.record("users", "odd name", {DataClass::email, 0.95}, "alice", "", 1);
  inv.record("users", "ip", {DataClass::ip_address, 0.5}, "alice", "", 1);  // below the confidence asked for
  const std::string yaml = suggest_rules_yaml(inv.entries(), 0.8);
  INFO(yaml);
  CHECK(yaml.find("path: \"card_number\", method: partial, keep_last: 4") != std::string::npos);
  CHECK(yaml.find("path: \"cards[*].pan\"") != std::string::npos);
  CHECK(yaml.find("path: \"profile.ssn\"") != std::string::npos);
  CHECK(yaml.find("masked_already") == std::string::npos);
  CHECK(yaml.find("# email at an attribute path a rule cannot name: odd name") != std::string::npos);
  CHECK(yaml.find("path: \"ip\"") == std::string::npos);
  const auto loaded = rules::RuleSnapshot::load_text(yaml, "suggested.yaml", rules::EngineSettings{});
  for (const auto& e : loaded.errors) FAIL_CHECK(rules::format(e));
  REQUIRE(loaded.snapshot);
  CHECK(loaded.snapshot->rules().size() == 1);

  const std::string none = suggest_rules_yaml({}, 0.8);
  CHECK(rules::RuleSnapshot::load_text(none, "none.yaml", rules::EngineSettings{}).snapshot);
}
