// MaskPlan: the attributes to rewrite in what DynamoDB returns (and in what
// the audit log keeps), compiled once per call from the mask actions of the
// rules that matched. Paths: top-level names ("email"), nested map paths
// ("card.number"), list indexes and wildcards ("cards[*].number",
// "cards[0].number"). See docs/masking.md.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dynaudit::masking {

enum class Method { redact, partial, email, hash, nullify, remove, regex, round };

// "redact", "partial", ... as rule files spell them (rules::MaskAction::method).
std::optional<Method> parse_method(std::string_view name);
std::string_view to_string(Method method);

// One mask, as a rule states it (rules::MaskAction converts 1:1).
struct MaskSpec {
  std::string path;
  Method method = Method::redact;
  int keep_first = 0;        // partial
  int keep_last = 0;         // partial
  std::string replacement;   // redact (default "****"), regex
  std::string pattern;       // regex (ECMAScript)
  double step = 0;           // round
  std::string rule_id;       // for the audit record's maskedRules
};

// Secrets the methods need. `hmac_key` keys `hash` (HMAC-SHA256: stable
// tokens, so masked values can still be joined and counted); `token_key`
// (32 bytes) seals masked key attributes in LastEvaluatedKey so that
// pagination works without revealing them (see seal_pagination_key).
struct MaskKeys {
  std::string hmac_key;
  std::string token_key;
};

class MaskPlan {
 public:
  // nullopt and `error` set for an unusable spec (bad path, bad regex).
  static std::optional<MaskPlan> compile(const std::vector<MaskSpec>& specs, std::string& error);
  MaskPlan();
  ~MaskPlan();
  MaskPlan(MaskPlan&&) noexcept;
  MaskPlan& operator=(MaskPlan&&) noexcept;

  bool empty() const;
  // Top-level attribute names some spec starts with (for key handling).
  const std::vector<std::string>& top_level_names() const;

  struct Compiled;  // masking/compiled_plan.hpp
  const Compiled& compiled() const;

 private:
  std::unique_ptr<Compiled> compiled_;
};

}  // namespace dynaudit::masking
