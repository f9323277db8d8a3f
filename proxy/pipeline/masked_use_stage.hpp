// The masked-use check: a caller to whom a mask applies may read the masked
// attribute back (masked) and overwrite it. Any other use — in a condition,
// filter or key condition, a function, a range comparison, the source of an
// update, a legacy Expected/QueryFilter/ScanFilter/KeyConditions entry, a
// PartiQL WHERE/SET, a clear ExclusiveStartKey — would let the caller learn
// the value (begins_with one character at a time) or copy it somewhere the
// mask does not cover (SET leak = card_number). Each mask rule says what to
// do with such a use: deny (default), alert, or allow; naming a masked key's
// whole value (Key maps, `=` in a key condition) is allowed by default.
// Pure functions of values; threat model in docs/masking.md.
#pragma once

#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ddb/attribute_use.hpp"
#include "ddb/error_response.hpp"
#include "proxy/auth/principal.hpp"
#include "rules/decision.hpp"

namespace dynaudit::proxy {

struct MaskedUse {
  const rules::Rule* rule = nullptr;  // the mask rule whose protection applies
  std::string mask_path;              // its mask path the use overlaps
  ddb::AttributeUse use;
  rules::ProtectAction action = rules::ProtectAction::deny;
};

struct MaskedUseFindings {
  std::vector<MaskedUse> refused;  // action deny: the call must not be forwarded
  std::vector<MaskedUse> alerted;  // action alert: forwarded, and told
  bool empty() const { return refused.empty() && alerted.empty(); }
};

// Checks `uses` against the mask rules of `decision` that apply to
// `principal` (rules listing one of its groups under unmask_groups do not).
// `is_sealed_token` recognises the proxy's own pagination tokens, the only
// start-key values a masked caller can hold.
MaskedUseFindings find_masked_uses(const rules::Decision& decision, const Principal& principal,
                                   std::span<const ddb::AttributeUse> uses,
                                   const std::function<bool(std::string_view)>& is_sealed_token);

// "card.number: begins_with in FilterExpression": what the record, the
// refusal and the alert say of one use (attribute names only, never values).
std::string describe_use(const MaskedUse& use);
// "<rule> <action>: <describe_use>", for the record's maskedUses.
std::string record_entry(const MaskedUse& use);

// The AccessDeniedException for a refused use, naming the rule and attribute.
ddb::DdbError masked_use_denial(const MaskedUse& use);

// What is refused when the request's uses cannot be worked out at all.
ddb::DdbError unanalysable_masked_request();

}  // namespace dynaudit::proxy
