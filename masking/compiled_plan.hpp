// What MaskPlan::compile produces: parsed paths, compiled regexes, exact
// round steps, and the specs indexed by the top-level attribute they start
// with, which is all the response masker looks up per item member.
#pragma once

#include <cstddef>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "masking/decimal.hpp"
#include "masking/mask_plan.hpp"

namespace dynaudit::masking {

struct PathStep {
  enum class Kind { name, index, wildcard };
  Kind kind = Kind::name;
  std::string name;
  std::size_t index = 0;
};

struct CompiledSpec {
  MaskSpec spec;
  std::vector<PathStep> steps;  // steps[0] is always a name
  std::optional<std::regex> regex;
  DecimalStep round_step;
  std::string redact_text;  // replacement or "****"
};

struct MaskPlan::Compiled {
  std::vector<CompiledSpec> specs;
  // Distinct top-level names; specs_of[i] lists the specs (in plan order)
  // whose path starts with top_names[i]; seal[i]: some spec masks the whole
  // top-level attribute, so it is sealed in LastEvaluatedKey.
  std::vector<std::string> top_names;
  std::vector<std::vector<std::size_t>> specs_of;
  std::vector<bool> seal;
  bool needs_hmac = false;

  // Index into top_names, or -1.
  int find_top(std::string_view name) const {
    for (std::size_t i = 0; i < top_names.size(); ++i)
      if (top_names[i] == name) return static_cast<int>(i);
    return -1;
  }
};

// Parses "a", "a.b", "a[2].b", "a[*]"; false for anything else.
bool parse_path(std::string_view path, std::vector<PathStep>& steps);

}  // namespace dynaudit::masking
