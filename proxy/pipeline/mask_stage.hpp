// The mask stage: which masks apply to a call, for the client and for the
// audit log, and what the audit record keeps of the values it masked.
// - The client's plan: the mask actions of the matched rules, except rules
//   that list one of the caller's groups under unmask_groups.
// - The audit plan: every matched rule's mask actions, whoever the caller:
//   sensitive values never sit in the audit log in clear. What it replaced
//   can be sealed (AES-256-GCM, AAD = the record's eventID) for reveal.
// Pure functions of values; the masking itself is masking/.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ddb/request_facts.hpp"
#include "masking/mask_plan.hpp"
#include "proxy/auth/principal.hpp"
#include "rules/decision.hpp"

namespace dynaudit::proxy {

masking::MaskSpec to_mask_spec(const rules::MaskAction& action, const std::string& rule_id);

// Masks the caller sees applied; empty when none apply.
std::vector<masking::MaskSpec> client_mask_specs(const rules::Decision& decision, const Principal& principal);
// Masks the audit log applies, whoever the caller.
std::vector<masking::MaskSpec> audit_mask_specs(const rules::Decision& decision);

// The two secrets masking needs, derived from one master secret with
// HMAC-SHA256 under distinct labels (a hash token never reveals the key
// that seals pagination tokens, and the other way round).
masking::MaskKeys derive_mask_keys(std::string_view master_secret);

// What the audit record keeps of a call's key values and (audit level full)
// its body, through the audit plan.
struct AuditMasking {
  bool changed = false;             // something was replaced: clear_values_json says what
  bool keys_changed = false;
  std::vector<ddb::KeyValue> keys;  // the call's key values, masked
  std::string request_body;         // audit level full: the body with every value member of
                                    // the operation through the plan (see mask_stage.cpp),
                                    // expressions and PartiQL literals sanitized
  std::string clear_values_json;    // {"keys":[...],"requestBody":"..."}: what to seal
  std::vector<std::string> rules;   // rules whose masks changed something
  std::size_t mask_rules = 0;       // the decision it was computed for (audit_masking_for)
  bool full = false;

  // False when response-phase rules have since added masks or raised the
  // audit level: the plan must be applied again.
  bool current_for(const rules::Decision& decision) const;
};

// `full_body`: the request body when the audit level is full (else empty).
// An empty plan still sanitizes the body's expressions and statements.
AuditMasking mask_for_audit(const ddb::RequestFacts& facts, std::string_view full_body, const masking::MaskPlan& plan,
                            const masking::MaskKeys& keys);

// The audit plan of `decision` (every matched rule's masks) applied to a
// call: what the record keeps of its keys and, at audit level full, of
// `request_body`. Fails closed: a plan that cannot be built keeps no key
// value and no body.
AuditMasking audit_masking_for(const rules::Decision& decision, const ddb::RequestFacts& facts,
                               std::string_view request_body, const masking::MaskKeys& keys);

}  // namespace dynaudit::proxy
