// Evaluation of a compiled rule set: walks each rule's condition tree over
// the request (and response) and merges matching rules into a Decision with
// deny-overrides. Allocates nothing once the Decision's vectors have grown.
#include "rules/rule_snapshot.hpp"

#include <algorithm>

#include "rules/compiled.hpp"

namespace dynaudit::rules {
namespace {

struct Input {
  const RequestContext& req;
  const ResponseContext* resp;  // null in the request phase
};

bool iequals_prefix(std::string_view s, std::string_view lower_prefix) {
  if (s.size() < lower_prefix.size()) return false;
  for (std::size_t i = 0; i < lower_prefix.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    if (c != lower_prefix[i]) return false;
  }
  return true;
}

bool is_select(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r' ||
                        s.front() == '(')) s.remove_prefix(1);
  return iequals_prefix(s, "select");
}

// Any statement of the call: one SELECT in a batch makes the batch scan-like.
bool is_select(const ddb::RequestFacts& f) {
  for (const std::string& statement : f.partiql_statements)
    if (is_select(statement)) return true;
  return false;
}

bool scan_like(const ddb::RequestFacts& f) {
  if (!f.info) return false;
  const std::string_view n = f.info->name;
  if (f.info->family == ddb::ApiFamily::streams) return n == "GetRecords";
  if (n == "Scan" || n == "Query" || n.starts_with("Export")) return true;
  if (n == "ExecuteStatement" || n == "BatchExecuteStatement") return is_select(f);
  return false;
}

bool compare_all(const std::vector<NumCompare>& cs, double v) {
  for (const NumCompare& c : cs) {
    bool ok = false;
    switch (c.op) {
      case CompareOp::gt: ok = v > c.value; break;
      case CompareOp::gte: ok = v >= c.value; break;
      case CompareOp::lt: ok = v < c.value; break;
      case CompareOp::lte: ok = v <= c.value; break;
      case CompareOp::eq: ok = v == c.value; break;
    }
    if (!ok) return false;
  }
  return true;
}

bool any_glob(const std::vector<Glob>& globs, std::string_view s) {
  for (const Glob& g : globs)
    if (g.match(s)) return true;
  return false;
}

bool cidr_contains(const Cidr& c, const SourceAddress& a) {
  int bits = c.prefix;
  for (std::size_t i = 0; i < 16 && bits > 0; ++i, bits -= 8) {
    const std::uint8_t mask = bits >= 8 ? 0xFF : static_cast<std::uint8_t>(0xFF << (8 - bits));
    if ((a.bytes[i] & mask) != c.bytes[i]) return false;
  }
  return true;
}

bool any_path(const std::vector<AttributePath>& rule_paths, const std::vector<std::string>& facts) {
  for (const std::string& f : facts)
    for (const AttributePath& p : rule_paths)
      if (attribute_path_matches(p, f)) return true;
  return false;
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

bool in_window(const TimeWindow& w, std::chrono::system_clock::time_point tp) {
  const std::int64_t t =
      std::chrono::floor<std::chrono::seconds>(tp.time_since_epoch()).count();
  const std::int64_t local = t + w.zone.offset_at(t);
  const std::int64_t day = floor_div(local, 86400);
  const auto dow = static_cast<int>(((day % 7) + 7 + 4) % 7);  // 0 = Sunday
  if (!(w.days & (1u << dow))) return false;
  const auto minute = static_cast<int>((local - day * 86400) / 60);
  if (w.start_minute <= w.end_minute) return minute >= w.start_minute && minute < w.end_minute;
  return minute >= w.start_minute || minute < w.end_minute;
}

bool eval(const Condition& c, const Input& in);

bool eval_all(const std::vector<Condition>& cs, const Input& in) {
  for (const Condition& c : cs)
    if (!eval(c, in)) return false;
  return true;
}

bool eval(const Condition& c, const Input& in) {
  const ddb::RequestFacts* f = in.req.facts;
  switch (c.kind) {
    case CondKind::all: return eval_all(c.children, in);
    case CondKind::any:
      for (const Condition& child : c.children)
        if (eval(child, in)) return true;
      return false;
    case CondKind::not_: return !eval_all(c.children, in);
    case CondKind::operation: {
      if (!f) return false;
      const auto ops = ddb::all_operations();
      if (!f->info) {
        if (!c.operations_by_name) return false;
        for (std::size_t i = 0; i < ops.size() && i < c.operations.size(); ++i)
          if (c.operations[i] && ops[i].name == f->operation) return true;
        return false;
      }
      const auto idx = static_cast<std::size_t>(f->info - ops.data());
      return idx < c.operations.size() && c.operations[idx];
    }
    case CondKind::operation_class: {
      // No facts (no X-Amz-Target) or a target outside the catalog.
      if (!f || !f->info) return (c.classes & kClassUnknown) != 0;
      std::uint8_t bit = 0;
      switch (f->info->op_class) {
        case ddb::OperationClass::read: bit = kClassRead; break;
        case ddb::OperationClass::write: bit = kClassWrite; break;
        case ddb::OperationClass::admin: bit = kClassAdmin; break;
      }
      if (c.classes & bit) return true;
      return (c.classes & kClassScanLike) && scan_like(*f);
    }
    case CondKind::table:
      if (!f) return false;
      for (const std::string& t : f->tables)
        if (any_glob(c.globs, t)) return true;
      return false;
    case CondKind::principal: return any_glob(c.globs, in.req.principal);
    case CondKind::group:
      if (!in.req.groups) return false;
      for (const std::string& g : *in.req.groups)
        for (const std::string& n : c.names)
          if (g == n) return true;
      return false;
    case CondKind::authenticated: return in.req.verified == c.flag;
    case CondKind::tls: return in.req.tls == c.flag;
    case CondKind::source_ip:
      if (!in.req.source.valid) return false;
      for (const Cidr& cidr : c.cidrs)
        if (cidr_contains(cidr, in.req.source)) return true;
      return false;
    case CondKind::attributes_read:
      if (!f) return false;
      return f->reads_all_attributes || any_path(c.paths, f->attributes_read);
    case CondKind::attributes_written:
      if (!f) return false;
      return any_path(c.paths, f->attributes_written);
    case CondKind::attributes:
      if (!f) return false;
      return f->reads_all_attributes || any_path(c.paths, f->attributes_read) ||
             any_path(c.paths, f->attributes_written);
    case CondKind::key:
      if (!f) return false;
      for (const ddb::KeyValue& k : f->keys) {
        if (k.attribute != c.key_attribute) continue;
        if (c.key_has_table && !c.globs.front().match(k.table)) continue;
        if (c.key_has_prefix) {
          if (std::string_view(k.value).starts_with(c.key_prefix)) return true;
        } else {
          for (const std::string& v : c.names)
            if (k.value == v) return true;
        }
      }
      return false;
    case CondKind::item_count: return f && compare_all(c.compares, static_cast<double>(f->item_count));
    case CondKind::request_bytes: return f && compare_all(c.compares, static_cast<double>(f->body_bytes));
    case CondKind::partiql:
      if (!f) return false;
      for (const std::string& statement : f->partiql_statements)
        if (any_glob(c.globs, statement) && (c.except_globs.empty() || !any_glob(c.except_globs, statement))) return true;
      return false;
    case CondKind::time: return in_window(*c.time, in.req.time);
    case CondKind::status:
      if (!in.resp) return false;
      if (!c.statuses.empty())
        return std::find(c.statuses.begin(), c.statuses.end(), in.resp->status) != c.statuses.end();
      return compare_all(c.compares, in.resp->status);
    case CondKind::error_type:
      if (!in.resp || in.resp->error_type.empty()) return false;
      for (const std::string& n : c.names)
        if (in.resp->error_type == n) return true;
      return false;
    case CondKind::returned_items:
      return in.resp && compare_all(c.compares, static_cast<double>(in.resp->item_count));
    case CondKind::consumed_capacity: return in.resp && compare_all(c.compares, in.resp->consumed_capacity);
    case CondKind::response_bytes: return in.resp && compare_all(c.compares, static_cast<double>(in.resp->bytes));
  }
  return false;
}

// The conditions of one rule, the rate last (counted only when the rest holds).
bool rule_matches(const Rule& rule, const CompiledRule& cr, const Input& in, RateState& rates) {
  if (!eval_all(cr.when, in)) return false;
  if (!cr.rate) return true;
  const RateSpec& r = *cr.rate;
  const ddb::RequestFacts* f = in.req.facts;
  std::string_view table = (f && !f->tables.empty()) ? std::string_view(f->tables.front()) : std::string_view();
  std::string_view key;
  thread_local std::string scratch;  // grows once, then reused
  switch (r.by) {
    case RateBy::principal: key = in.req.principal; break;
    case RateBy::table: key = table; break;
    case RateBy::principal_and_table:
      scratch.assign(in.req.principal);
      scratch.push_back('\x1f');
      scratch.append(table);
      key = scratch;
      break;
  }
  // `items` counts what the call moves: items returned in a response-phase
  // rule (a Scan page's size), items written or keys read otherwise.
  std::uint64_t amount = 1;
  if (r.items && in.resp) amount = std::max<std::uint64_t>(1, in.resp->item_count);
  else if (r.items && f) amount = std::max<std::uint64_t>(1, f->item_count);
  return rates.add(rule.id, key, amount, r.per, in.req.time) > r.limit;
}

void add_tags(const Rule& rule, Decision& d) {
  for (const std::string& t : rule.tags) {
    const std::string_view v = t;
    if (std::find(d.tags.begin(), d.tags.end(), v) == d.tags.end()) d.tags.push_back(v);
  }
}

// Records a matching enforce-mode rule's side effects (not its effect).
void apply_enforce(const Rule& rule, Decision& d, bool& audit_set) {
  d.matched.push_back(&rule);
  add_tags(rule, d);
  if (rule.alert) d.alerts.push_back(&rule);
  if (!rule.mask.empty()) d.masks.push_back(&rule);
  if (rule.audit_level) {
    d.audit_level = audit_set ? std::max(d.audit_level, *rule.audit_level) : *rule.audit_level;
    audit_set = true;
  }
}

}  // namespace

RuleSnapshot::RuleSnapshot(std::unique_ptr<Compiled> compiled) : compiled_(std::move(compiled)) {}
RuleSnapshot::~RuleSnapshot() = default;

bool RuleSnapshot::has_response_rules() const { return compiled_->has_response_rules; }
const std::vector<Rule>& RuleSnapshot::rules() const { return compiled_->rules; }
const EngineSettings& RuleSnapshot::settings() const { return compiled_->settings; }
const std::vector<std::string>& RuleSnapshot::files() const { return compiled_->files; }
const std::string& RuleSnapshot::fingerprint() const { return compiled_->fingerprint; }

void RuleSnapshot::evaluate_request(const RequestContext& request, RateState& rates, Decision& out) const {
  const Compiled& c = *compiled_;
  out.reset(c.settings.default_effect, c.settings.default_audit_level);
  const Input in{request, nullptr};
  const Rule* deny = nullptr;
  const Rule* allow = nullptr;
  const Rule* any_deny = nullptr;   // enforce and shadow together
  const Rule* any_allow = nullptr;
  bool audit_set = false;
  for (std::size_t i = 0; i < c.rules.size(); ++i) {
    const Rule& rule = c.rules[i];
    if (rule.phase != Phase::request) continue;
    if (!rule_matches(rule, c.compiled[i], in, rates)) continue;
    const bool enforce = rule.mode == RuleMode::enforce;
    if (enforce) {
      apply_enforce(rule, out, audit_set);
    } else {
      out.shadow.push_back(&rule);
    }
    if (rule.effect == Effect::deny) {
      if (enforce && !deny) deny = &rule;
      if (!any_deny) any_deny = &rule;
    } else if (rule.effect == Effect::allow) {
      if (enforce && !allow) allow = &rule;
      if (!any_allow) any_allow = &rule;
    }
  }
  if (deny) {
    out.effect = Effect::deny;
    out.determining = deny;
  } else if (allow) {
    out.effect = Effect::allow;
    out.determining = allow;
  }
  if (any_deny) {
    out.shadow_effect = Effect::deny;
    out.shadow_determining = any_deny;
  } else if (any_allow) {
    out.shadow_effect = Effect::allow;
    out.shadow_determining = any_allow;
  }
}

void RuleSnapshot::evaluate_response(const RequestContext& request, const ResponseContext& response,
                                     RateState& rates, Decision& inout) const {
  const Compiled& c = *compiled_;
  if (!c.has_response_rules) return;
  const Input in{request, &response};
  bool audit_set = std::any_of(inout.matched.begin(), inout.matched.end(),
                               [](const Rule* r) { return r->audit_level.has_value(); });
  for (std::size_t i = 0; i < c.rules.size(); ++i) {
    const Rule& rule = c.rules[i];
    if (rule.phase != Phase::response) continue;
    if (!rule_matches(rule, c.compiled[i], in, rates)) continue;
    const bool enforce = rule.mode == RuleMode::enforce;
    if (enforce) {
      apply_enforce(rule, inout, audit_set);
    } else {
      inout.shadow.push_back(&rule);
    }
    if (rule.effect == Effect::deny) {
      if (enforce && inout.effect == Effect::allow) {
        inout.effect = Effect::deny;
        inout.determining = &rule;
        inout.denied_in_response = true;
      }
      if (inout.shadow_effect == Effect::allow) {
        inout.shadow_effect = Effect::deny;
        inout.shadow_determining = &rule;
      }
    }
  }
}

}  // namespace dynaudit::rules
