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

// What the audit record keeps of a call whose values the audit plan masks.
struct AuditMasking {
  bool changed = false;
  std::vector<ddb::KeyValue> keys;  // the call's key values, masked
  std::string request_body;         // audit level full: the body with items masked and
                                    // ExpressionAttributeValues / PartiQL parameters hashed
  std::string clear_values_json;    // {"keys":[...],"requestBody":"..."}: what to seal
  std::vector<std::string> rules;   // rules whose masks changed something
};

// `full_body`: the request body when the audit level is full (else empty).
AuditMasking mask_for_audit(const ddb::RequestFacts& facts, std::string_view full_body, const masking::MaskPlan& plan,
                            const masking::MaskKeys& keys);

}  // namespace dynaudit::proxy
