// Per-worker call metrics; see call_metrics.hpp.
#include "proxy/pipeline/call_metrics.hpp"

#include "ddb/operation_catalog.hpp"
#include "rules/rule.hpp"

namespace dynaudit::proxy {
namespace {

constexpr std::string_view kNoTable = "_none";
constexpr std::string_view kManyTables = "_multi";
constexpr std::array<std::string_view, CallMetrics::kOutcomes> kOutcomeNames{
    "forwarded", "rejected", "denied", "withheld", "upstream_error", "endpoint", "_other"};
constexpr std::array<std::string_view, CallMetrics::kDecisions> kDecisionNames{"none", "allow", "deny"};
constexpr std::array<std::string_view, CallMetrics::kStatusClasses> kStatusNames{"1xx", "2xx", "3xx", "4xx", "5xx"};

// Catalog operations, then `_none` (no X-Amz-Target) and `_other` (a
// target the catalog does not know: its name is the caller's to choose).
std::size_t operation_count() { return ddb::all_operations().size() + 2; }

std::string_view operation_name(std::size_t index) {
  const auto ops = ddb::all_operations();
  if (index < ops.size()) return ops[index].name;
  return index == ops.size() ? "_none" : "_other";
}

std::size_t outcome_index(std::string_view outcome) {
  for (std::size_t i = 0; i + 1 < kOutcomeNames.size(); ++i)
    if (kOutcomeNames[i] == outcome) return i;
  return kOutcomeNames.size() - 1;
}

std::size_t status_index(unsigned status) {
  if (status < 100 || status >= 600) return 4;  // never sent; counted as a server error
  return status / 100 - 1;
}

std::vector<std::string> with_special_tables(std::vector<std::string> tables) {
  tables.insert(tables.begin(), {std::string(kNoTable), std::string(kManyTables)});
  return tables;
}

}  // namespace

static std::unordered_map<std::string_view, std::size_t> index_of(const std::vector<std::string>& names) {
  std::unordered_map<std::string_view, std::size_t> index;
  for (std::size_t i = 0; i < names.size(); ++i) index.emplace(names[i], i);
  return index;
}

CallMetricLabels::CallMetricLabels(std::size_t table_capacity, const std::vector<std::string>& configured,
                                   std::vector<std::string> principal_names)
    : tables(table_capacity + 2, with_special_tables(configured)),
      principals(std::move(principal_names)),
      principal_index(index_of(principals)) {}

CallMetrics::CallMetrics(CallMetricLabels& labels)
    : tables_(labels.tables),
      error_types_(labels.error_types),
      rules_(labels.rules),
      table_ids_(labels.tables.id_count()),
      blocks_(new std::atomic<Block*>[operation_count() * table_ids_]),
      latency_(operation_count()),
      upstream_latency_(operation_count()),
      errors_(labels.error_types.id_count()),
      rule_matches_(labels.rules.id_count()),
      principal_index_(labels.principal_index),
      principal_calls_(labels.principals.size() * kDecisions * kStatusClasses) {
  for (std::size_t i = 0; i < operation_count() * table_ids_; ++i) blocks_[i].store(nullptr, std::memory_order_relaxed);
}

CallMetrics::~CallMetrics() {
  for (std::size_t i = 0; i < operation_count() * table_ids_; ++i) delete blocks_[i].load(std::memory_order_relaxed);
}

std::size_t CallMetrics::operation_index(std::string_view operation) const {
  const auto ops = ddb::all_operations();
  if (operation.empty()) return ops.size();
  const auto* info = ddb::find_operation(ddb::ApiFamily::dynamodb, operation);
  if (!info) info = ddb::find_operation(ddb::ApiFamily::streams, operation);
  return info ? static_cast<std::size_t>(info - ops.data()) : ops.size() + 1;
}

void CallMetrics::observe(const CallObservation& call) {
  const std::size_t op = operation_index(call.operation);
  const std::uint32_t table = call.tables.empty()      ? tables_.id(kNoTable)
                              : call.tables.size() > 1 ? tables_.id(kManyTables)
                                                       : tables_.id(call.tables.front());
  auto& slot = blocks_[op * table_ids_ + table];
  Block* block = slot.load(std::memory_order_relaxed);
  if (!block) {
    block = new Block;
    slot.store(block, std::memory_order_release);  // the scrape acquires it
  }
  const std::size_t cell = (static_cast<std::size_t>(call.decision) * kOutcomes + outcome_index(call.outcome)) *
                               kStatusClasses + status_index(call.status);
  block->calls[cell].add();

  latency_[op].observe(call.latency);
  if (call.upstream_latency) upstream_latency_[op].observe(*call.upstream_latency);
  if (!call.error_type.empty()) errors_[error_types_.id(call.error_type)].add();
  if (call.auth_failure) {
    const auto kind = static_cast<std::size_t>(*call.auth_failure);
    if (kind < auth_failures_.size()) auth_failures_[kind].add();
  }
  for (const auto* rule : call.matched_rules) rule_matches_[rules_.id(rule->id)].add();
  if (call.masked) masked_replies_.add();
  if (call.masked_values) masked_values_.add(call.masked_values);
  if (call.decision != CallDecision::none) rule_evaluations_.add();
  for (const auto& attempt : call.upstream_attempts) {
    const auto result = static_cast<std::size_t>(attempt.result);
    if (result < kAttemptResults) upstream_attempts_[(attempt.reused ? kAttemptResults : 0) + result].add();
  }
  if (call.upstream_attempts.size() > 1) upstream_retries_.add(call.upstream_attempts.size() - 1);
  if (!principal_index_.empty() && !call.principal.empty()) {
    if (auto it = principal_index_.find(call.principal); it != principal_index_.end())
      principal_calls_[(it->second * kDecisions + static_cast<std::size_t>(call.decision)) * kStatusClasses +
                       status_index(call.status)]
          .add();
  }
}

void CallMetrics::write(metrics::Exposition& out, std::span<const CallMetrics* const> workers,
                        const CallMetricLabels& labels) {
  using metrics::Type;
  const auto table_names = labels.tables.names();
  const auto table_name = [&](std::size_t id) -> std::string_view {
    return id < table_names.size() ? std::string_view(table_names[id]) : metrics::BoundedLabels::kOther;
  };
  const std::size_t ops = operation_count();
  const std::size_t tables = labels.tables.id_count();

  out.family("dynaudit_requests", Type::counter,
             "Calls answered, by DynamoDB operation, table, rules decision, outcome and HTTP status class.");
  for (std::size_t op = 0; op < ops; ++op) {
    for (std::size_t t = 0; t < tables; ++t) {
      std::array<std::uint64_t, std::tuple_size_v<decltype(Block::calls)>> sums{};
      bool any = false;
      for (const auto* w : workers) {
        const Block* block = w->blocks_[op * w->table_ids_ + t].load(std::memory_order_acquire);
        if (!block) continue;
        any = true;
        for (std::size_t i = 0; i < sums.size(); ++i) sums[i] += block->calls[i].load();
      }
      if (!any) continue;
      for (std::size_t i = 0; i < sums.size(); ++i) {
        if (sums[i] == 0) continue;
        const std::size_t status = i % kStatusClasses;
        const std::size_t outcome = (i / kStatusClasses) % kOutcomes;
        const std::size_t decision = i / (kStatusClasses * kOutcomes);
        out.sample({{"operation", operation_name(op)},
                    {"table", table_name(t)},
                    {"decision", kDecisionNames[decision]},
                    {"outcome", kOutcomeNames[outcome]},
                    {"code", kStatusNames[status]}},
                   sums[i]);
      }
    }
  }

  const auto histograms = [&](std::string_view name, std::string_view help,
                              const std::vector<metrics::LatencyHistogram> CallMetrics::*member) {
    out.family(name, Type::histogram, help);
    for (std::size_t op = 0; op < ops; ++op) {
      metrics::HistogramTotals totals;
      for (const auto* w : workers) totals.add((w->*member)[op]);
      if (!totals.empty()) out.histogram({{"operation", operation_name(op)}}, totals);
    }
  };
  histograms("dynaudit_request_duration_seconds",
             "Time from a complete request to its answer, in the proxy (upstream time included).",
             &CallMetrics::latency_);
  histograms("dynaudit_upstream_duration_seconds",
             "Time waiting for DynamoDB, per forwarded call (all attempts).", &CallMetrics::upstream_latency_);

  // One counter of every worker, summed.
  const auto total = [&](auto&& counter_of) {
    std::uint64_t sum = 0;
    for (const auto* w : workers) sum += counter_of(*w).load();
    return sum;
  };
  // A counter per bounded label id, named by the label set ("_other" last).
  const auto per_label = [&](std::string_view label, const metrics::BoundedLabels& set,
                             const std::vector<metrics::LocalCounter> CallMetrics::*member) {
    const auto names = set.names();
    for (std::size_t id = 0; id < set.id_count(); ++id) {
      const auto sum = total([&](const CallMetrics& w) -> const metrics::LocalCounter& { return (w.*member)[id]; });
      if (sum) out.sample({{label, id < names.size() ? std::string_view(names[id]) : metrics::BoundedLabels::kOther}}, sum);
    }
  };

  out.family("dynaudit_errors", Type::counter, "Error answers, by the short __type the client got.");
  per_label("type", labels.error_types, &CallMetrics::errors_);

  out.family("dynaudit_auth_failures", Type::counter, "Calls refused because the caller could not be authenticated, by reason.");
  for (std::size_t kind = 0; kind < std::tuple_size_v<decltype(auth_failures_)>; ++kind) {
    std::uint64_t sum = 0;
    for (const auto* w : workers) sum += w->auth_failures_[kind].load();
    if (sum) out.sample({{"reason", ddb::short_type(static_cast<ddb::ErrorKind>(kind))}}, sum);
  }

  out.family("dynaudit_rule_matches", Type::counter, "Enforced rules that matched a call, by rule id.");
  per_label("rule", labels.rules, &CallMetrics::rule_matches_);

  out.family("dynaudit_masked_replies", Type::counter, "Replies in which mask rules changed values.");
  std::uint64_t masked = 0;
  for (const auto* w : workers) masked += w->masked_replies_.load();
  out.sample({}, masked);

  out.family("dynaudit_masked_values", Type::counter, "Attribute values that mask rules changed in replies.");
  std::uint64_t masked_values = 0;
  for (const auto* w : workers) masked_values += w->masked_values_.load();
  out.sample({}, masked_values);

  out.family("dynaudit_rule_evaluations", Type::counter, "Calls the rules were evaluated for.");
  std::uint64_t evaluations = 0;
  for (const auto* w : workers) evaluations += w->rule_evaluations_.load();
  out.sample({}, evaluations);

  static constexpr std::array<std::string_view, kAttemptResults> kResults{"response", "connect_failed", "closed",
                                                                         "reset",    "timeout",        "failed"};
  out.family("dynaudit_upstream_attempts", Type::counter,
             "Tries of sending a call to DynamoDB, by connection (new or reused from the pool) and result.");
  for (std::size_t i = 0; i < 2 * kAttemptResults; ++i) {
    std::uint64_t sum = 0;
    for (const auto* w : workers) sum += w->upstream_attempts_[i].load();
    if (sum) out.sample({{"connection", i >= kAttemptResults ? "reused" : "new"}, {"result", kResults[i % kAttemptResults]}}, sum);
  }
  out.family("dynaudit_principal_requests", Type::counter,
             "Calls by the principals listed in metrics.principals (nobody else is named), by decision and status class.");
  for (std::size_t p = 0; p < labels.principals.size(); ++p) {
    for (std::size_t d = 0; d < kDecisions; ++d) {
      for (std::size_t c = 0; c < kStatusClasses; ++c) {
        std::uint64_t sum = 0;
        for (const auto* w : workers) sum += w->principal_calls_[(p * kDecisions + d) * kStatusClasses + c].load();
        if (sum)
          out.sample({{"principal", labels.principals[p]}, {"decision", kDecisionNames[d]}, {"code", kStatusNames[c]}},
                     sum);
      }
    }
  }

  out.family("dynaudit_upstream_retries", Type::counter, "Tries after a call's first (a stale or failed connection).");
  std::uint64_t retries = 0;
  for (const auto* w : workers) retries += w->upstream_retries_.load();
  out.sample({}, retries);
}

}  // namespace dynaudit::proxy
