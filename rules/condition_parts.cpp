// Splitting rules into operation and scope conditions, evaluating the former
// on a probe call, and proving (conservatively) that one scope is within
// another. See condition_parts.hpp.
#include "rules/condition_parts.hpp"

#include <algorithm>
#include <cstdint>

#include "ddb/operation_catalog.hpp"

namespace dynaudit::rules {
namespace {

// What kinds of condition a subtree holds.
enum : std::uint8_t { kOperationKinds = 1, kScopeKinds = 2, kOtherKinds = 4 };

std::uint8_t kinds_in(const Condition& c) {
  switch (c.kind) {
    case CondKind::all:
    case CondKind::any:
    case CondKind::not_: {
      std::uint8_t k = 0;
      for (const Condition& child : c.children) k |= kinds_in(child);
      return k;
    }
    case CondKind::operation:
    case CondKind::operation_class:
    case CondKind::partiql: return kOperationKinds;
    // Conditions that hold or fail the same way whatever the operation.
    case CondKind::table:
    case CondKind::principal:
    case CondKind::group:
    case CondKind::authenticated:
    case CondKind::source_ip:
    case CondKind::tls:
    case CondKind::time: return kScopeKinds;
    // attributes*, key, item_count, request_bytes and the response facts
    // depend on what the call carries or returns: `key` is false for a Scan,
    // `attributes_read` for an export, `item_count > 25` for a GetItem.
    default: return kOtherKinds;
  }
}

bool is_select(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r' ||
                        s.front() == '(')) s.remove_prefix(1);
  if (s.size() < 6) return false;
  constexpr std::string_view kSelect = "select";
  for (std::size_t i = 0; i < kSelect.size(); ++i) {
    char ch = s[i];
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch + 32);
    if (ch != kSelect[i]) return false;
  }
  return true;
}

// The engine's scan-like (rule_snapshot.cpp), for one probe call.
bool scan_like(const ddb::OperationInfo& info, std::string_view statement) {
  const std::string_view n = info.name;
  if (info.family == ddb::ApiFamily::streams) return n == "GetRecords";
  if (n == "Scan" || n == "Query" || n.starts_with("Export")) return true;
  if (n == "ExecuteStatement" || n == "BatchExecuteStatement") return is_select(statement);
  return false;
}

bool any_glob(const std::vector<Glob>& globs, std::string_view s) {
  return std::any_of(globs.begin(), globs.end(), [&](const Glob& g) { return g.match(s); });
}

bool holds(const Condition& c, const reach::ProbeCall& call) {
  const auto ops = ddb::all_operations();
  switch (c.kind) {
    case CondKind::all:
      return std::all_of(c.children.begin(), c.children.end(), [&](const Condition& x) { return holds(x, call); });
    case CondKind::any:
      return std::any_of(c.children.begin(), c.children.end(), [&](const Condition& x) { return holds(x, call); });
    case CondKind::not_:
      return !std::all_of(c.children.begin(), c.children.end(), [&](const Condition& x) { return holds(x, call); });
    case CondKind::operation: return call.operation < c.operations.size() && c.operations[call.operation];
    case CondKind::operation_class: {
      const ddb::OperationInfo& info = ops[call.operation];
      // Not a switch: a class added to the catalog later (the routes here
      // are all read, write or admin) must not break the build.
      const std::uint8_t bit = info.op_class == ddb::OperationClass::read    ? kClassRead
                               : info.op_class == ddb::OperationClass::write ? kClassWrite
                               : info.op_class == ddb::OperationClass::admin ? kClassAdmin
                                                                             : 0;
      if (c.classes & bit) return true;
      return (c.classes & kClassScanLike) && scan_like(info, call.statement);
    }
    case CondKind::partiql:
      if (call.statement.empty()) return false;
      return any_glob(c.globs, call.statement) && (c.except_globs.empty() || !any_glob(c.except_globs, call.statement));
    default: return false;  // not an operation condition: split_conditions keeps these out
  }
}

// --- equality and implication of scope conditions ---------------------------

bool same_globs(const std::vector<Glob>& a, const std::vector<Glob>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](const Glob& x, const Glob& y) { return x.pattern() == y.pattern(); });
}

bool same_zone(const TimeZone& a, const TimeZone& b) {
  // Zones keep no name; compare their offsets twice a month over two years.
  for (std::int64_t t = 1767225600; t < 1767225600 + 2 * 365 * 86400; t += 15 * 86400)
    if (a.offset_at(t) != b.offset_at(t)) return false;
  return true;
}

bool same_time(const std::shared_ptr<const TimeWindow>& a, const std::shared_ptr<const TimeWindow>& b) {
  if (!a || !b) return a == b;
  return a->days == b->days && a->start_minute == b->start_minute && a->end_minute == b->end_minute &&
         same_zone(a->zone, b->zone);
}

bool same(const Condition& a, const Condition& b) {
  if (a.kind != b.kind || a.children.size() != b.children.size()) return false;
  for (std::size_t i = 0; i < a.children.size(); ++i)
    if (!same(a.children[i], b.children[i])) return false;
  const auto same_cidr = [](const Cidr& x, const Cidr& y) { return x.prefix == y.prefix && x.bytes == y.bytes; };
  return same_globs(a.globs, b.globs) && same_globs(a.except_globs, b.except_globs) && a.names == b.names &&
         a.operations == b.operations && a.classes == b.classes && a.flag == b.flag &&
         std::equal(a.cidrs.begin(), a.cidrs.end(), b.cidrs.begin(), b.cidrs.end(), same_cidr) &&
         same_time(a.time, b.time) &&
         // Kinds split_conditions never puts in a scope: not compared, so never equal.
         a.paths.empty() && b.paths.empty() && a.compares.empty() && b.compares.empty() && a.statuses.empty() &&
         b.statuses.empty() && a.key_attribute.empty() && b.key_attribute.empty();
}

bool has_wildcard(std::string_view pattern) { return pattern.find_first_of("*?[") != std::string_view::npos; }

// Every name `inner` matches, `outer` matches too.
bool glob_within(const Glob& inner, const Glob& outer) {
  if (outer.pattern() == "*" || inner.pattern() == outer.pattern()) return true;
  return !has_wildcard(inner.pattern()) && outer.match(inner.pattern());
}

bool cidr_within(const Cidr& inner, const Cidr& outer) {
  if (outer.prefix > inner.prefix) return false;
  int bits = outer.prefix;
  for (std::size_t i = 0; i < 16 && bits > 0; ++i, bits -= 8) {
    const std::uint8_t mask = bits >= 8 ? 0xFF : static_cast<std::uint8_t>(0xFF << (8 - bits));
    if ((inner.bytes[i] & mask) != outer.bytes[i]) return false;
  }
  return true;
}

// Leaves of the same kind: a holding means b holds.
bool leaf_implies(const Condition& a, const Condition& b) {
  switch (a.kind) {
    case CondKind::table:
    case CondKind::principal:
      // a holds: some name matches some glob of a, so a glob of b as well.
      return std::all_of(a.globs.begin(), a.globs.end(), [&](const Glob& ga) {
        return std::any_of(b.globs.begin(), b.globs.end(), [&](const Glob& gb) { return glob_within(ga, gb); });
      });
    case CondKind::group:
      return std::all_of(a.names.begin(), a.names.end(), [&](const std::string& n) {
        return std::find(b.names.begin(), b.names.end(), n) != b.names.end();
      });
    case CondKind::source_ip:
      return std::all_of(a.cidrs.begin(), a.cidrs.end(), [&](const Cidr& ca) {
        return std::any_of(b.cidrs.begin(), b.cidrs.end(), [&](const Cidr& cb) { return cidr_within(ca, cb); });
      });
    default: return false;  // authenticated, tls, time: only when equal (checked before)
  }
}

using Conjunction = std::vector<const Condition*>;

Conjunction conjunction_of(const std::vector<Condition>& conditions) {
  Conjunction out;
  for (const Condition& c : conditions) out.push_back(&c);
  return out;
}

bool implies(const Condition& a, const Condition& b);

// All of `narrower` holding means all of `broader` hold: each condition of
// `broader` follows from one of `narrower` (sufficient, not necessary).
bool conjunction_implies(const Conjunction& narrower, const Conjunction& broader) {
  return std::all_of(broader.begin(), broader.end(), [&](const Condition* y) {
    return std::any_of(narrower.begin(), narrower.end(), [&](const Condition* x) { return implies(*x, *y); });
  });
}

bool implies(const Condition& a, const Condition& b) {
  if (same(a, b)) return true;
  if (b.kind == CondKind::all) return conjunction_implies({&a}, conjunction_of(b.children));
  if (a.kind == CondKind::all) return conjunction_implies(conjunction_of(a.children), {&b});
  if (a.kind == CondKind::any)  // each alternative of a must lead to b
    return std::all_of(a.children.begin(), a.children.end(), [&](const Condition& x) { return implies(x, b); });
  if (b.kind == CondKind::any)
    return std::any_of(b.children.begin(), b.children.end(), [&](const Condition& y) { return implies(a, y); });
  // not(A) implies not(B) when B implies A.
  if (a.kind == CondKind::not_ && b.kind == CondKind::not_)
    return conjunction_implies(conjunction_of(b.children), conjunction_of(a.children));
  return a.kind == b.kind && leaf_implies(a, b);
}

}  // namespace

ConditionParts split_conditions(const CompiledRule& rule) {
  ConditionParts parts;
  if (rule.rate) return parts;  // a rate makes a deny a limit, not a prohibition
  for (const Condition& c : rule.when) {
    const std::uint8_t k = kinds_in(c);
    if (k == kOperationKinds) parts.operation.push_back(&c);
    else if ((k & ~kScopeKinds) == 0) parts.scope.push_back(&c);
    else return ConditionParts{};
  }
  parts.analysable = true;
  return parts;
}

bool operation_conditions_hold(const std::vector<const Condition*>& operation, const reach::ProbeCall& call) {
  return std::all_of(operation.begin(), operation.end(), [&](const Condition* c) { return holds(*c, call); });
}

bool scope_implies(const std::vector<const Condition*>& narrower, const std::vector<const Condition*>& broader) {
  return conjunction_implies(narrower, broader);
}

std::string sample_table(const std::vector<const Condition*>& scope) {
  for (const Condition* c : scope) {
    if (c->kind != CondKind::table || c->globs.empty()) continue;
    const Glob& g = c->globs.front();
    std::string name;
    for (const char ch : g.pattern()) {
      if (ch == '[' || ch == '"') return "t";
      name += (ch == '*' || ch == '?') ? 'x' : ch;
    }
    return g.match(name) ? name : "t";
  }
  return "t";
}

}  // namespace dynaudit::rules
