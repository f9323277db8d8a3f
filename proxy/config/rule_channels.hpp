// Checks that every alert a rule set can raise names a configured channel.
// Used at start-up and by --check-config: a rule that would alert nowhere
// is a configuration error, not something to find out during an incident.
#pragma once

#include <string>

#include "proxy/config/serve_config.hpp"
#include "rules/rule_snapshot.hpp"

namespace dynaudit::proxy {

// "" when every alert channel exists; otherwise the first problem as
// "file:line: rule 'x' alerts channel 'y', which alerts.channels does not define".
std::string unknown_alert_channel(const rules::RuleSnapshot& snapshot, const AlertsConfig& alerts);

rules::EngineSettings engine_settings(const RulesConfig& config);

}  // namespace dynaudit::proxy
