// Alert: one notification a rule raised about one call, in the shape every
// sink formats from (generic JSON, Slack, Teams, syslog, JSON lines).
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace dynaudit::alerts {

struct Alert {
  std::string rule_id;
  std::string channel;   // which configured channel delivers it
  std::string severity;  // info | low | medium | high | critical
  std::string message;   // already rendered from the rule's template
  std::chrono::system_clock::time_point time{};
  // The call it is about (never secrets or item values).
  std::string event_id;  // the audit record's eventID, to look the call up
  std::string principal;
  std::string operation;
  std::vector<std::string> tables;
  std::string source_ip;
  std::string decision;  // "allow" | "deny"
  std::vector<std::string> tags;
  // Throttle of the rule that raised it (see rules::AlertSpec).
  std::chrono::seconds throttle_window{60};
  std::size_t throttle_max = 10;
};

// Fills {rule}, {principal}, {operation}, {table} (first table), {tables}
// (comma-separated), {source_ip}, {decision}, {severity}, {event_id} in a
// rule's message template; unknown placeholders are left as written.
std::string render_template(std::string_view message_template, const Alert& alert);

}  // namespace dynaudit::alerts
