// See policy_stage.hpp.
#include "proxy/pipeline/policy_stage.hpp"

#include <simdjson.h>

namespace dynaudit::proxy {
namespace {

std::uint64_t items_in(simdjson::dom::element root) {
  std::int64_t count = 0;
  if (!root["Count"].get(count) && count > 0) return static_cast<std::uint64_t>(count);
  simdjson::dom::object item;
  if (!root["Item"].get(item)) return 1;
  simdjson::dom::array items;
  if (!root["Items"].get(items)) return items.size();
  simdjson::dom::array responses_list;  // TransactGetItems, BatchExecuteStatement
  if (!root["Responses"].get(responses_list)) return responses_list.size();
  simdjson::dom::object responses;  // BatchGetItem: {"table": [items]}
  std::uint64_t total = 0;
  if (!root["Responses"].get(responses)) {
    for (auto table : responses) {
      simdjson::dom::array table_items;
      if (!table.value.get(table_items)) total += table_items.size();
    }
  }
  simdjson::dom::array records;  // Streams GetRecords
  if (!root["Records"].get(records)) total += records.size();
  return total;
}

double capacity_of(simdjson::dom::element consumed) {
  double units = 0;
  simdjson::dom::array list;
  if (!consumed.get(list)) {  // batches and transactions: one entry per table
    double total = 0;
    for (auto entry : list) total += capacity_of(entry);
    return total;
  }
  if (!consumed["CapacityUnits"].get(units)) return units;
  return 0;
}

}  // namespace

rules::RequestContext rule_request_context(const ddb::RequestFacts* facts, const Principal& principal,
                                           const ConnectionInfo& connection,
                                           std::chrono::system_clock::time_point time) {
  rules::RequestContext context;
  context.facts = facts;
  context.principal = principal.name;
  context.groups = &principal.groups;
  context.source = rules::parse_source_address(connection.remote_address);
  context.tls = connection.tls;
  context.verified = principal.verified;
  context.time = time;
  return context;
}

rules::ResponseContext rule_response_context(std::string_view operation, unsigned status,
                                             std::string_view error_type, std::string_view body) {
  rules::ResponseContext context;
  context.status = status;
  context.error_type = error_type;
  context.bytes = body.size();
  if (status != 200 || body.empty()) return context;
  (void)operation;
  thread_local simdjson::dom::parser parser;
  simdjson::padded_string padded(body);
  simdjson::dom::element root;
  if (parser.parse(padded).get(root)) return context;
  context.item_count = items_in(root);
  simdjson::dom::element consumed;
  if (!root["ConsumedCapacity"].get(consumed)) context.consumed_capacity = capacity_of(consumed);
  return context;
}

ddb::DdbError denial_error(const rules::Decision& decision) {
  if (decision.determining) {
    const auto& rule = *decision.determining;
    return {ddb::ErrorKind::access_denied,
            rule.message.empty() ? "Access denied by dynaudit rule " + rule.id : rule.message};
  }
  return {ddb::ErrorKind::access_denied, "Access denied by dynaudit: no rule allows this call"};
}

void record_decision(const rules::Decision& decision, storage::AuditEvent& event) {
  event.decision = std::string(rules::to_string(decision.effect));
  event.matched_rules.clear();
  for (const auto* rule : decision.matched) event.matched_rules.push_back(rule->id);
  event.determining_rule = decision.determining ? decision.determining->id : std::string();
  event.shadow_rules.clear();
  for (const auto* rule : decision.shadow) event.shadow_rules.push_back(rule->id);
  // Only worth a field when the shadow rules would have changed the outcome.
  event.shadow_decision =
      decision.shadow_effect != decision.effect ? std::string(rules::to_string(decision.shadow_effect)) : std::string();
  event.tags.assign(decision.tags.begin(), decision.tags.end());
  event.alerted_rules.clear();
  for (const auto* rule : decision.alerts) event.alerted_rules.push_back(rule->id);
  event.audit_level = decision.audit_level == rules::AuditLevel::metadata
                          ? std::string()
                          : std::string(rules::to_string(decision.audit_level));
  event.response_withheld = decision.denied_in_response;
}

bool decision_wants_record(const rules::Decision& decision) {
  return decision.effect == rules::Effect::deny || decision.audit_level != rules::AuditLevel::none;
}

alerts::Alert alert_about(const rules::Rule& rule, const rules::Decision& decision, const storage::AuditEvent& event) {
  alerts::Alert alert;
  alert.rule_id = rule.id;
  alert.time = event.event_time;
  alert.event_id = event.event_id;
  alert.principal = event.user_identity.user_name.empty() ? event.user_identity.principal_id
                                                          : event.user_identity.user_name;
  alert.operation = event.event_name;
  alert.tables = event.tables;
  alert.source_ip = event.source_ip;
  alert.decision = std::string(rules::to_string(decision.effect));
  alert.tags = rule.tags;
  return alert;
}

alerts::Alert alert_for(const rules::Rule& rule, const rules::Decision& decision, const storage::AuditEvent& event) {
  alerts::Alert alert = alert_about(rule, decision, event);
  if (rule.alert) {
    alert.channel = rule.alert->channel;
    alert.severity = rule.alert->severity;
    alert.throttle_window = rule.alert->throttle_window;
    alert.throttle_max = rule.alert->throttle_max;
    alert.message = alerts::render_template(rule.alert->message_template, alert);
  }
  return alert;
}

}  // namespace dynaudit::proxy
