// A log-linear latency histogram in the manner of HdrHistogram, for the
// benchmark programs: values in nanoseconds, exact below 256 ns, then 128
// equal sub-buckets per power of two, so a bucket is at most 1/128 (0.78 %)
// of its lower bound wide; a percentile is reported as the bucket's midpoint
// (clamped to the exact min and max), within 0.4 % of the true value, from
// 1 ns to 2^40 ns (18 minutes; larger values land in the last bucket).
// record() is a few instructions and never allocates; one histogram per
// thread, merged at the end.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

namespace dynaudit::bench {

class LatencyHistogram {
 public:
  static constexpr int kSubBits = 7;
  static constexpr std::uint64_t kSub = std::uint64_t{1} << kSubBits;  // 128
  static constexpr int kMaxBits = 40;
  static constexpr std::uint64_t kMaxValue = (std::uint64_t{1} << kMaxBits) - 1;
  static constexpr std::size_t kBuckets = (kMaxBits - kSubBits - 1) * kSub + 2 * kSub;

  void record(std::uint64_t ns) {
    const std::uint64_t v = std::min(ns, kMaxValue);
    ++counts_[index_of(v)];
    ++count_;
    sum_ += v;
    min_ = std::min(min_, v);
    max_ = std::max(max_, v);
  }

  void merge(const LatencyHistogram& other) {
    for (std::size_t i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
    count_ += other.count_;
    sum_ += other.sum_;
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
  }

  std::uint64_t count() const { return count_; }
  std::uint64_t max() const { return count_ ? max_ : 0; }
  std::uint64_t min() const { return count_ ? min_ : 0; }
  double mean() const { return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0.0; }

  // The value at percentile p (0 < p <= 100): the smallest recorded value
  // such that at least p % of the values are at or below it (to bucket
  // precision).
  double percentile(double p) const {
    if (count_ == 0) return 0.0;
    const double wanted = std::ceil(p / 100.0 * static_cast<double>(count_));
    const std::uint64_t rank = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(wanted));
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < kBuckets; ++i) {
      seen += counts_[i];
      if (seen >= rank) {
        const double mid = static_cast<double>(lower_bound_of(i)) + static_cast<double>(width_of(i) - 1) / 2.0;
        return std::clamp(mid, static_cast<double>(min_), static_cast<double>(max_));
      }
    }
    return static_cast<double>(max_);
  }

  static std::size_t index_of(std::uint64_t v) {
    if (v < 2 * kSub) return static_cast<std::size_t>(v);
    const int shift = std::bit_width(v) - 1 - kSubBits;  // >= 1
    return static_cast<std::size_t>(static_cast<std::uint64_t>(shift) * kSub + (v >> shift));
  }
  static std::uint64_t lower_bound_of(std::size_t index) {
    if (index < 2 * kSub) return index;
    const std::uint64_t shift = index / kSub - 1;
    return (index - shift * kSub) << shift;
  }
  static std::uint64_t width_of(std::size_t index) {
    if (index < 2 * kSub) return 1;
    return std::uint64_t{1} << (index / kSub - 1);
  }

 private:
  std::array<std::uint64_t, kBuckets> counts_{};
  std::uint64_t count_ = 0;
  std::uint64_t sum_ = 0;
  std::uint64_t min_ = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t max_ = 0;
};

}  // namespace dynaudit::bench
