// The policy stage on its own: rule inputs from the call, the denial error,
// what a decision writes into the audit record, and the alert it raises.
#include <catch2/catch.hpp>

#include "ddb/error_response.hpp"
#include "proxy/pipeline/policy_stage.hpp"

using namespace dynaudit;
using namespace dynaudit::proxy;

namespace {

rules::Rule rule_named(std::string id) {
  rules::Rule rule;
  rule.id = std::move(id);
  return rule;
}

}  // namespace

TEST_CASE("the request context points at the call's facts, caller and connection") {
  ddb::RequestFacts facts;
  facts.operation = "Scan";
  Principal principal;
  principal.name = "analyst";
  principal.groups = {"analysts"};
  principal.verified = true;
  ConnectionInfo connection;
  connection.remote_address = "10.1.2.3";
  connection.tls = true;
  const auto now = std::chrono::system_clock::now();
  const auto context = rule_request_context(&facts, principal, connection, now);
  CHECK(context.facts == &facts);
  CHECK(context.principal == "analyst");
  REQUIRE(context.groups != nullptr);
  CHECK(*context.groups == std::vector<std::string>{"analysts"});
  CHECK(context.source.valid);
  CHECK(context.source.bytes[10] == 0xff);  // v4-mapped
  CHECK(context.source.bytes[15] == 3);
  CHECK(context.tls);
  CHECK(context.verified);
  CHECK(context.time == now);
}

TEST_CASE("response facts: items and consumed capacity of each reply shape") {
  CHECK(rule_response_context("Scan", 200, "", R"({"Count":3,"ScannedCount":9,"Items":[{},{},{}],"ConsumedCapacity":{"TableName":"t","CapacityUnits":1.5}})")
            .item_count == 3);
  CHECK(rule_response_context("Scan", 200, "", R"({"Count":3,"Items":[],"ConsumedCapacity":{"TableName":"t","CapacityUnits":1.5}})")
            .consumed_capacity == Approx(1.5));
  CHECK(rule_response_context("GetItem", 200, "", R"({"Item":{"pk":{"S":"a"}}})").item_count == 1);
  CHECK(rule_response_context("GetItem", 200, "", R"({})").item_count == 0);
  CHECK(rule_response_context("BatchGetItem", 200, "",
                              R"({"Responses":{"a":[{},{}],"b":[{}]},"ConsumedCapacity":[{"CapacityUnits":2},{"CapacityUnits":0.5}]})")
            .item_count == 3);
  CHECK(rule_response_context("BatchGetItem", 200, "", R"({"Responses":{},"ConsumedCapacity":[{"CapacityUnits":2},{"CapacityUnits":0.5}]})")
            .consumed_capacity == Approx(2.5));
  CHECK(rule_response_context("TransactGetItems", 200, "", R"({"Responses":[{"Item":{}},{"Item":{}}]})").item_count == 2);
  CHECK(rule_response_context("ExecuteStatement", 200, "", R"({"Items":[{},{},{},{}]})").item_count == 4);
  CHECK(rule_response_context("GetRecords", 200, "", R"({"Records":[{},{}]})").item_count == 2);
  const auto error = rule_response_context("PutItem", 400, "ConditionalCheckFailedException", R"({"__type":"x"})");
  CHECK(error.status == 400);
  CHECK(error.error_type == "ConditionalCheckFailedException");
  CHECK(error.item_count == 0);
  CHECK(rule_response_context("Scan", 200, "", "not json").item_count == 0);
}

TEST_CASE("a denial is an AccessDeniedException with the rule's message, or a default-deny message") {
  rules::Decision decision;
  decision.reset(rules::Effect::deny, rules::AuditLevel::metadata);
  auto by_default = denial_error(decision);
  CHECK(by_default.kind == ddb::ErrorKind::access_denied);
  CHECK(by_default.message == "Access denied by dynaudit: no rule allows this call");
  CHECK(ddb::http_status(by_default.kind) == 400);

  auto rule = rule_named("no-bulk-export");
  rule.message = "Bulk export of cardholder data is refused";
  decision.determining = &rule;
  CHECK(denial_error(decision).message == "Bulk export of cardholder data is refused");
  rule.message.clear();
  CHECK(denial_error(decision).message == "Access denied by dynaudit rule no-bulk-export");
}

TEST_CASE("the record carries matched, determining and shadow rules, tags, alerts and the level") {
  auto deny = rule_named("deny-scan");
  auto tagger = rule_named("tag-pci");
  auto shadow = rule_named("trial");
  rules::Decision decision;
  decision.reset(rules::Effect::allow, rules::AuditLevel::metadata);
  decision.effect = rules::Effect::deny;
  decision.determining = &deny;
  decision.matched = {&deny, &tagger};
  decision.shadow = {&shadow};
  decision.shadow_effect = rules::Effect::deny;
  decision.alerts = {&deny};
  decision.tags = {"pci-dss:10.2.1", "pci-dss:7.2"};
  decision.audit_level = rules::AuditLevel::full;
  decision.denied_in_response = true;

  storage::AuditEvent event;
  record_decision(decision, event);
  CHECK(event.decision == "deny");
  CHECK(event.matched_rules == std::vector<std::string>{"deny-scan", "tag-pci"});
  CHECK(event.determining_rule == "deny-scan");
  CHECK(event.shadow_rules == std::vector<std::string>{"trial"});
  CHECK(event.shadow_decision.empty());  // same as the decision: nothing to say
  CHECK(event.tags == std::vector<std::string>{"pci-dss:10.2.1", "pci-dss:7.2"});
  CHECK(event.alerted_rules == std::vector<std::string>{"deny-scan"});
  CHECK(event.audit_level == "full");
  CHECK(event.response_withheld);

  decision.effect = rules::Effect::allow;
  decision.determining = nullptr;
  decision.audit_level = rules::AuditLevel::metadata;
  record_decision(decision, event);
  CHECK(event.decision == "allow");
  CHECK(event.determining_rule.empty());
  CHECK(event.shadow_decision == "deny");  // a shadow rule would have denied
  CHECK(event.audit_level.empty());
}

TEST_CASE("audit level none spares allowed calls only") {
  rules::Decision decision;
  decision.reset(rules::Effect::allow, rules::AuditLevel::none);
  CHECK_FALSE(decision_wants_record(decision));
  decision.effect = rules::Effect::deny;
  CHECK(decision_wants_record(decision));
  decision.reset(rules::Effect::allow, rules::AuditLevel::metadata);
  CHECK(decision_wants_record(decision));
}

TEST_CASE("an alert names the rule, the call and its record, with the message rendered") {
  auto rule = rule_named("scan-alert");
  rule.tags = {"pci-dss:10.2.1"};
  rule.alert = rules::AlertSpec{};
  rule.alert->channel = "security";
  rule.alert->severity = "high";
  rule.alert->message_template = "{principal} ran {operation} on {table} from {source_ip}";
  rule.alert->throttle_max = 3;
  rules::Decision decision;
  decision.reset(rules::Effect::allow, rules::AuditLevel::metadata);
  storage::AuditEvent event;
  event.event_id = "e-1";
  event.event_name = "Scan";
  event.tables = {"cards"};
  event.source_ip = "10.1.2.3";
  event.user_identity.user_name = "analyst";
  const auto alert = alert_for(rule, decision, event);
  CHECK(alert.channel == "security");
  CHECK(alert.severity == "high");
  CHECK(alert.message == "analyst ran Scan on cards from 10.1.2.3");
  CHECK(alert.event_id == "e-1");
  CHECK(alert.decision == "allow");
  CHECK(alert.tags == std::vector<std::string>{"pci-dss:10.2.1"});
  CHECK(alert.throttle_max == 3);
}
