// The measured features: per principal, per one-minute window and per day.
// Names are what anomalies, docs and metrics call them.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

namespace dynaudit::analytics {

// Counted per principal per minute, learned per hour-of-week bucket.
enum class MinuteFeature : std::size_t {
  read_calls,      // item reads (catalog class read)
  write_calls,     // item writes
  admin_calls,     // control-plane calls, and operations outside the catalog
  items_returned,  // items in replies (Count of Scan/Query, GetItem, batch gets, PartiQL)
  bytes_returned,  // reply bytes
  errors,          // error answers other than refusals
  refusals,        // rule denies, AccessDenied, failed authentication: privilege probing
  pages,           // Scan and Query calls: how deep a paginated read goes
  distinct_items,  // distinct items named by key (HyperLogLog)
  probe_repeats,   // the most times one conditional/filtered call shape hit one item
  masked_uses,     // uses of a masked attribute the proxy flagged (maskedUses)
};
inline constexpr std::size_t kMinuteFeatures = 11;

// Summed per principal per day (UTC), learned for weekdays and weekends:
// what a slow exfiltration changes while every minute looks normal.
enum class DayFeature : std::size_t { items_returned, bytes_returned, distinct_items };
inline constexpr std::size_t kDayFeatures = 3;

inline constexpr std::array<std::string_view, kMinuteFeatures> kMinuteFeatureNames = {
    "read_calls", "write_calls", "admin_calls",    "items_returned", "bytes_returned", "errors",
    "refusals",   "pages",       "distinct_items", "probe_repeats",  "masked_uses"};
inline constexpr std::array<std::string_view, kDayFeatures> kDayFeatureNames = {
    "items_returned_per_day", "bytes_returned_per_day", "distinct_items_per_day"};

inline constexpr std::size_t kHoursPerWeek = 168;

}  // namespace dynaudit::analytics
