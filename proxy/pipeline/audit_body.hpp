// The request body as the audit record keeps it (audit level full): every
// member that carries a value according to the service model
// (ddb/value_members.hpp) through the audit plan, expressions and PartiQL
// statements sanitized. The rest of the body is copied as it is.
#pragma once

#include <string>
#include <vector>

#include <simdjson.h>

#include "masking/mask_plan.hpp"

namespace dynaudit::proxy {

struct AuditBody {
  std::string json;                // minified: the audit copy need not be byte-exact
  bool changed = false;            // something was masked, hashed or sanitized
  std::vector<std::string> rules;  // rules whose masks changed something
};

// An empty plan still sanitizes expressions and statements.
AuditBody audit_request_body(simdjson::dom::element body, const masking::MaskPlan& plan,
                             const masking::MaskKeys& keys);

}  // namespace dynaudit::proxy
