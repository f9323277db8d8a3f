// Names of the rule enums as they appear in rule files and audit records.
#include "rules/rule.hpp"

namespace dynaudit::rules {

std::string_view to_string(Effect e) { return e == Effect::allow ? "allow" : "deny"; }
std::string_view to_string(RuleMode m) { return m == RuleMode::enforce ? "enforce" : "shadow"; }
std::string_view to_string(Phase p) { return p == Phase::request ? "request" : "response"; }
std::string_view to_string(ProtectAction a) {
  switch (a) {
    case ProtectAction::deny: return "deny";
    case ProtectAction::alert: return "alert";
    case ProtectAction::allow: return "allow";
  }
  return "deny";
}
std::string_view to_string(AuditLevel l) {
  switch (l) {
    case AuditLevel::none: return "none";
    case AuditLevel::metadata: return "metadata";
    case AuditLevel::full: return "full";
  }
  return "metadata";
}

}  // namespace dynaudit::rules
