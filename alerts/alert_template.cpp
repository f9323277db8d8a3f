// Message templates of alert rules: "{principal} scanned {table}".
#include "alerts/alert.hpp"

namespace dynaudit::alerts {

namespace {
std::string joined(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += ',';
    out += p;
  }
  return out;
}
}  // namespace

std::string render_template(std::string_view message_template, const Alert& alert) {
  std::string out;
  out.reserve(message_template.size() + 64);
  std::size_t i = 0;
  while (i < message_template.size()) {
    const auto open = message_template.find('{', i);
    if (open == std::string_view::npos) break;
    const auto close = message_template.find('}', open);
    if (close == std::string_view::npos) break;
    out.append(message_template.substr(i, open - i));
    const auto name = message_template.substr(open + 1, close - open - 1);
    if (name == "rule") out += alert.rule_id;
    else if (name == "principal") out += alert.principal;
    else if (name == "operation") out += alert.operation;
    else if (name == "table") out += alert.tables.empty() ? std::string() : alert.tables.front();
    else if (name == "tables") out += joined(alert.tables);
    else if (name == "source_ip") out += alert.source_ip;
    else if (name == "decision") out += alert.decision;
    else if (name == "severity") out += alert.severity;
    else if (name == "event_id") out += alert.event_id;
    else out.append(message_template.substr(open, close - open + 1));
    i = close + 1;
  }
  out.append(message_template.substr(i));
  return out;
}

}  // namespace dynaudit::alerts
