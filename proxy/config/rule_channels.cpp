// See rule_channels.hpp.
#include "proxy/config/rule_channels.hpp"

#include <algorithm>

namespace dynaudit::proxy {

std::string unknown_alert_channel(const rules::RuleSnapshot& snapshot, const AlertsConfig& alerts) {
  const auto known = [&](const std::string& name) {
    return std::any_of(alerts.channels.begin(), alerts.channels.end(),
                       [&](const alerts::ChannelConfig& c) { return c.name == name; });
  };
  for (const auto& rule : snapshot.rules()) {
    // The rule's own alert, and the channel its mask protection tells.
    for (const std::string* channel : {rule.alert ? &rule.alert->channel : nullptr,
                                       rule.protect.channel.empty() ? nullptr : &rule.protect.channel}) {
      if (channel && !known(*channel)) {
        return rule.file + ":" + std::to_string(rule.line) + ": rule '" + rule.id + "' alerts channel '" + *channel +
               "', which alerts.channels does not define";
      }
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
