// Shared helpers for the masking tests: plans from specs, fixed keys, and
// masking one attribute value or item.
#pragma once

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "av_validator.hpp"
#include "masking/mask_plan.hpp"
#include "masking/response_masker.hpp"

namespace dynaudit::masking::testing {

inline MaskKeys test_keys() {
  MaskKeys keys;
  keys.hmac_key = "unit-test-hmac-key";
  keys.token_key = std::string(32, 'k');
  return keys;
}

inline MaskSpec spec(std::string path, Method method, std::string rule_id = "r1") {
  MaskSpec s;
  s.path = std::move(path);
  s.method = method;
  s.rule_id = std::move(rule_id);
  return s;
}

inline MaskPlan plan_of(const std::vector<MaskSpec>& specs) {
  std::string error;
  auto plan = MaskPlan::compile(specs, error);
  INFO(error);
  REQUIRE(plan);
  return std::move(*plan);
}

// The item after masking (the original when unchanged); fails on error.
inline std::string mask_item(const std::vector<MaskSpec>& specs, const std::string& item,
                             const MaskKeys& keys = test_keys()) {
  const auto plan = plan_of(specs);
  const auto out = mask_item_json(item, plan, keys);
  INFO(out.error);
  REQUIRE(out.error.empty());
  const std::string result = out.changed ? out.body : item;
  INFO(result);
  CHECK(check_item_json(result) == "");
  return result;
}

// One attribute "a" with the given AttributeValue, masked by one spec on
// path `path` (default "a"); returns the masked AttributeValue text, or
// "<removed>".
inline std::string mask_av(const MaskSpec& s, const std::string& av) {
  const std::string item = "{\"a\":" + av + "}";
  const std::string out = mask_item({s}, item);
  if (out == "{}") return "<removed>";
  REQUIRE(out.substr(0, 5) == "{\"a\":");
  return out.substr(5, out.size() - 6);
}

}  // namespace dynaudit::masking::testing
