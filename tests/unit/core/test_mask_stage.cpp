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
