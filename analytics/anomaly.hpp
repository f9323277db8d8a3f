// Anomaly: one thing the analyser found unusual about one principal, with
// what it measured, what it expected and why the difference counts. It
// becomes an `Anomaly` audit record, an alert, and a row of `dynaudit
// anomalies list`; the explanation is written for the person on call.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dynaudit::analytics {

enum class Severity { low, medium, high, critical };
std::string_view to_string(Severity s);
std::optional<Severity> parse_severity(std::string_view text);

struct Anomaly {
  std::chrono::system_clock::time_point time;  // of the record that crossed the line
  std::string principal;
  std::string feature;   // e.g. "items_returned", "new_network", "off_hours"
  std::string model;     // "rate_1m" | "rate_1d" | "first_seen" | "hour_of_week"
  Severity severity = Severity::medium;
  double observed = 0;   // the window's value when it crossed the threshold
  double baseline = 0;   // the bucket's usual value (EWMA mean)
  double scale = 0;      // its usual spread
  double peak = 0;       // the highest value of recent weeks in that bucket
  double threshold = 0;  // the value above which it alerts
  double score = 0;      // (observed - baseline) / scale
  std::string bucket;    // e.g. "Mon 03:00 UTC", "weekday", "all hours"
  std::string value;     // first seen: the new table, operation, network or client
  std::vector<std::string> known;  // first seen: some of the values seen before
  std::string event_id;  // the audit record that triggered it
  std::vector<std::string> tables;
  std::string explanation;
};

// One JSON object (stable member names, see docs/anomalies.md).
std::string to_json(const Anomaly& anomaly);
std::optional<Anomaly> anomaly_from_json(std::string_view json);

}  // namespace dynaudit::analytics
