// RateState: the counters behind `rate` conditions (calls or items per
// principal and/or table per window). Lives in memory, one per proxy
// process, shared by all workers and kept across rule reloads (keyed by rule
// id); several proxies each count their own traffic (docs/rules.md says so).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string_view>

namespace dynaudit::rules {

class RateState {
 public:
  RateState();
  ~RateState();
  RateState(const RateState&) = delete;
  RateState& operator=(const RateState&) = delete;

  // Adds `amount` to the counter of (rule, key) for the window containing
  // `now` and returns the total over the last `window` (sliding
  // approximation from the current and previous fixed windows). Thread-safe.
  std::uint64_t add(std::string_view rule_id, std::string_view key, std::uint64_t amount,
                    std::chrono::seconds window, std::chrono::system_clock::time_point now);

 private:
  struct Shards;
  std::unique_ptr<Shards> shards_;
};

}  // namespace dynaudit::rules
