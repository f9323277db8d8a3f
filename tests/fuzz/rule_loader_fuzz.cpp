// libFuzzer target for the rule loader: arbitrary bytes as a rule file.
// Loading must never crash or throw, must either compile a snapshot or say
// why not, and a snapshot it compiles must evaluate a few varied calls
// without breaking the decision's invariants (deny overrides allow; the
// determining rule is one that matched).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "ddb/request_facts.hpp"
#include "rules/rule_snapshot.hpp"

namespace {

using namespace dynaudit;

void require(bool condition) {
  if (!condition) std::abort();
}

bool contains(const std::vector<const rules::Rule*>& list, const rules::Rule* rule) {
  for (const auto* r : list)
    if (r == rule) return true;
  return false;
}

void check_decision(const rules::Decision& d) {
  if (d.determining) {
    require(contains(d.matched, d.determining));
    require(d.determining->effect && *d.determining->effect == d.effect);
  }
  for (const auto* rule : d.matched) require(rule->mode == rules::RuleMode::enforce);
  for (const auto* rule : d.shadow) require(rule->mode == rules::RuleMode::shadow);
  // Deny overrides: any matched enforce deny makes the decision deny.
  for (const auto* rule : d.matched)
    if (rule->effect && *rule->effect == rules::Effect::deny) require(d.effect == rules::Effect::deny);
  if (d.shadow_determining) require(d.shadow_determining->effect && *d.shadow_determining->effect == d.shadow_effect);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  rules::EngineSettings settings;
  settings.default_effect = size % 2 ? rules::Effect::deny : rules::Effect::allow;
  const auto result = rules::RuleSnapshot::load_text(text, "fuzz.yaml", settings);
  require(static_cast<bool>(result.snapshot) == result.errors.empty());
  for (const auto& error : result.errors) require(!error.message.empty() && !rules::format(error).empty());
  if (!result.snapshot) return 0;

  static const char* const kCalls[][2] = {
      {"DynamoDB_20120810.Scan", R"({"TableName":"cards","Limit":10})"},
      {"DynamoDB_20120810.GetItem", R"({"TableName":"orders","Key":{"pk":{"S":"tenant#1"}},"ProjectionExpression":"a.b[0], #c","ExpressionAttributeNames":{"#c":"card"}})"},
      {"DynamoDB_20120810.PutItem", R"({"TableName":"t","Item":{"pk":{"S":"x"},"ssn":{"S":"1"}}})"},
      {"DynamoDB_20120810.ExecuteStatement", R"({"Statement":"SELECT * FROM \"cards\""})"},
      {"DynamoDB_20120810.BatchWriteItem", R"({"RequestItems":{"a":[{"PutRequest":{"Item":{"pk":{"S":"1"}}}}]}})"},
  };
  const std::vector<std::string> groups = {"analysts", "pci-admins"};
  rules::RateState rates;
  rules::Decision decision;
  for (std::size_t i = 0; i < std::size(kCalls); ++i) {
    const auto facts = ddb::extract_request_facts(kCalls[i][0], kCalls[i][1]);
    rules::RequestContext request;
    request.facts = &facts.facts;
    request.principal = i % 2 ? "alice" : "bob";
    request.groups = &groups;
    request.source = rules::parse_source_address(i % 2 ? "10.1.2.3" : "::1");
    request.tls = i % 2;
    request.verified = true;
    request.time = std::chrono::system_clock::time_point(std::chrono::seconds(1'795'000'000 + 3600 * i));
    result.snapshot->evaluate_request(request, rates, decision);
    check_decision(decision);
    if (decision.effect == rules::Effect::allow) {
      rules::ResponseContext response;
      response.status = i % 3 ? 200 : 400;
      response.item_count = i * 40;
      response.consumed_capacity = 1.5 * i;
      response.error_type = i % 3 ? "" : "ValidationException";
      result.snapshot->evaluate_response(request, response, rates, decision);
      check_decision(decision);
    }
  }
  return 0;
}
