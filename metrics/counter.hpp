// Counters written by one thread (a worker, the audit writer) and read by
// the scrape on another. The writer owns the value, so an increment is a
// relaxed load and store (no locked instruction, no shared cache line
// ping-pong); the reader sees some recent value, which is all Prometheus
// asks of a counter. Values shared by many writers use SharedCounter.
#pragma once

#include <atomic>
#include <cstdint>

namespace dynaudit::metrics {

class LocalCounter {
 public:
  void add(std::uint64_t n = 1) noexcept { value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  std::uint64_t load() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

// For events that many threads count and that are rare (reloads, refused
// connections): one atomic add each.
class SharedCounter {
 public:
  void add(std::uint64_t n = 1) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t load() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

}  // namespace dynaudit::metrics
