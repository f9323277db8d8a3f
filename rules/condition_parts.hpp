// A compiled rule's conditions split into what they say about the operation
// (operation, operation_class, partiql) and what they say about the rest of
// the call (who, from where, when, which table), with the questions the
// reachability lint asks of each part. Internal to rules/.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "rules/compiled.hpp"
#include "rules/reachability_paths.hpp"

namespace dynaudit::rules {

struct ConditionParts {
  // False when the rule has a condition of another kind (attributes, key,
  // counts, sizes, response facts, rate) or one mixing operation and scope
  // conditions under all/any/not: the lint does not reason about it.
  bool analysable = false;
  std::vector<const Condition*> operation;  // all must hold
  std::vector<const Condition*> scope;      // all must hold
};

// Splits a rule's top-level conditions (which all must hold).
ConditionParts split_conditions(const CompiledRule& rule);

// Whether every condition in `operation` holds for `call`, evaluated as the
// engine does (rule_snapshot.cpp).
bool operation_conditions_hold(const std::vector<const Condition*>& operation, const reach::ProbeCall& call);

// True when, for every call, all of `narrower` holding means all of `broader`
// hold. Proven only for simple forms (equal conditions, glob lists that
// contain the other's names, sub-networks, group subsets, all/any/not of
// those); false when unsure, so the lint errs towards warning.
bool scope_implies(const std::vector<const Condition*>& narrower, const std::vector<const Condition*>& broader);

// A table name the scope's first `table` glob matches ("cardholder-x" for
// "cardholder-*"), or "t" when there is none or no simple one.
std::string sample_table(const std::vector<const Condition*>& scope);

}  // namespace dynaudit::rules
