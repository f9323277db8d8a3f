// The analyser's parameters (config `analytics:`, docs/anomalies.md). The
// defaults are the ones the evaluation harness (bench/anomaly_eval) measured.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>

#include "analytics/baseline.hpp"
#include "analytics/features.hpp"

namespace dynaudit::analytics {

struct AnalyserConfig {
  // No alert about a principal until it has been seen this long: its
  // baselines and first-seen sets are still being learned.
  std::chrono::seconds learning_period{std::chrono::hours(24 * 7)};
  // One-minute rates: alert when the window's value is above all of
  // baseline + z * scale, peak_factor * peak, and the feature's minimum.
  double minute_z = 8;
  double minute_peak_factor = 2;
  BaselineParams minute{0.02, 30, 0.1, 1.0, true, 0.996};
  std::array<double, kMinuteFeatures> minute_minimum = {
      // read, write, admin calls
      60, 60, 20,
      // items, bytes returned
      500, 1 << 20,
      // errors, refusals, pages, distinct items, probe repeats, masked uses
      20, 10, 30, 200, 10, 3};
  // Daily totals (weekday and weekend buckets).
  double day_z = 6;
  double day_peak_factor = 1.5;
  BaselineParams day{0.1, 5, 0.05, 1.0, true, 0.93};
  std::array<double, kDayFeatures> day_minimum = {5'000, 16 << 20, 1'000};
  // Activity at a time of day (an hour either side, any day of the week)
  // when the principal was never active in the weeks so far, once it has
  // been seen for off_hours_min_weeks weeks and is not active around the
  // clock (at most off_hours_max_active_hours of the week's 168).
  std::size_t off_hours_min_calls = 5;
  unsigned off_hours_min_weeks = 2;
  std::size_t off_hours_max_active_hours = 126;  // three quarters of the week
  // After an alert, the same feature of the same principal stays quiet.
  std::chrono::seconds suppress_for{std::chrono::hours(1)};
  // Principals tracked at most (about 45 KiB each); the least recently seen
  // are forgotten first.
  std::size_t max_principals = 5'000;
  // First-seen sets hold at most this many values each; a full set stops
  // alerting (a principal that uses that many tables is not a stable one).
  std::size_t max_first_seen = 512;
};

}  // namespace dynaudit::analytics
