// Test cases for rule files (`dynaudit rules test`), in the spirit of
// `opa test`: each case is a call (operation, body, caller, source, time,
// optionally the upstream's answer) and the decision the rules must reach.
// Loading is strict like the rule files: unknown keys are errors with lines.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "rules/context.hpp"
#include "rules/rule_snapshot.hpp"

namespace dynaudit::cli {

struct ExpectedDecision {
  rules::Effect effect = rules::Effect::allow;
  std::optional<std::string> rule;  // determining rule; "" = the default effect
  std::optional<std::vector<std::string>> matched, shadow, tags, alerts;
  std::optional<rules::AuditLevel> audit;
  std::optional<bool> withheld;  // a response-phase deny
};

struct RuleCase {
  std::string name;
  int line = 0;
  std::string target;  // "DynamoDB_20120810.Scan"
  std::string body;    // JSON
  std::string principal;
  std::vector<std::string> groups;
  std::string source_ip = "127.0.0.1";
  bool tls = false;
  bool verified = true;
  std::chrono::system_clock::time_point time;
  std::optional<rules::ResponseContext> response;
  std::string response_error_type;  // owns what response->error_type views
  ExpectedDecision expect;
};

struct CaseFile {
  std::optional<rules::Effect> default_effect;
  std::optional<rules::AuditLevel> default_audit;
  std::vector<RuleCase> cases;
  std::vector<std::string> errors;  // "file:line: problem"
};

CaseFile load_rule_cases(const std::string& path);

// Evaluates one case; returns the differences from what it expects (empty:
// the case passes).
std::vector<std::string> run_rule_case(const rules::RuleSnapshot& snapshot, const RuleCase& c);

}  // namespace dynaudit::cli
