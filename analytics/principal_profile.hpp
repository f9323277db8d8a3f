// PrincipalProfile: everything the analyser knows about one principal — the
// open one-minute and one-day windows, the learned baselines, the first-seen
// sets, the hour-of-week activity — as plain data, so that it can be written
// to the store and read back (profile_codec.hpp) and survive restarts.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>

#include "analytics/baseline.hpp"
#include "analytics/distinct_counter.hpp"
#include "analytics/features.hpp"

namespace dynaudit::analytics {

using Clock = std::chrono::system_clock;

// Values first seen at a time (ms since the epoch).
using FirstSeenSet = std::map<std::string, std::int64_t>;

enum class FirstSeenKind : std::size_t { table, operation, network, client };
inline constexpr std::size_t kFirstSeenKinds = 4;

struct PrincipalProfile {
  std::int64_t first_seen_ms = 0;
  std::int64_t last_seen_ms = 0;

  // The open minute (minutes since the epoch; -1: none) and its values.
  std::int64_t minute_index = -1;
  std::array<double, kMinuteFeatures> minute_values{};
  // Per feature: 0, or 1 + the severity already reported in this window (a
  // window that keeps growing is reported again when its severity rises).
  std::array<std::uint8_t, kMinuteFeatures> minute_reported{};
  DistinctCounter minute_items;
  std::unordered_map<std::uint64_t, std::uint32_t> minute_shapes;  // probe shape -> calls
  // Learned: per hour-of-week bucket, and over all hours (used while a
  // bucket has too few samples).
  std::array<std::array<RobustBaseline, kMinuteFeatures>, kHoursPerWeek> minute_buckets{};
  std::array<RobustBaseline, kMinuteFeatures> minute_all{};

  // The open day (days since the epoch; -1: none).
  std::int64_t day_index = -1;
  std::array<double, kDayFeatures> day_values{};
  std::array<std::uint8_t, kDayFeatures> day_reported{};
  DistinctCounter day_items;
  std::array<std::array<RobustBaseline, kDayFeatures>, 2> day_buckets{};  // weekday, weekend

  // Hour of week: in how many distinct weeks the principal was active in
  // each hour, and the week (since the epoch, +1) last counted there.
  std::array<std::uint8_t, kHoursPerWeek> weeks_active{};
  std::array<std::uint16_t, kHoursPerWeek> week_counted{};
  std::int64_t hour_index = -1;  // hours since the epoch of the open hour
  std::uint32_t hour_calls = 0;

  std::array<FirstSeenSet, kFirstSeenKinds> first_seen{};

  // Feature name -> quiet period after an anomaly: until when (ms), and the
  // severity reported, which only a more severe anomaly breaks through.
  struct Quiet {
    std::int64_t until_ms = 0;
    std::uint8_t severity = 0;
  };
  std::map<std::string, Quiet> quiet;
};

}  // namespace dynaudit::analytics
