// Hash tokens for values the audit log cannot tie to an attribute
// (:placeholders, PartiQL parameters and literals, values echoed in error
// messages): the `hash` mask method's HMAC-SHA256 under the masking key, so a
// token in a statement or a message equals the token of the same value in a
// hashed ExpressionAttributeValues and can be joined, but not reversed.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <simdjson.h>

#include "masking/mask_plan.hpp"

namespace dynaudit::proxy {

class AuditTokens {
 public:
  explicit AuditTokens(const masking::MaskKeys& keys);

  // An AttributeValue (JSON text) with every scalar inside hashed:
  // {"S":"h:<32 hex>"}, {"N":"<52-bit integer>"}, ... ; {"S":"****"} if it
  // cannot be hashed (not JSON), so a clear value never comes back.
  std::string value(std::string_view attribute_value_json);
  // "h:<32 hex>": the token of S text.
  std::string string(std::string_view text);
  // The token of N text (a decimal integer); the text need not be a valid number.
  std::string number(std::string_view text);

 private:
  const masking::MaskKeys& keys_;
  std::optional<masking::MaskPlan> plan_;  // compiled on first use: most records need no token
  simdjson::dom::parser parser_;
};

}  // namespace dynaudit::proxy
