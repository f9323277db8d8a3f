// RulesLoad records (rules_change_record.hpp).
#include "storage/rules_change_record.hpp"

#include <simdjson.h>

#include "storage/json_text.hpp"

namespace dynaudit::storage {
namespace {

constexpr std::string_view kOwnIdentityType = "dynaudit";

void append_strings(std::string& out, const std::vector<std::string>& list) {
  out += '[';
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (i) out += ',';
    json::append_string(out, list[i]);
  }
  out += ']';
}

}  // namespace

AuditEvent make_rules_change_record(const RulesChange& change) {
  AuditEvent e;
  e.event_id = new_event_id();
  e.event_time = change.time;
  e.event_name = std::string(kRulesLoadEventName);
  e.user_identity.type = std::string(kOwnIdentityType);
  e.user_identity.principal_id = std::string(kRulesPrincipal);
  e.user_identity.user_name = std::string(kRulesPrincipal);
  std::string p = "{\"trigger\":";
  json::append_string(p, change.trigger);
  p += ",\"applied\":";
  p += change.applied ? "true" : "false";
  p += ",\"rules\":" + std::to_string(change.rules);
  p += ",\"fingerprint\":";
  json::append_string(p, change.fingerprint);
  p += ",\"files\":";
  append_strings(p, change.files);
  p += ",\"errors\":";
  append_strings(p, change.errors);
  p += '}';
  e.request_parameters_json = std::move(p);
  e.management_event = true;
  e.read_only = false;
  e.outcome = change.applied ? "applied" : "refused";
  e.decision = "allow";
  e.tags = {"rules", change.applied ? "rules:applied" : "rules:refused"};
  return e;
}

std::optional<RulesChange> rules_change_of_record(const AuditEvent& record) {
  if (record.event_name != kRulesLoadEventName || record.user_identity.type != kOwnIdentityType ||
      record.user_identity.principal_id != kRulesPrincipal)
    return std::nullopt;
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(record.request_parameters_json).get(root)) return std::nullopt;
  RulesChange change;
  change.time = record.event_time;
  change.applied = record.outcome == "applied";
  std::string_view text;
  if (root["trigger"].get(text)) return std::nullopt;
  change.trigger = std::string(text);
  std::uint64_t rules = 0;
  if (root["rules"].get(rules)) return std::nullopt;
  change.rules = rules;
  if (root["fingerprint"].get(text)) return std::nullopt;
  change.fingerprint = std::string(text);
  const auto strings = [&](const char* name, std::vector<std::string>& out) {
    simdjson::dom::array list;
    if (root[name].get(list)) return;
    for (auto item : list)
      if (!item.get(text)) out.emplace_back(text);
  };
  strings("files", change.files);
  strings("errors", change.errors);
  return change;
}

}  // namespace dynaudit::storage
