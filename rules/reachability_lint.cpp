// The reachability lint: for each enforce-mode deny rule, which route
// families (reachability_paths.cpp) it closes some routes of, and whether the
// rule itself or the deny rules that apply wherever it does (condition_parts)
// close the others. See reachability_lint.hpp and docs/rules.md.
#include "rules/reachability_lint.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>

#include "ddb/operation_catalog.hpp"
#include "rules/compiled.hpp"
#include "rules/condition_parts.hpp"
#include "rules/reachability_paths.hpp"

namespace dynaudit::rules {
namespace {

using reach::AccessPath;
using reach::PathFamily;
using reach::ProbeCall;

struct DenyRule {
  const Rule* rule;
  ConditionParts parts;
};

bool denies(const std::vector<const DenyRule*>& rules, const ProbeCall& call) {
  return std::any_of(rules.begin(), rules.end(),
                     [&](const DenyRule* r) { return operation_conditions_hold(r->parts.operation, call); });
}

// Indexes of the path's calls that none of `rules` denies.
std::vector<std::size_t> open_calls(const AccessPath& path, const std::vector<const DenyRule*>& rules) {
  std::vector<std::size_t> open;
  for (std::size_t i = 0; i < path.calls.size(); ++i)
    if (!denies(rules, path.calls[i])) open.push_back(i);
  return open;
}

bool closed(const AccessPath& path, const std::vector<const DenyRule*>& rules) {
  const std::size_t open = open_calls(path, rules).size();
  return path.closing == reach::Closing::every_call ? open == 0 : open < path.calls.size();
}

// A condition the message can suggest, compiled as the loader would.
struct Suggestion {
  std::string text;
  Condition condition;
  // May be offered as covering the routes the rule denies as well, i.e. as a
  // replacement for the rule's operation condition. A partiql glob is only
  // offered for the PartiQL routes left over.
  bool can_replace = true;
};

Suggestion class_suggestion(std::string_view name, std::uint8_t bits) {
  Suggestion s;
  s.text = "operation_class: " + std::string(name);
  s.condition.kind = CondKind::operation_class;
  s.condition.classes = bits;
  return s;
}

Suggestion select_suggestion() {
  Suggestion s;
  s.text = "partiql: \"select *\"";
  s.condition.kind = CondKind::partiql;
  std::string error;
  s.condition.globs.push_back(*Glob::compile("select *", GlobOptions{true, true}, error));
  s.can_replace = false;
  return s;
}

// What can cover a family without naming operations, in the order they are
// tried for the routes left over. The admin class is never suggested: it
// would refuse DescribeTable and the like too.
std::vector<Suggestion> suggestions_for(reach::FamilyKind kind) {
  switch (kind) {
    case reach::FamilyKind::item_reads:
      return {select_suggestion(), class_suggestion("scan-like", kClassScanLike), class_suggestion("read", kClassRead)};
    case reach::FamilyKind::item_writes: return {class_suggestion("write", kClassWrite)};
    case reach::FamilyKind::table_destruction: return {};
  }
  return {};
}

// Whether a rule denying exactly `condition` would close the path.
bool closes(const Condition& condition, const AccessPath& path) {
  DenyRule rule{nullptr, {}};
  rule.parts.operation = {&condition};
  return closed(path, {&rule});
}

bool admin_only(const AccessPath& path) {
  const auto ops = ddb::all_operations();
  return std::all_of(path.calls.begin(), path.calls.end(),
                     [&](const ProbeCall& c) { return ops[c.operation].op_class == ddb::OperationClass::admin; });
}

std::string join(const std::vector<std::string>& items, std::string_view sep = ", ") {
  std::string out;
  for (const std::string& s : items) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

// An open route, with the statement left open when some of its statements are
// denied (the rest are, so the reader sees which form gets through).
std::string open_label(const AccessPath& path, const std::vector<const DenyRule*>& rules) {
  const auto open = open_calls(path, rules);
  if (open.empty() || open.size() == path.calls.size() || path.calls[open.front()].statement.empty())
    return path.label;
  const std::string example = ", e.g. " + path.calls[open.front()].statement;
  if (path.label.ends_with(')')) return path.label.substr(0, path.label.size() - 1) + example + ")";
  return path.label + example;
}

// "operation_class: scan-like covers Scan and Query, ...; name the rest: operation: [...]".
std::string how_to_cover(reach::FamilyKind family, std::vector<const AccessPath*> triggers,
                         std::vector<const AccessPath*> open) {
  // Routes only of admin operations are named: no class fits them.
  std::vector<const AccessPath*> by_name;
  std::erase_if(open, [&](const AccessPath* p) {
    if (!admin_only(*p)) return false;
    by_name.push_back(p);
    return true;
  });
  std::erase_if(triggers, [](const AccessPath* p) { return admin_only(*p); });
  std::vector<std::string> parts;
  const auto suggestions = suggestions_for(family);
  std::vector<bool> used(suggestions.size(), false);
  const auto take = [&](std::size_t i, bool with_triggers) {
    std::vector<std::string> covered;
    std::erase_if(open, [&](const AccessPath* p) {
      if (!closes(suggestions[i].condition, *p)) return false;
      covered.push_back(p->label);
      return true;
    });
    if (covered.empty()) return;
    used[i] = true;
    std::string text = suggestions[i].text + " covers ";
    if (with_triggers) {
      std::vector<std::string> names;
      for (const AccessPath* t : triggers) names.push_back(t->label);
      text += join(names) + " and ";
    }
    parts.push_back(text + join(covered));
  };
  // First a class that also covers what the rule denies (it could replace the
  // rule's operation condition: the "operation_class that covers both"), then
  // whatever covers the rest.
  if (!triggers.empty())
    for (std::size_t i = 0; i < suggestions.size(); ++i) {
      const Condition& c = suggestions[i].condition;
      if (!suggestions[i].can_replace ||
          !std::all_of(triggers.begin(), triggers.end(), [&](const AccessPath* t) { return closes(c, *t); }))
        continue;
      take(i, true);
      if (used[i]) break;
    }
  for (std::size_t i = 0; i < suggestions.size(); ++i)
    if (!used[i]) take(i, false);
  by_name.insert(by_name.end(), open.begin(), open.end());
  if (!by_name.empty()) {
    const auto ops = ddb::all_operations();
    std::vector<std::string> names;
    for (const AccessPath* p : by_name)
      for (const ProbeCall& c : p->calls) {
        const std::string name(ops[c.operation].name);
        if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
      }
    parts.push_back((parts.empty() ? "deny them too: operation: [" : "name the rest: operation: [") + join(names) +
                    "]");
  }
  return join(parts, "; ");
}

std::optional<ReachabilityWarning> lint_family(const DenyRule& rule, const PathFamily& family,
                                               const std::vector<const DenyRule*>& peers) {
  const std::vector<const DenyRule*> alone = {&rule};
  std::vector<const AccessPath*> triggers;
  for (const AccessPath& p : family.paths)
    if (p.triggers && closed(p, alone)) triggers.push_back(&p);
  if (triggers.empty()) return std::nullopt;
  int level = triggers.front()->level;
  for (const AccessPath* t : triggers) level = std::min(level, t->level);

  std::vector<const AccessPath*> open;
  for (const AccessPath& p : family.paths)
    if (p.level >= level && !closed(p, peers)) open.push_back(&p);
  if (open.empty()) return std::nullopt;

  std::vector<std::string> denied, left;
  for (const AccessPath* t : triggers) denied.push_back(t->label);
  for (const AccessPath* p : open) left.push_back(open_label(*p, peers));
  ReachabilityWarning w;
  w.file = rule.rule->file;
  w.line = rule.rule->line;
  w.rule_id = rule.rule->id;
  w.message = "rule '" + rule.rule->id + "' denies " + join(denied) + " but leaves open " + join(left) + ", which " +
              std::string(family.reach) + "; " + how_to_cover(family.kind, triggers, open);
  return w;
}

ReachabilityLint lint_loaded(const RuleSnapshot::Compiled& compiled, std::vector<LoadError> errors) {
  ReachabilityLint out;
  out.errors = std::move(errors);
  if (out.errors.empty()) out.warnings = lint_reachability(compiled);
  return out;
}

}  // namespace

std::string format(const ReachabilityWarning& w) {
  return w.file + ":" + std::to_string(w.line) + ": warning: " + w.message;
}

std::vector<ReachabilityWarning> lint_reachability(const RuleSnapshot::Compiled& compiled) {
  // Enforce-mode denies the lint can reason about (condition_parts.hpp).
  std::vector<DenyRule> denies;
  for (std::size_t i = 0; i < compiled.rules.size(); ++i) {
    const Rule& r = compiled.rules[i];
    if (r.effect != Effect::deny || r.mode != RuleMode::enforce) continue;
    ConditionParts parts = split_conditions(compiled.compiled[i]);
    if (parts.analysable) denies.push_back({&r, std::move(parts)});
  }
  std::vector<ReachabilityWarning> warnings;
  for (const DenyRule& rule : denies) {
    // The rule and every deny that applies wherever it does: same or
    // broader table, principal, group, network, time.
    std::vector<const DenyRule*> peers;
    for (const DenyRule& other : denies)
      if (&other == &rule || scope_implies(rule.parts.scope, other.parts.scope)) peers.push_back(&other);
    for (const PathFamily& family : reach::path_families(sample_table(rule.parts.scope)))
      if (auto w = lint_family(rule, family, peers)) warnings.push_back(std::move(*w));
  }
  return warnings;
}

ReachabilityLint lint_rules_text(const std::string& text, const std::string& source) {
  RuleSnapshot::Compiled compiled;
  compiled.files.push_back(source);
  std::vector<LoadError> errors;
  LoadState state;
  load_rules_text(text, source, compiled, errors, state);
  return lint_loaded(compiled, std::move(errors));
}

ReachabilityLint lint_rule_files(const std::vector<std::string>& files) {
  // Read as RuleSnapshot::load_files reads them (its compiled rules are
  // private to the snapshot, so the lint compiles its own copy).
  RuleSnapshot::Compiled compiled;
  compiled.files = files;
  std::vector<LoadError> errors;
  LoadState state;
  for (const std::string& file : files) {
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0) {
      errors.push_back(LoadError{file, 0, 0, std::string("cannot read rule file: ") + std::strerror(errno)});
      continue;
    }
    if (!S_ISREG(st.st_mode)) {
      errors.push_back(LoadError{file, 0, 0, "cannot read rule file: not a regular file"});
      continue;
    }
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      errors.push_back(LoadError{file, 0, 0, "cannot read rule file"});
      continue;
    }
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) {
      errors.push_back(LoadError{file, 0, 0, "cannot read rule file"});
      continue;
    }
    load_rules_text(text.str(), file, compiled, errors, state);
  }
  return lint_loaded(compiled, std::move(errors));
}

}  // namespace dynaudit::rules
