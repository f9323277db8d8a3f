// See rule_channels.hpp.
#include "proxy/config/rule_channels.hpp"

#include <algorithm>

namespace dynaudit::proxy {

std::string unknown_alert_channel(const rules::RuleSnapshot& snapshot, const AlertsConfig& alerts) {
  for (const auto& rule : snapshot.rules()) {
    if (!rule.alert) continue;
    const auto& channels = alerts.channels;
    const bool known = std::any_of(channels.begin(), channels.end(),
                                   [&](const alerts::ChannelConfig& c) { return c.name == rule.alert->channel; });
    if (!known) {
      return rule.file + ":" + std::to_string(rule.line) + ": rule '" + rule.id + "' alerts channel '" +
             rule.alert->channel + "', which alerts.channels does not define";
    }
  }
  return {};
}

rules::EngineSettings engine_settings(const RulesConfig& config) {
  rules::EngineSettings settings;
  settings.default_effect = config.default_effect;
  settings.default_audit_level = config.default_audit_level;
  return settings;
}

}  // namespace dynaudit::proxy
