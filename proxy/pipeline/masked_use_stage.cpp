// See masked_use_stage.hpp.
#include "proxy/pipeline/masked_use_stage.hpp"

#include <algorithm>

#include "proxy/pipeline/policy_stage.hpp"
#include "rules/path_overlap.hpp"

namespace dynaudit::proxy {
namespace {

using ddb::UseKind;
using rules::ProtectAction;

bool exempt(const rules::Rule& rule, const Principal& principal) {
  return std::any_of(principal.groups.begin(), principal.groups.end(), [&](const std::string& group) {
    return std::find(rule.unmask_groups.begin(), rule.unmask_groups.end(), group) != rule.unmask_groups.end();
  });
}

// What the rule says about one use of one of its masked attributes; allow
// for the uses a mask already covers.
ProtectAction action_for(const rules::Rule& rule, const ddb::AttributeUse& use,
                         const std::function<bool(std::string_view)>& is_sealed_token) {
  switch (use.kind) {
    case UseKind::read:
    case UseKind::write:
    case UseKind::exists: return ProtectAction::allow;
    case UseKind::key_equality: return rule.protect.key_equality;
    case UseKind::start_key:
      // A token the proxy sealed is the caller's own previous page; a clear
      // value is a probe of where that value sorts.
      if (is_sealed_token && is_sealed_token(use.start_key_value)) return ProtectAction::allow;
      return rule.protect.use;
    case UseKind::equality:
    case UseKind::compare:
    case UseKind::function:
    case UseKind::copy: return rule.protect.use;
  }
  return rule.protect.use;
}

}  // namespace

MaskedUseFindings find_masked_uses(const rules::Decision& decision, const Principal& principal,
                                   std::span<const ddb::AttributeUse> uses,
                                   const std::function<bool(std::string_view)>& is_sealed_token) {
  MaskedUseFindings findings;
  for (const rules::Rule* rule : decision.masks) {
    if (exempt(*rule, principal)) continue;
    for (const ddb::AttributeUse& use : uses) {
      for (const rules::MaskAction& mask : rule->mask) {
        if (!rules::paths_overlap(mask.path, use.path)) continue;
        const ProtectAction action = action_for(*rule, use, is_sealed_token);
        if (action == ProtectAction::allow) break;
        MaskedUse found{rule, mask.path, use, action};
        (action == ProtectAction::deny ? findings.refused : findings.alerted).push_back(std::move(found));
        break;  // one finding per rule and use, however many of its masks overlap
      }
    }
  }
  return findings;
}

std::string describe_use(const MaskedUse& m) {
  std::string text = m.use.path + ": ";
  text += ddb::to_string(m.use.kind);
  if (!m.use.detail.empty()) {
    text += " (";
    text += m.use.detail;
    text += ')';
  }
  text += " in ";
  text += m.use.member;
  return text;
}

std::string record_entry(const MaskedUse& m) {
  return m.rule->id + " " + std::string(rules::to_string(m.action)) + ": " + describe_use(m);
}

void record_masked_uses(const MaskedUseFindings& findings, storage::AuditEvent& event) {
  for (const auto* found : {&findings.refused, &findings.alerted}) {
    for (const MaskedUse& use : *found) {
      event.masked_uses.push_back(record_entry(use));
      const std::string& id = use.rule->id;
      if (!use.rule->protect.channel.empty() &&
          std::find(event.alerted_rules.begin(), event.alerted_rules.end(), id) == event.alerted_rules.end())
        event.alerted_rules.push_back(id);
    }
  }
}

bool masked_uses_alert(const MaskedUseFindings& findings) {
  for (const auto* found : {&findings.refused, &findings.alerted})
    for (const MaskedUse& use : *found)
      if (!use.rule->protect.channel.empty()) return true;
  return false;
}

std::vector<alerts::Alert> masked_use_alerts(const MaskedUseFindings& findings, const rules::Decision& decision,
                                             const storage::AuditEvent& event) {
  std::vector<alerts::Alert> out;
  std::vector<const rules::Rule*> told;
  for (const auto* found : {&findings.refused, &findings.alerted}) {
    for (const MaskedUse& use : *found) {
      const rules::Rule& rule = *use.rule;
      if (rule.protect.channel.empty() || std::find(told.begin(), told.end(), &rule) != told.end()) continue;
      told.push_back(&rule);
      alerts::Alert alert = alert_about(rule, decision, event);
      alert.channel = rule.protect.channel;
      alert.severity = rule.protect.severity;
      alert.message = alert.principal + (use.action == ProtectAction::deny ? " was refused" : " used") +
                      " masked attributes (rule " + rule.id + "):";
      for (const auto* again : {&findings.refused, &findings.alerted})
        for (const MaskedUse& other : *again)
          if (other.rule == &rule) alert.message += " " + describe_use(other) + ";";
      alert.message.pop_back();
      out.push_back(std::move(alert));
    }
  }
  return out;
}

ddb::DdbError masked_use_denial(const MaskedUse& m) {
  return ddb::DdbError{ddb::ErrorKind::access_denied,
                       "Access denied by dynaudit rule " + m.rule->id + ": attribute " + m.use.path +
                           " is masked for this caller and cannot be used this way (" + describe_use(m) + ")"};
}

ddb::DdbError unanalysable_masked_request() {
  return ddb::DdbError{ddb::ErrorKind::access_denied,
                       "Access denied by dynaudit: the request could not be checked against its mask rules"};
}

}  // namespace dynaudit::proxy
