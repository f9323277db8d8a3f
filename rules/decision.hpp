// Decision: what the rules say about one call. Filled by the snapshot's
// evaluate_* functions into a caller-owned object that is cleared, not
// freed, between calls, so evaluation allocates nothing once its vectors
// have grown. Rule pointers stay valid while the snapshot they came from
// is held (the proxy keeps a shared_ptr to it for the whole call).
#pragma once

#include <string_view>
#include <vector>

#include "rules/rule.hpp"

namespace dynaudit::rules {

struct Decision {
  Effect effect = Effect::allow;
  // The rule that determined `effect`: the first matching enforce-mode deny
  // rule, else the first matching allow rule; nullptr when the default
  // effect applied (no rule with an effect matched).
  const Rule* determining = nullptr;
  bool denied_in_response = false;  // a response-phase deny: the data is withheld

  std::vector<const Rule*> matched;  // enforce-mode rules whose conditions held, in file order
  std::vector<const Rule*> shadow;   // shadow-mode rules whose conditions held
  // What the effect would be if shadow rules were enforced too; lets the
  // audit log show "shadow would deny" before a rule is switched on.
  Effect shadow_effect = Effect::allow;
  const Rule* shadow_determining = nullptr;

  std::vector<const Rule*> alerts;  // matched enforce rules with an alert spec
  std::vector<const Rule*> masks;   // matched enforce rules with mask actions
  std::vector<std::string_view> tags;  // union of matched enforce rules' tags, first-seen order
  // The highest level a matched enforce rule asks for; the default when no
  // matched rule sets one. The proxy records every denied call at least at
  // `metadata`, whatever this says.
  AuditLevel audit_level = AuditLevel::metadata;

  // Keeps capacity. `default_effect` and `default_audit` come from settings.
  void reset(Effect default_effect, AuditLevel default_audit);
};

}  // namespace dynaudit::rules
