// A latency histogram with fixed buckets, written by one thread. The bounds
// are the same for every latency dynaudit reports (100 µs to 10 s), so the
// scrape can sum the histograms of all workers bucket by bucket and a
// dashboard can compare proxy and upstream time on one axis.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>

#include "metrics/counter.hpp"

namespace dynaudit::metrics {

// Upper bounds in microseconds; +Inf is implicit.
inline constexpr std::array<std::uint64_t, 16> kLatencyBoundsMicros{
    100, 250, 500, 1'000, 2'500, 5'000, 10'000, 25'000, 50'000, 100'000, 250'000, 500'000,
    1'000'000, 2'500'000, 5'000'000, 10'000'000};

class LatencyHistogram {
 public:
  static constexpr std::size_t kBuckets = kLatencyBoundsMicros.size() + 1;  // the last is +Inf

  void observe(std::chrono::microseconds latency) noexcept {
    const auto us = latency.count() < 0 ? std::uint64_t{0} : static_cast<std::uint64_t>(latency.count());
    std::size_t i = 0;
    while (i < kLatencyBoundsMicros.size() && us > kLatencyBoundsMicros[i]) ++i;
    buckets_[i].add();
    sum_micros_.add(us);
  }

  // Not cumulative: bucket i counts observations in (bound[i-1], bound[i]].
  std::uint64_t bucket(std::size_t i) const noexcept { return buckets_[i].load(); }
  std::uint64_t sum_micros() const noexcept { return sum_micros_.load(); }

 private:
  std::array<LocalCounter, kBuckets> buckets_{};
  LocalCounter sum_micros_;
};

// What the scrape adds up from every worker's histogram.
struct HistogramTotals {
  std::array<std::uint64_t, LatencyHistogram::kBuckets> buckets{};
  std::uint64_t sum_micros = 0;

  void add(const LatencyHistogram& h) noexcept {
    for (std::size_t i = 0; i < buckets.size(); ++i) buckets[i] += h.bucket(i);
    sum_micros += h.sum_micros();
  }
  std::uint64_t count() const noexcept {
    std::uint64_t n = 0;
    for (auto b : buckets) n += b;
    return n;
  }
  bool empty() const noexcept { return count() == 0; }
};

}  // namespace dynaudit::metrics
