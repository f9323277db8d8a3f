// Anomaly's JSON (anomaly.hpp).
#include "analytics/anomaly.hpp"

#include <simdjson.h>

#include <cmath>
#include <cstdio>

#include "storage/json_text.hpp"
#include "storage/time_format.hpp"

namespace dynaudit::analytics {
namespace {

using storage::json::append_string;

void append_number(std::string& out, double v) {
  if (!std::isfinite(v)) v = 0;
  char buffer[32];
  const int n = std::snprintf(buffer, sizeof buffer, "%.6g", v);
  out.append(buffer, static_cast<std::size_t>(n));
}

void append_strings(std::string& out, const std::vector<std::string>& values) {
  out += '[';
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i) out += ',';
    append_string(out, values[i]);
  }
  out += ']';
}

}  // namespace

std::string_view to_string(Severity s) {
  switch (s) {
    case Severity::low: return "low";
    case Severity::medium: return "medium";
    case Severity::high: return "high";
    case Severity::critical: return "critical";
  }
  return "medium";
}

std::optional<Severity> parse_severity(std::string_view text) {
  if (text == "low") return Severity::low;
  if (text == "medium") return Severity::medium;
  if (text == "high") return Severity::high;
  if (text == "critical") return Severity::critical;
  return std::nullopt;
}

std::string to_json(const Anomaly& a) {
  std::string out = "{\"time\":";
  append_string(out, storage::cloudtrail_time(storage::unix_ms(a.time)));
  out += ",\"timeMs\":" + std::to_string(storage::unix_ms(a.time));
  out += ",\"principal\":";
  append_string(out, a.principal);
  out += ",\"feature\":";
  append_string(out, a.feature);
  out += ",\"model\":";
  append_string(out, a.model);
  out += ",\"severity\":";
  append_string(out, to_string(a.severity));
  out += ",\"observed\":";
  append_number(out, a.observed);
  out += ",\"baseline\":";
  append_number(out, a.baseline);
  out += ",\"scale\":";
  append_number(out, a.scale);
  out += ",\"peak\":";
  append_number(out, a.peak);
  out += ",\"threshold\":";
  append_number(out, a.threshold);
  out += ",\"score\":";
  append_number(out, a.score);
  out += ",\"bucket\":";
  append_string(out, a.bucket);
  out += ",\"value\":";
  append_string(out, a.value);
  out += ",\"known\":";
  append_strings(out, a.known);
  out += ",\"eventID\":";
  append_string(out, a.event_id);
  out += ",\"tables\":";
  append_strings(out, a.tables);
  out += ",\"explanation\":";
  append_string(out, a.explanation);
  out += '}';
  return out;
}

std::optional<Anomaly> anomaly_from_json(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(json);
  simdjson::dom::element root;
  if (parser.parse(padded).get(root)) return std::nullopt;
  Anomaly a;
  auto text = [&](const char* name, std::string& out) {
    std::string_view v;
    if (root[name].get(v)) return false;
    out = std::string(v);
    return true;
  };
  auto number = [&](const char* name, double& out) {
    double v = 0;
    if (!root[name].get(v)) out = v;
  };
  auto strings = [&](const char* name, std::vector<std::string>& out) {
    simdjson::dom::array arr;
    if (root[name].get(arr)) return;
    for (auto e : arr) {
      std::string_view v;
      if (!e.get(v)) out.emplace_back(v);
    }
  };
  std::int64_t ms = 0;
  std::string severity;
  if (root["timeMs"].get(ms) || !text("principal", a.principal) || !text("feature", a.feature) ||
      !text("severity", severity))
    return std::nullopt;
  const auto parsed = parse_severity(severity);
  if (!parsed) return std::nullopt;
  a.severity = *parsed;
  a.time = std::chrono::system_clock::time_point(std::chrono::milliseconds(ms));
  text("model", a.model);
  number("observed", a.observed);
  number("baseline", a.baseline);
  number("scale", a.scale);
  number("peak", a.peak);
  number("threshold", a.threshold);
  number("score", a.score);
  text("bucket", a.bucket);
  text("value", a.value);
  strings("known", a.known);
  text("eventID", a.event_id);
  strings("tables", a.tables);
  text("explanation", a.explanation);
  return a;
}

}  // namespace dynaudit::analytics
