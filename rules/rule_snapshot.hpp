// RuleSnapshot: a rule set compiled into matchers, immutable once built and
// shared by every worker; a reload builds a new one and swaps it in
// (rule_engine.hpp). Evaluation is deny-overrides: any matching enforce-mode
// deny decides; else a matching allow; else the default effect.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "rules/context.hpp"
#include "rules/decision.hpp"
#include "rules/load_error.hpp"
#include "rules/rate_state.hpp"
#include "rules/rule.hpp"

namespace dynaudit::rules {

struct EngineSettings {
  Effect default_effect = Effect::allow;
  AuditLevel default_audit_level = AuditLevel::metadata;
};

class RuleSnapshot;

struct SnapshotResult {
  std::shared_ptr<const RuleSnapshot> snapshot;  // null when errors is not empty
  std::vector<LoadError> errors;
};

class RuleSnapshot {
 public:
  // Loads, validates and compiles the files (each a YAML rule file, see
  // docs/rules.md). Rule ids must be unique across all files.
  static SnapshotResult load_files(const std::vector<std::string>& files, const EngineSettings& settings);
  // Same from text; `source` names it in errors.
  static SnapshotResult load_text(const std::string& text, const std::string& source, const EngineSettings& settings);

  // Request phase: evaluates every request-phase rule; fills `out` (reset first).
  void evaluate_request(const RequestContext& request, RateState& rates, Decision& out) const;
  // Response phase: evaluates response-phase rules and merges them into
  // `inout` (the request-phase decision). A newly matching deny sets
  // `denied_in_response`.
  void evaluate_response(const RequestContext& request, const ResponseContext& response, RateState& rates,
                         Decision& inout) const;

  bool has_response_rules() const;
  const std::vector<Rule>& rules() const;
  const EngineSettings& settings() const;
  const std::vector<std::string>& files() const;
  // "sha256:<hex>" over the files' names and bytes (rule_fingerprint.hpp).
  const std::string& fingerprint() const;

  ~RuleSnapshot();
  RuleSnapshot(const RuleSnapshot&) = delete;
  RuleSnapshot& operator=(const RuleSnapshot&) = delete;

  struct Compiled;  // the matcher trees; defined in rule_snapshot.cpp

 private:
  explicit RuleSnapshot(std::unique_ptr<Compiled> compiled);
  std::unique_ptr<Compiled> compiled_;
};

}  // namespace dynaudit::rules
