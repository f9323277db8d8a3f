// What each worker counts about the calls it answers, for /metrics: calls
// by operation, table, rules decision, outcome and status class; proxy and
// upstream latency per operation; errors by type; authentication failures
// by reason; rule matches by rule id; masked replies. One CallMetrics per
// worker, written only by that worker (no lock, no shared cache line), read
// and summed by the scrape. Label values that come from traffic (tables,
// error types, rule ids) are bounded (metrics/bounded_labels.hpp); the
// operation is one of the catalog's or `_other`. No principal label: a key
// per series would be unbounded and would name who called.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ddb/error_response.hpp"
#include "metrics/bounded_labels.hpp"
#include "metrics/counter.hpp"
#include "metrics/exposition.hpp"
#include "metrics/latency_histogram.hpp"
#include "proxy/net/upstream_attempt.hpp"

namespace dynaudit::rules {
struct Rule;
}

namespace dynaudit::proxy {

// Shared by all workers' CallMetrics; bounded.
struct CallMetricLabels {
  // `tables`: names that always get their own series; others take the
  // remaining `table_capacity` slots first come, then `_other`.
  // `principals`: the only ones named, in dynaudit_principal_requests_total.
  CallMetricLabels(std::size_t table_capacity, const std::vector<std::string>& tables,
                   std::vector<std::string> principals = {});
  metrics::BoundedLabels tables;
  const std::vector<std::string> principals;
  // Index into `principals`; immutable after construction, so workers read it without a lock.
  const std::unordered_map<std::string_view, std::size_t> principal_index;
  metrics::BoundedLabels error_types{64};
  metrics::BoundedLabels rules{256};
};

enum class CallDecision { none, allow, deny };  // none: no rules configured or the call never reached them

// One answered call as the handler saw it.
struct CallObservation {
  std::string_view operation;          // "" when the request named none
  std::span<const std::string> tables;  // the tables it named (first one labels the call; several: `_multi`)
  CallDecision decision = CallDecision::none;
  std::string_view outcome;            // the request log's outcome
  unsigned status = 0;
  std::string_view error_type;         // "" on success
  std::optional<ddb::ErrorKind> auth_failure;
  std::chrono::microseconds latency{0};
  std::optional<std::chrono::microseconds> upstream_latency;  // when it was forwarded
  std::span<const rules::Rule* const> matched_rules;  // enforce-mode rules that matched
  bool masked = false;                 // mask rules changed the reply
  std::size_t masked_values = 0;       // values they changed
  std::span<const UpstreamAttempt> upstream_attempts;  // each try of sending it upstream
  std::string_view principal;  // the caller's name (trust mode: the claimed access key)
};

class CallMetrics {
 public:
  explicit CallMetrics(CallMetricLabels& labels);
  ~CallMetrics();
  CallMetrics(const CallMetrics&) = delete;
  CallMetrics& operator=(const CallMetrics&) = delete;

  void observe(const CallObservation& call);

  // The families, summed over `workers`.
  static void write(metrics::Exposition& out, std::span<const CallMetrics* const> workers,
                    const CallMetricLabels& labels);

  static constexpr std::size_t kDecisions = 3;
  static constexpr std::size_t kOutcomes = 7;  // the request log's six and `_other`
  static constexpr std::size_t kStatusClasses = 5;  // 1xx..5xx
  // The counters of one (operation, table) pair.
  struct Block {
    std::array<metrics::LocalCounter, kDecisions * kOutcomes * kStatusClasses> calls{};
  };

 private:
  std::size_t operation_index(std::string_view operation) const;

  metrics::LabelCache tables_;
  metrics::LabelCache error_types_;
  metrics::LabelCache rules_;
  const std::size_t table_ids_;
  // [operation * table_ids_ + table] -> Block, made on first use and then
  // only read: the scrape may load a pointer the worker has just stored.
  std::unique_ptr<std::atomic<Block*>[]> blocks_;
  std::vector<metrics::LatencyHistogram> latency_;           // per operation
  std::vector<metrics::LatencyHistogram> upstream_latency_;  // per operation
  std::vector<metrics::LocalCounter> errors_;                // per error type id
  // Per ErrorKind (expired_iterator is the last).
  std::array<metrics::LocalCounter, static_cast<std::size_t>(ddb::ErrorKind::expired_iterator) + 1> auth_failures_{};
  std::vector<metrics::LocalCounter> rule_matches_;          // per rule id
  metrics::LocalCounter masked_replies_;
  metrics::LocalCounter masked_values_;
  metrics::LocalCounter rule_evaluations_;
  static constexpr std::size_t kAttemptResults = 6;  // UpstreamAttempt::Result
  std::array<metrics::LocalCounter, 2 * kAttemptResults> upstream_attempts_{};  // [reused][result]
  const std::unordered_map<std::string_view, std::size_t>& principal_index_;
  std::vector<metrics::LocalCounter> principal_calls_;  // [principal][decision][status class]
  metrics::LocalCounter upstream_retries_;
};

}  // namespace dynaudit::proxy
