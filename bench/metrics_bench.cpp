// metrics_bench: what counting a call for /metrics costs on the request path
// (CallMetrics::observe: the operation's catalog lookup, the table's label
// id from the worker's cache, one counter block cell, two histograms, rule
// matches), and what a scrape of two busy workers costs. The target
// (issue 13) is <= 0.3 us per call. Prints ns per call. See bench/README.md.
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "metrics/exposition.hpp"
#include "proxy/pipeline/call_metrics.hpp"
#include "rules/rule.hpp"

namespace {

using namespace dynaudit;
using Clock = std::chrono::steady_clock;

double ns_per(Clock::duration d, std::size_t n) {
  return static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(d).count()) / static_cast<double>(n);
}

}  // namespace

int main() {
  proxy::CallMetricLabels labels(64, {});
  proxy::CallMetrics worker(labels), other(labels);

  // A mix like a service's traffic: reads and writes on a few tables (some
  // names longer than the small-string buffer), one rule match in ten.
  const char* const operations[] = {"GetItem", "Query", "PutItem", "UpdateItem", "BatchGetItem", "Scan"};
  std::vector<std::vector<std::string>> tables = {
      {"orders"}, {"customer-profiles-production"}, {"payments"}, {"orders", "payments"}, {"sessions-eu-west-1"}};
  rules::Rule rule;
  rule.id = "tag-pci-reads";
  const std::vector<const rules::Rule*> matched{&rule};

  std::vector<proxy::CallObservation> calls;
  for (int i = 0; i < 60; ++i) {
    proxy::CallObservation c;
    c.operation = operations[i % 6];
    c.tables = tables[static_cast<std::size_t>(i) % tables.size()];
    c.decision = proxy::CallDecision::allow;
    c.outcome = i % 17 == 0 ? "denied" : "forwarded";
    c.status = i % 17 == 0 ? 400 : 200;
    if (i % 17 == 0) c.error_type = "AccessDeniedException";
    c.latency = std::chrono::microseconds(300 + 37 * i);
    c.upstream_latency = std::chrono::microseconds(200 + 31 * i);
    if (i % 10 == 0) c.matched_rules = matched;
    calls.push_back(c);
  }

  constexpr std::size_t kCalls = 20'000'000;
  for (std::size_t i = 0; i < 100'000; ++i) worker.observe(calls[i % calls.size()]);  // warm the caches
  const auto start = Clock::now();
  for (std::size_t i = 0; i < kCalls; ++i) worker.observe(calls[i % calls.size()]);
  const auto observed = Clock::now() - start;
  for (std::size_t i = 0; i < 100'000; ++i) other.observe(calls[i % calls.size()]);

  constexpr int kScrapes = 200;
  std::size_t bytes = 0;
  const std::vector<const proxy::CallMetrics*> workers{&worker, &other};
  const auto scrape_start = Clock::now();
  for (int i = 0; i < kScrapes; ++i) {
    metrics::Exposition out(metrics::Format::openmetrics);
    proxy::CallMetrics::write(out, workers, labels);
    bytes = out.finish().size();
  }
  const auto scraped = Clock::now() - scrape_start;

  std::printf("observe: %.1f ns per call (%zu calls; target <= 300 ns)\n", ns_per(observed, kCalls), kCalls);
  std::printf("scrape of 2 workers: %.1f us (%zu bytes of call metrics)\n", ns_per(scraped, kScrapes) / 1000.0, bytes);
  return 0;
}
