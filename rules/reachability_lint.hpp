// The reachability lint of `dynaudit rules check`: finds enforce-mode deny
// rules that refuse one route to some data and leave another open (a deny on
// Scan with PartiQL SELECT allowed; on GetItem with BatchGetItem allowed). A
// heuristic over the rule text, not a proof; docs/rules.md says what it sees.
#pragma once

#include <string>
#include <vector>

#include "rules/load_error.hpp"
#include "rules/rule_snapshot.hpp"

namespace dynaudit::rules {

struct ReachabilityWarning {
  std::string file;  // where the rule is
  int line = 0;
  std::string rule_id;
  std::string message;  // "rule 'x' denies Scan but leaves open ..."
};

// "file:line: warning: message".
std::string format(const ReachabilityWarning& warning);

// Lints compiled rules (loaded as RuleSnapshot::load_files does). Warnings are
// in rule order, at most one per rule and route family.
std::vector<ReachabilityWarning> lint_reachability(const RuleSnapshot::Compiled& rules);

struct ReachabilityLint {
  std::vector<ReachabilityWarning> warnings;
  std::vector<LoadError> errors;  // the files did not load: no warnings then
};

// Loads the files together, as the proxy would, and lints them.
ReachabilityLint lint_rule_files(const std::vector<std::string>& files);
// Same for one file's text; `source` names it.
ReachabilityLint lint_rules_text(const std::string& text, const std::string& source);

}  // namespace dynaudit::rules
