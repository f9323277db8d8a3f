// A load or reload of the rule files as an audit record: eventName
// "RulesLoad", made by dynaudit's own principal "dynaudit:rules" (identity
// type "dynaudit", which no caller's record has), outcome "applied" or
// "refused", and the change as requestParameters (trigger, rule count, the
// rule set's fingerprint, files, why it was refused). In the chain, the
// rules in force at any moment and their history are evidence that cannot
// be edited afterwards — what a report's change-management rows cite.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/audit_event.hpp"

namespace dynaudit::storage {

inline constexpr std::string_view kRulesLoadEventName = "RulesLoad";
inline constexpr std::string_view kRulesPrincipal = "dynaudit:rules";

struct RulesChange {
  std::chrono::system_clock::time_point time{};
  std::string trigger;      // "start", "signal", "file change"
  bool applied = true;      // false: refused, the previous rules kept running
  std::size_t rules = 0;    // rules in force afterwards
  std::string fingerprint;  // of the rules in force afterwards, "sha256:<hex>"
  std::vector<std::string> files;
  std::vector<std::string> errors;
};

AuditEvent make_rules_change_record(const RulesChange& change);
// nullopt for any record that is not a RulesLoad record of dynaudit's own.
std::optional<RulesChange> rules_change_of_record(const AuditEvent& record);

}  // namespace dynaudit::storage
