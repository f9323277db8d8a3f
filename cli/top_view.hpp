// What `dynaudit top` shows, computed from two scrapes of /metrics taken
// `seconds` apart: calls per second by table and operation, denies and
// error classes, p99 latency per operation over the interval (from the
// histogram's bucket deltas, as Prometheus's histogram_quantile does), and
// the proxy's health (audit store, rules, connections, memory). Pure: the
// command fetches, this renders, so a test can feed it scrapes.
#pragma once

#include <string>

#include "metrics/text_parse.hpp"

namespace dynaudit::cli {

struct TopFrame {
  std::string source;  // the URL, for the header
  std::string clock;   // wall time of the newer scrape, "HH:MM:SS"
  double seconds = 0;  // between the scrapes
  std::size_t rows = 20;
};

std::string render_top(const metrics::ParsedExposition& before, const metrics::ParsedExposition& after,
                       const TopFrame& frame);

// The q-quantile of a histogram given as (upper bound, cumulative count)
// pairs sorted by bound, +Inf last; linear within the bucket. -1 when empty.
double histogram_quantile(double q, const std::vector<std::pair<double, double>>& buckets);

}  // namespace dynaudit::cli
