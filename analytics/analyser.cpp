// The analyser's models (analyser.hpp, docs/anomalies.md): one-minute rates
// against hour-of-week baselines, daily totals against weekday/weekend
// baselines, activity in hours of the week the principal never used, and
// first use of a table, operation, network or client.
#include "analytics/analyser.hpp"
#include "storage/time_format.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace dynaudit::analytics {
namespace {

constexpr std::int64_t kMinuteMs = 60'000;
constexpr std::int64_t kHourMs = 3'600'000;
constexpr std::int64_t kDayMs = 86'400'000;
constexpr std::int64_t kWeekMinutes = 7 * 24 * 60;

std::int64_t floor_div(std::int64_t a, std::int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// 1970-01-01 was a Thursday; Monday is day 0 of our week.
std::int64_t day_of_week(std::int64_t day) { return ((day % 7) + 7 + 3) % 7; }
std::size_t day_bucket(std::int64_t day) { return day_of_week(day) >= 5 ? 1 : 0; }
std::uint16_t week_number(std::int64_t unix_ms) {
  return static_cast<std::uint16_t>(floor_div(floor_div(unix_ms, kDayMs) + 3, 7) + 1);
}

std::string number(double v) {
  char buffer[32];
  if (std::fabs(v - std::round(v)) < 1e-9 || std::fabs(v) >= 1000)
    std::snprintf(buffer, sizeof buffer, "%.0f", v);
  else
    std::snprintf(buffer, sizeof buffer, "%.1f", v);
  return buffer;
}

Severity severity_of_ratio(double ratio) {
  if (ratio >= 4) return Severity::critical;
  if (ratio >= 2) return Severity::high;
  return Severity::medium;
}

// A window is reported when it first crosses its threshold, and once more
// if it goes on to critical: an export that keeps growing says so, without
// an alert per severity step.
bool worth_reporting(std::uint8_t reported_level, std::uint8_t level) {
  constexpr auto kCritical = static_cast<std::uint8_t>(static_cast<int>(Severity::critical) + 1);
  if (reported_level == 0) return true;
  return level == kCritical && reported_level < kCritical;
}

// A rate that crossed its threshold: the window's value against the
// baseline it was judged by. The caller words the explanation.
struct Crossing {
  std::string_view feature, model;
  double observed, threshold;
  const RobustBaseline& base;
  const BaselineParams& params;
  Severity severity;
  std::string bucket;
};

Anomaly rate_anomaly(const Observation& call, const Crossing& c) {
  Anomaly a;
  a.time = call.time;
  a.principal = call.principal;
  a.feature = std::string(c.feature);
  a.model = std::string(c.model);
  a.observed = c.observed;
  a.baseline = c.base.mean;
  a.scale = c.base.scale(c.params);
  a.peak = c.base.peak;
  a.threshold = c.threshold;
  a.score = c.base.score(c.observed, c.params);
  a.severity = c.severity;
  a.bucket = c.bucket;
  a.event_id = call.event_id;
  a.tables = call.tables;
  return a;
}

std::string_view kind_feature(FirstSeenKind kind) {
  switch (kind) {
    case FirstSeenKind::table: return "new_table";
    case FirstSeenKind::operation: return "new_operation";
    case FirstSeenKind::network: return "new_network";
    case FirstSeenKind::client: return "new_client";
  }
  return "new_value";
}

std::string_view kind_noun(FirstSeenKind kind) {
  switch (kind) {
    case FirstSeenKind::table: return "table";
    case FirstSeenKind::operation: return "operation";
    case FirstSeenKind::network: return "source network";
    case FirstSeenKind::client: return "client (user agent)";
  }
  return "value";
}

}  // namespace

std::size_t hour_of_week(std::int64_t ms) {
  const std::int64_t day = floor_div(ms, kDayMs);
  const std::int64_t hour = floor_div(ms, kHourMs) - day * 24;
  return static_cast<std::size_t>(day_of_week(day) * 24 + hour);
}

std::string bucket_label(std::size_t h) {
  static constexpr const char* kDays[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%s %02zu:00 UTC", kDays[(h / 24) % 7], h % 24);
  return buffer;
}

Analyser::Analyser(AnalyserConfig config) : config_(std::move(config)) {}

AnalyserStats Analyser::stats() const {
  AnalyserStats s = stats_;
  s.principals = profiles_.size();
  return s;
}

void Analyser::for_each_profile(
    const std::function<void(const std::string&, const PrincipalProfile&)>& visit) const {
  for (const auto& [name, profile] : profiles_) visit(name, *profile);
}

void Analyser::load_profile(const std::string& principal, std::unique_ptr<PrincipalProfile> profile) {
  profiles_[principal] = std::move(profile);
  if (profiles_.size() > config_.max_principals) evict_oldest();
}

const PrincipalProfile* Analyser::profile(const std::string& principal) const {
  const auto it = profiles_.find(principal);
  return it == profiles_.end() ? nullptr : it->second.get();
}

PrincipalProfile& Analyser::profile_of(const std::string& principal, std::int64_t now_ms) {
  auto it = profiles_.find(principal);
  if (it == profiles_.end()) {
    if (profiles_.size() >= config_.max_principals) evict_oldest();
    auto fresh = std::make_unique<PrincipalProfile>();
    fresh->first_seen_ms = now_ms;
    it = profiles_.emplace(principal, std::move(fresh)).first;
  }
  it->second->last_seen_ms = std::max(it->second->last_seen_ms, now_ms);
  return *it->second;
}

// Forgets the least recently seen hundredth (at least one), so that a stream
// of new principals costs one sort per hundred of them, not one per call.
void Analyser::evict_oldest() {
  if (profiles_.empty()) return;
  std::vector<std::pair<std::int64_t, std::string>> ages;
  ages.reserve(profiles_.size());
  for (const auto& [name, profile] : profiles_) ages.emplace_back(profile->last_seen_ms, name);
  const std::size_t drop = std::max<std::size_t>(1, ages.size() / 100);
  std::nth_element(ages.begin(), ages.begin() + static_cast<std::ptrdiff_t>(drop - 1), ages.end());
  for (std::size_t i = 0; i < drop; ++i) profiles_.erase(ages[i].second);
  stats_.evicted += drop;
}

bool Analyser::learned(const PrincipalProfile& p, std::int64_t now_ms) const {
  return now_ms - p.first_seen_ms >= std::chrono::duration_cast<std::chrono::milliseconds>(config_.learning_period).count();
}

// Closes the open minute: its values, then a zero for every silent minute
// up to `minute` (at most a week of them: older buckets would only decay),
// teach the baselines of their hours of the week.
void Analyser::roll_minute(PrincipalProfile& p, std::int64_t minute) const {
  auto teach = [&](std::int64_t m, const std::array<double, kMinuteFeatures>& values) {
    auto& bucket = p.minute_buckets[hour_of_week(m * kMinuteMs)];
    for (std::size_t f = 0; f < kMinuteFeatures; ++f) {
      bucket[f].update(values[f], config_.minute, config_.minute_z);
      p.minute_all[f].update(values[f], config_.minute, config_.minute_z);
    }
  };
  teach(p.minute_index, p.minute_values);
  static const std::array<double, kMinuteFeatures> kSilent{};
  for (std::int64_t m = std::max(p.minute_index + 1, minute - kWeekMinutes); m < minute; ++m) teach(m, kSilent);
  p.minute_index = minute;
  p.minute_values = {};
  p.minute_reported = {};
  p.minute_items.clear();
  p.minute_shapes.clear();
}

void Analyser::roll_day(PrincipalProfile& p, std::int64_t day) const {
  auto teach = [&](std::int64_t d, const std::array<double, kDayFeatures>& values) {
    auto& bucket = p.day_buckets[day_bucket(d)];
    for (std::size_t f = 0; f < kDayFeatures; ++f) bucket[f].update(values[f], config_.day, config_.day_z);
  };
  teach(p.day_index, p.day_values);
  static const std::array<double, kDayFeatures> kSilent{};
  for (std::int64_t d = std::max(p.day_index + 1, day - 28); d < day; ++d) teach(d, kSilent);
  p.day_index = day;
  p.day_values = {};
  p.day_reported = {};
  p.day_items.clear();
}

bool Analyser::report(PrincipalProfile& p, Anomaly anomaly, std::vector<Anomaly>& out) {
  const std::int64_t now = storage::unix_ms(anomaly.time);
  auto& quiet = p.quiet[anomaly.feature];
  const auto severity = static_cast<std::uint8_t>(anomaly.severity);
  // A more severe anomaly breaks through: otherwise a caller could set off a
  // small one on purpose and hide a large one in its quiet period.
  if (quiet.until_ms > now && severity <= quiet.severity) {
    ++stats_.suppressed;
    return false;
  }
  quiet.until_ms = now + std::chrono::duration_cast<std::chrono::milliseconds>(config_.suppress_for).count();
  quiet.severity = severity;
  ++stats_.anomalies;
  out.push_back(std::move(anomaly));
  return true;
}

void Analyser::check_minute(PrincipalProfile& p, const Observation& call, std::vector<Anomaly>& out) {
  const std::size_t how = hour_of_week(storage::unix_ms(call.time));
  for (std::size_t f = 0; f < kMinuteFeatures; ++f) {
    const double x = p.minute_values[f];
    if (x < config_.minute_minimum[f]) continue;
    const RobustBaseline& bucket = p.minute_buckets[how][f];
    const bool by_bucket = bucket.learned(config_.minute);
    const RobustBaseline& base = by_bucket ? bucket : p.minute_all[f];
    if (!base.learned(config_.minute)) continue;
    const double threshold = std::max({base.threshold(config_.minute_z, config_.minute),
                                       config_.minute_peak_factor * base.peak, config_.minute_minimum[f]});
    if (x <= threshold) continue;
    const Severity severity = severity_of_ratio(x / threshold);
    const auto level = static_cast<std::uint8_t>(static_cast<int>(severity) + 1);
    if (!worth_reporting(p.minute_reported[f], level)) continue;
    p.minute_reported[f] = level;
    Anomaly a = rate_anomaly(call, {kMinuteFeatureNames[f], "rate_1m", x, threshold, base, config_.minute, severity,
                                    by_bucket ? bucket_label(how) : "all hours"});
    a.explanation = number(x) + " " + a.feature + " within one minute; on " + a.bucket + " this principal's usual is " +
                    number(a.baseline) + " (spread " + number(a.scale) + ", highest lately " + number(a.peak) +
                    "), so anything above " + number(threshold) + " is unusual (score " + number(a.score) + ")";
    report(p, std::move(a), out);
  }
}

void Analyser::check_day(PrincipalProfile& p, const Observation& call, std::vector<Anomaly>& out) {
  const std::size_t b = day_bucket(p.day_index);
  for (std::size_t f = 0; f < kDayFeatures; ++f) {
    const double x = p.day_values[f];
    if (x < config_.day_minimum[f]) continue;
    const RobustBaseline& base = p.day_buckets[b][f];
    if (!base.learned(config_.day)) continue;
    const double threshold = std::max({base.threshold(config_.day_z, config_.day), config_.day_peak_factor * base.peak,
                                       config_.day_minimum[f]});
    if (x <= threshold) continue;
    const Severity severity = severity_of_ratio(x / threshold);
    const auto level = static_cast<std::uint8_t>(static_cast<int>(severity) + 1);
    if (!worth_reporting(p.day_reported[f], level)) continue;
    p.day_reported[f] = level;
    Anomaly a = rate_anomaly(call, {kDayFeatureNames[f], "rate_1d", x, threshold, base, config_.day, severity,
                                    b ? "weekend" : "weekday"});
    a.explanation = "so far today " + number(x) + " " + a.feature + "; on a " + a.bucket + " this principal's usual day is " +
                    number(a.baseline) + " (spread " + number(a.scale) + ", highest lately " + number(a.peak) +
                    "), so a day above " + number(threshold) + " is unusual";
    report(p, std::move(a), out);
  }
}

void Analyser::check_hour_of_week(PrincipalProfile& p, const Observation& call, std::vector<Anomaly>& out) {
  const std::int64_t now = storage::unix_ms(call.time);
  const std::int64_t hour = floor_div(now, kHourMs);
  if (hour != p.hour_index) {
    p.hour_index = hour;
    p.hour_calls = 0;
  }
  ++p.hour_calls;
  const std::size_t b = hour_of_week(now);
  const std::uint16_t week = week_number(now);
  // Weeks active before this one: the current week's mark does not count.
  auto before = [&](std::size_t h) {
    return p.weeks_active[h] - (p.week_counted[h] == week ? 1 : 0);
  };
  const std::int64_t seen_weeks = (now - p.first_seen_ms) / (7 * kDayMs);
  if (alerting_ && learned(p, now) && p.hour_calls == config_.off_hours_min_calls &&
      seen_weeks >= static_cast<std::int64_t>(config_.off_hours_min_weeks)) {
    std::size_t active_hours = 0;
    for (std::size_t h = 0; h < kHoursPerWeek; ++h) active_hours += before(h) > 0;
    // Unusual only if no day of the week saw this hour or the hours either
    // side: a person who once worked until eight on a Tuesday may well do
    // so on a Thursday; a key used at three in the morning is another matter.
    const std::size_t hour_of_day = b % 24;
    int around = 0;
    for (std::size_t day = 0; day < 7; ++day)
      for (std::size_t d : {std::size_t{23}, std::size_t{0}, std::size_t{1}})
        around += before(day * 24 + (hour_of_day + d) % 24);
    if (active_hours > 0 && active_hours <= config_.off_hours_max_active_hours && around == 0) {
      Anomaly a;
      a.time = call.time;
      a.principal = call.principal;
      a.feature = "off_hours";
      a.model = "hour_of_week";
      a.observed = p.hour_calls;
      a.threshold = static_cast<double>(config_.off_hours_min_calls);
      a.severity = Severity::medium;
      a.bucket = bucket_label(b);
      a.event_id = call.event_id;
      a.tables = call.tables;
      a.explanation = number(p.hour_calls) + " calls in the hour " + a.bucket + "; in " + std::to_string(seen_weeks) +
                      " weeks this principal was never active at that time of day, nor an hour either side, on any day (it is active in " +
                      std::to_string(active_hours) + " of the week's 168 hours)";
      report(p, std::move(a), out);
    }
  }
  if (p.week_counted[b] != week) {
    p.week_counted[b] = week;
    if (p.weeks_active[b] < 255) ++p.weeks_active[b];
  }
}

void Analyser::check_first_seen(PrincipalProfile& p, const Observation& call, std::vector<Anomaly>& out) {
  const std::int64_t now = storage::unix_ms(call.time);
  const bool alert = alerting_ && learned(p, now);
  auto check = [&](FirstSeenKind kind, const std::string& value, bool worth_an_alert, Severity severity) {
    if (value.empty()) return;
    auto& set = p.first_seen[static_cast<std::size_t>(kind)];
    if (set.count(value) || set.size() >= config_.max_first_seen) return;
    Anomaly a;
    if (alert && worth_an_alert && !set.empty()) {
      for (const auto& [known, since] : set) {
        if (a.known.size() == 5) break;
        a.known.push_back(known);
      }
    }
    const std::size_t known_count = set.size();
    set.emplace(value, now);
    if (!alert || !worth_an_alert || known_count == 0) return;
    a.time = call.time;
    a.principal = call.principal;
    a.feature = std::string(kind_feature(kind));
    a.model = "first_seen";
    a.severity = severity;
    a.observed = 1;
    a.value = value;
    a.event_id = call.event_id;
    a.tables = call.tables;
    a.explanation = "first use of " + std::string(kind_noun(kind)) + " " + value + " by this principal, after " +
                    std::to_string(known_count) + " known since it was first seen " +
                    std::to_string((now - p.first_seen_ms) / kDayMs) + " days ago";
    report(p, std::move(a), out);
  };
  for (const auto& family : call.table_families) check(FirstSeenKind::table, family, true, Severity::medium);
  // A first Describe or List is curiosity; a first call that can change
  // something (or that the catalog does not know) is worth a look.
  check(FirstSeenKind::operation, call.operation, !call.read_only,
        call.call_class == CallClass::write ? Severity::medium : Severity::high);
  check(FirstSeenKind::network, call.source_network, true, Severity::high);
  check(FirstSeenKind::client, call.user_agent_family, true, Severity::low);
}

void Analyser::observe(const Observation& call, std::vector<Anomaly>& out) {
  const std::int64_t now = storage::unix_ms(call.time);
  PrincipalProfile& p = profile_of(call.principal, now);
  ++stats_.observed;
  const std::int64_t minute = floor_div(now, kMinuteMs);
  const std::int64_t day = floor_div(now, kDayMs);
  // A record a little out of order (commit order is not quite time order)
  // counts in the open window.
  if (p.minute_index < 0) p.minute_index = minute;
  else if (minute > p.minute_index) roll_minute(p, minute);
  if (p.day_index < 0) p.day_index = day;
  else if (day > p.day_index) roll_day(p, day);

  auto& m = p.minute_values;
  auto at = [](MinuteFeature f) { return static_cast<std::size_t>(f); };
  switch (call.call_class) {
    case CallClass::read: ++m[at(MinuteFeature::read_calls)]; break;
    case CallClass::write: ++m[at(MinuteFeature::write_calls)]; break;
    case CallClass::admin:
    case CallClass::unknown: ++m[at(MinuteFeature::admin_calls)]; break;
  }
  m[at(MinuteFeature::items_returned)] += static_cast<double>(call.items_returned);
  m[at(MinuteFeature::bytes_returned)] += static_cast<double>(call.bytes_returned);
  m[at(MinuteFeature::errors)] += call.error;
  m[at(MinuteFeature::refusals)] += call.refused;
  m[at(MinuteFeature::pages)] += call.page;
  m[at(MinuteFeature::masked_uses)] += static_cast<double>(call.masked_uses);
  if (!call.item_keys.empty()) {
    for (auto k : call.item_keys) {
      p.minute_items.add(k);
      p.day_items.add(k);
    }
    m[at(MinuteFeature::distinct_items)] = p.minute_items.estimate();
    p.day_values[static_cast<std::size_t>(DayFeature::distinct_items)] = p.day_items.estimate();
  }
  if (call.probe_shape) {
    const auto repeats = ++p.minute_shapes[*call.probe_shape];
    auto& top = m[at(MinuteFeature::probe_repeats)];
    top = std::max(top, static_cast<double>(repeats));
  }
  p.day_values[static_cast<std::size_t>(DayFeature::items_returned)] += static_cast<double>(call.items_returned);
  p.day_values[static_cast<std::size_t>(DayFeature::bytes_returned)] += static_cast<double>(call.bytes_returned);

  check_hour_of_week(p, call, out);
  check_first_seen(p, call, out);
  if (alerting_ && learned(p, now)) {
    check_minute(p, call, out);
    check_day(p, call, out);
  }
}

}  // namespace dynaudit::analytics
