// Rule: one policy statement as loaded from a rule file, immutable once a
// snapshot holds it. Conditions live in the compiled matcher tree (see
// rule_snapshot.hpp); this struct keeps what a decision reports and what the
// proxy acts on: effect, mode, message, alert, mask actions, audit level, tags.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace dynaudit::rules {

enum class Effect { allow, deny };
enum class RuleMode { enforce, shadow };  // shadow: evaluated and recorded, never enforced
enum class AuditLevel { none, metadata, full };
// A rule whose conditions read response facts (status, returned items, ...)
// is evaluated after the upstream answers; every other rule before forwarding.
enum class Phase { request, response };

struct AlertSpec {
  std::string channel;           // an alert channel name from the serve config
  std::string severity = "medium";  // info | low | medium | high | critical
  std::string message_template;  // "{principal} scanned {table}"; see docs/rules.md
  // Per-rule throttle: at most `throttle_max` alerts per `throttle_window`
  // per channel; the rest are counted as suppressed.
  std::chrono::seconds throttle_window{60};
  std::size_t throttle_max = 10;
};

// One attribute the masking stage must rewrite (the masking module applies it).
struct MaskAction {
  std::string path;    // "email", "card.number", "cards[*].number"
  std::string method;  // redact | partial | email | hash | nullify | remove | regex | round
  int keep_first = 0;  // partial
  int keep_last = 0;   // partial
  std::string replacement;  // redact, regex
  std::string pattern;      // regex (ECMAScript)
  double step = 0;          // round
};

// What a caller under a rule's masks may do with a masked attribute besides
// reading it back masked and overwriting it (docs/masking.md, "Masked
// attributes are protected data"): every other use would let the caller
// learn or copy what the mask hides.
enum class ProtectAction { deny, alert, allow };
struct MaskProtection {
  // Conditions, filters, functions, range comparisons, copies into another
  // attribute, clear start keys, PartiQL WHERE/SET.
  ProtectAction use = ProtectAction::deny;
  // Naming a masked key attribute's whole value in a Key map or with `=` in a
  // key condition: the caller must already hold the value.
  ProtectAction key_equality = ProtectAction::allow;
};

struct Rule {
  std::string id;
  std::string description;
  std::string file;  // where it was defined, for reports
  int line = 0;
  RuleMode mode = RuleMode::enforce;
  Phase phase = Phase::request;
  std::optional<Effect> effect;  // a rule may only alert, tag, mask or set the audit level
  std::string message;           // the AccessDeniedException message for a deny
  std::optional<AlertSpec> alert;
  std::vector<MaskAction> mask;
  std::vector<std::string> unmask_groups;  // principals in these groups see clear values
  MaskProtection protect;                  // only meaningful with mask actions
  std::optional<AuditLevel> audit_level;
  std::vector<std::string> tags;  // "pci-dss:10.2.1", "hipaa:164.312(b)", ...
};

std::string_view to_string(Effect);
std::string_view to_string(RuleMode);
std::string_view to_string(AuditLevel);
std::string_view to_string(Phase);
std::string_view to_string(ProtectAction);

}  // namespace dynaudit::rules
