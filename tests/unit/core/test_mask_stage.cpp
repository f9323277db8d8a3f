// The mask stage on its own: which masks apply to whom, the derived keys,
// and what the audit record keeps of a call whose values are masked.
#include <catch2/catch.hpp>

#include <simdjson.h>

#include "ddb/request_facts.hpp"
#include "proxy/pipeline/mask_stage.hpp"

using namespace dynaudit;
using namespace dynaudit::proxy;

namespace {

rules::Rule masking_rule(std::string id, std::vector<std::string> unmask) {
  rules::Rule rule;
  rule.id = std::move(id);
  rule.unmask_groups = std::move(unmask);
  rules::MaskAction card;
  card.path = "card.number";
  card.method = "partial";
  card.keep_last = 4;
  rules::MaskAction email;
  email.path = "email";
  email.method = "email";
  rule.mask = {card, email};
  return rule;
}

masking::MaskPlan plan_of(const std::vector<masking::MaskSpec>& specs) {
  std::string error;
  auto plan = masking::MaskPlan::compile(specs, error);
  INFO(error);
  REQUIRE(plan);
  return std::move(*plan);
}

}  // namespace

TEST_CASE("unmask groups see clear values; the audit plan masks for everyone") {
  const auto pci = masking_rule("mask-pci", {"pci-admins"});
  const auto other = masking_rule("mask-all", {});
  rules::Decision decision;
  decision.reset(rules::Effect::allow, rules::AuditLevel::metadata);
  decision.masks = {&pci, &other};
  Principal analyst;
  analyst.groups = {"analysts"};
  Principal admin;
  admin.groups = {"oncall", "pci-admins"};
  CHECK(client_mask_specs(decision, analyst).size() == 4);
  const auto admin_specs = client_mask_specs(decision, admin);
  REQUIRE(admin_specs.size() == 2);
  CHECK(admin_specs[0].rule_id == "mask-all");
  CHECK(admin_specs[0].method == masking::Method::partial);
  CHECK(admin_specs[0].keep_last == 4);
  CHECK(admin_specs[1].method == masking::Method::email);
  CHECK(audit_mask_specs(decision).size() == 4);
}

TEST_CASE("the masking secret yields two different keys, stable for the same secret") {
  const auto a = derive_mask_keys("0123456789abcdef0123456789abcdef");
  const auto b = derive_mask_keys("0123456789abcdef0123456789abcdef");
  const auto c = derive_mask_keys("0123456789abcdef0123456789abcdeX");
  CHECK(a.hmac_key.size() == 32);
  CHECK(a.token_key.size() == 32);
  CHECK(a.hmac_key != a.token_key);
  CHECK(a.hmac_key == b.hmac_key);
  CHECK(a.token_key == b.token_key);
  CHECK(a.hmac_key != c.hmac_key);
}

TEST_CASE("the audit copy: key values masked, body items masked, placeholders hashed, clear values kept for sealing") {
  const auto rule = masking_rule("mask-pci", {});
  masking::MaskSpec email;
  email.path = "email";
  email.method = masking::Method::email;
  email.rule_id = "mask-pci";
  masking::MaskSpec card;
  card.path = "card.number";
  card.method = masking::Method::partial;
  card.keep_last = 4;
  card.rule_id = "mask-pci";
  const auto plan = plan_of({email, card});
  const auto keys = derive_mask_keys("0123456789abcdef0123456789abcdef");

  const std::string body =
      R"({"TableName":"customers","Key":{"email":{"S":"alice@example.com"}},"Item":{"email":{"S":"bob@example.com"},"card":{"M":{"number":{"S":"4111222233334444"}}}},"ExpressionAttributeValues":{":e":{"S":"carol@example.com"}},"Limit":10})";
  const auto facts = ddb::extract_request_facts("DynamoDB_20120810.GetItem", body).facts;
  REQUIRE(facts.keys.size() == 1);
  const auto masked = mask_for_audit(facts, body, plan, keys);
  CHECK(masked.changed);
  REQUIRE(masked.keys.size() == 1);
  CHECK(masked.keys[0].attribute == "email");
  CHECK(masked.keys[0].type == "S");
  CHECK(masked.keys[0].value == "a****@example.com");
  CHECK(masked.rules == std::vector<std::string>{"mask-pci"});
  for (const char* clear : {"alice@", "bob@", "carol@", "4111222233334444"}) {
    INFO(clear);
    CHECK(masked.request_body.find(clear) == std::string::npos);
  }
  CHECK(masked.request_body.find("\"Limit\":10") != std::string::npos);
  CHECK(masked.request_body.find(R"(":e":{"S":"h:)") != std::string::npos);  // hashed, not redacted
  CHECK(masked.request_body.find("************4444") != std::string::npos);
  simdjson::dom::parser parser;
  simdjson::dom::element sealed;
  REQUIRE(parser.parse(simdjson::padded_string(masked.clear_values_json)).get(sealed) == simdjson::SUCCESS);
  std::string_view clear_key;
  REQUIRE(sealed.at_pointer("/keys/0/S").get(clear_key) == simdjson::SUCCESS);
  CHECK(clear_key == "alice@example.com");
  std::string_view clear_body;
  REQUIRE(sealed.at_pointer("/requestBody").get(clear_body) == simdjson::SUCCESS);
  CHECK(clear_body == body);

  // Metadata level: no body; nothing masked in the keys means nothing to seal.
  masking::MaskSpec other;
  other.path = "ssn";
  other.method = masking::Method::redact;
  const auto untouched = mask_for_audit(facts, {}, plan_of({other}), keys);
  CHECK_FALSE(untouched.changed);
  CHECK(untouched.keys[0].value == "alice@example.com");
  CHECK(untouched.request_body.empty());
  CHECK(untouched.clear_values_json.empty());
}

namespace {

masking::MaskSpec spec(std::string path, masking::Method method, std::string rule = "mask-pci") {
  masking::MaskSpec s;
  s.path = std::move(path);
  s.method = method;
  s.rule_id = std::move(rule);
  return s;
}

void check_absent(const std::string& text, std::initializer_list<const char*> values) {
  for (const char* value : values) {
    INFO(value << " in " << text);
    CHECK(text.find(value) == std::string::npos);
  }
}

}  // namespace

TEST_CASE("the audit copy masks the legacy members through the plan, by attribute name") {
  const auto plan = plan_of({spec("ssn", masking::Method::redact), spec("cards[*].number", masking::Method::redact)});
  const auto keys = derive_mask_keys("0123456789abcdef0123456789abcdef");
  const std::string body = R"({"TableName":"t","Key":{"pk":{"S":"k"}},
    "AttributeUpdates":{"ssn":{"Value":{"S":"PLANT-update"},"Action":"PUT"},"other":{"Value":{"S":"visible-1"},"Action":"PUT"}},
    "Expected":{"ssn":{"Value":{"S":"PLANT-expected"},"Exists":true},
                "cards":{"AttributeValueList":[{"M":{"number":{"S":"PLANT-card"}}},{"S":"PLANT-scalar"}],"ComparisonOperator":"CONTAINS"}}})";
  const auto facts = ddb::extract_request_facts("DynamoDB_20120810.UpdateItem", body).facts;
  const auto masked = mask_for_audit(facts, body, plan, keys);
  CHECK(masked.changed);
  check_absent(masked.request_body, {"PLANT-update", "PLANT-expected", "PLANT-card", "PLANT-scalar"});
  CHECK(masked.request_body.find("visible-1") != std::string::npos);  // not a masked attribute
  CHECK(masked.request_body.find(R"("Action":"PUT")") != std::string::npos);
  CHECK(masked.request_body.find(R"("Exists":true)") != std::string::npos);
  CHECK(masked.request_body.find(R"("ComparisonOperator":"CONTAINS")") != std::string::npos);
  // CONTAINS compares an element of the list `cards`, which the plan's path
  // (cards[*].number) does not reach from the attribute: hashed, map and
  // scalar alike, never kept.
  CHECK(masked.request_body.find(R"({"M":{"number":{"S":"h:)") != std::string::npos);
  CHECK(masked.request_body.find(R"({"S":"h:)") != std::string::npos);
  CHECK(masked.rules == std::vector<std::string>{"mask-pci"});
}

TEST_CASE("the audit copy masks Query and Scan conditions and start keys") {
  const auto plan = plan_of({spec("email", masking::Method::hash)});
  const auto keys = derive_mask_keys("0123456789abcdef0123456789abcdef");
  const std::string query = R"({"TableName":"t","KeyConditions":{"email":{"AttributeValueList":[{"S":"PLANT-kc"}],"ComparisonOperator":"EQ"}},
    "QueryFilter":{"email":{"AttributeValueList":[{"S":"PLANT-qf"}],"ComparisonOperator":"BEGINS_WITH"}},
    "ExclusiveStartKey":{"email":{"S":"PLANT-esk"}}})";
  auto masked = mask_for_audit(ddb::extract_request_facts("DynamoDB_20120810.Query", query).facts, query, plan, keys);
  check_absent(masked.request_body, {"PLANT-kc", "PLANT-qf", "PLANT-esk"});
  const std::string scan = R"({"TableName":"t","ScanFilter":{"email":{"AttributeValueList":[{"S":"PLANT-sf"}],"ComparisonOperator":"EQ"}}})";
  masked = mask_for_audit(ddb::extract_request_facts("DynamoDB_20120810.Scan", scan).facts, scan, plan, keys);
  check_absent(masked.request_body, {"PLANT-sf"});
  CHECK(masked.request_body.find(R"("ComparisonOperator":"EQ")") != std::string::npos);
}

TEST_CASE("statements and malformed expressions are sanitized whether or not a mask applies") {
  const auto keys = derive_mask_keys("0123456789abcdef0123456789abcdef");
  const masking::MaskPlan no_masks;
  SECTION("PartiQL: literals hashed, parameters kept without masks") {
    const std::string body =
        R"({"Statements":[{"Statement":"SELECT * FROM t WHERE a = 'PLANT-lit' AND b = 55555","Parameters":[{"S":"param"}]}]})";
    const auto facts = ddb::extract_request_facts("DynamoDB_20120810.BatchExecuteStatement", body).facts;
    const auto masked = mask_for_audit(facts, body, no_masks, keys);
    CHECK(masked.changed);
    check_absent(masked.request_body, {"PLANT-lit", "55555"});
    CHECK(masked.request_body.find(R"([{"S":"param"}])") != std::string::npos);
    CHECK(masked.rules.empty());
    CHECK(masked.clear_values_json.find("PLANT-lit") != std::string::npos);  // sealed, if a key is set
  }
  SECTION("expressions: literals replaced") {
    const std::string body = R"({"TableName":"t","Key":{"pk":{"S":"k"}},"ConditionExpression":"a = 'PLANT-x'"})";
    const auto facts = ddb::extract_request_facts("DynamoDB_20120810.DeleteItem", body).facts;
    const auto masked = mask_for_audit(facts, body, no_masks, keys);
    CHECK(masked.request_body == R"({"TableName":"t","Key":{"pk":{"S":"k"}},"ConditionExpression":"a = ****"})");
  }
  SECTION("nothing to replace: the body is kept byte for byte, nothing to seal") {
    const std::string body = R"({ "TableName" : "t", "Key" : {"pk": {"S": "k"}}, "ConditionExpression" : "a = :a" })";
    const auto facts = ddb::extract_request_facts("DynamoDB_20120810.DeleteItem", body).facts;
    const auto masked = mask_for_audit(facts, body, no_masks, keys);
    CHECK_FALSE(masked.changed);
    CHECK(masked.request_body == body);
    CHECK(masked.clear_values_json.empty());
  }
}

TEST_CASE("audit_masking_for: the decision's plan, and whether it is still current") {
  const auto keys = derive_mask_keys("0123456789abcdef0123456789abcdef");
  const auto rule = masking_rule("mask-pci", {"pci-admins"});
  rules::Decision decision;
  decision.reset(rules::Effect::allow, rules::AuditLevel::metadata);
  const std::string body = R"({"TableName":"t","Key":{"email":{"S":"alice@example.com"}}})";
  const auto facts = ddb::extract_request_facts("DynamoDB_20120810.GetItem", body).facts;

  auto masking = audit_masking_for(decision, facts, body, keys);
  CHECK_FALSE(masking.keys_changed);
  CHECK(masking.request_body.empty());  // metadata: no body
  CHECK(masking.current_for(decision));

  decision.masks = {&rule};  // a response-phase rule added a mask
  CHECK_FALSE(masking.current_for(decision));
  masking = audit_masking_for(decision, facts, body, keys);
  CHECK(masking.keys_changed);
  CHECK(masking.keys[0].value == "a****@example.com");
  decision.audit_level = rules::AuditLevel::full;
  CHECK_FALSE(masking.current_for(decision));
  masking = audit_masking_for(decision, facts, body, keys);
  check_absent(masking.request_body, {"alice@"});
}
