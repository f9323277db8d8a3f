// `dynaudit top`'s screen; see top_view.hpp.
#include "cli/top_view.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <tuple>

namespace dynaudit::cli {
namespace {

using metrics::ParsedExposition;
using metrics::Sample;

struct RowRates {
  double calls = 0, denied = 0, client_errors = 0, server_errors = 0;
};

std::string fixed(double v, int digits = 1) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string pad(std::string text, std::size_t width, bool right = false) {
  if (text.size() > width) text = text.substr(0, width - 1) + "~";
  const std::string fill(width - text.size(), ' ');
  return right ? fill + text : text + fill;
}

// The value of the first sample named `name` (and labelled so), or `fallback`.
double value_of(const ParsedExposition& page, const std::string& name, double fallback = 0,
                const std::map<std::string, std::string>& labels = {}) {
  for (const auto& s : page.samples)
    if (s.name == name && std::all_of(labels.begin(), labels.end(), [&](const auto& l) { return s.label(l.first) == l.second; }))
      return s.value;
  return fallback;
}

std::string key_of(const Sample& s) {
  std::string key = s.name;
  for (const auto& [k, v] : s.labels) key += '\x1f' + k + '=' + v;
  return key;
}

// after - before per sample; a counter that went down (a restart) counts from zero.
std::map<std::string, double> deltas(const ParsedExposition& before, const ParsedExposition& after,
                                     const std::string& name) {
  std::map<std::string, double> old;
  for (const auto& s : before.samples)
    if (s.name == name) old[key_of(s)] = s.value;
  std::map<std::string, double> out;
  for (const auto& s : after.samples) {
    if (s.name != name) continue;
    const auto it = old.find(key_of(s));
    const double prev = it == old.end() ? 0 : it->second;
    out[key_of(s)] = s.value >= prev ? s.value - prev : s.value;
  }
  return out;
}

double delta_sum(const ParsedExposition& before, const ParsedExposition& after, const std::string& name) {
  double total = 0;
  for (const auto& [key, d] : deltas(before, after, name)) total += d;
  return total;
}

}  // namespace

double histogram_quantile(double q, const std::vector<std::pair<double, double>>& buckets) {
  if (buckets.empty() || buckets.back().second <= 0) return -1;
  const double rank = q * buckets.back().second;
  double lower = 0, below = 0;
  for (const auto& [bound, count] : buckets) {
    if (count >= rank) {
      if (std::isinf(bound)) return lower;  // in the +Inf bucket: the highest finite bound
      if (count == below) return bound;
      return lower + (bound - lower) * (rank - below) / (count - below);
    }
    lower = bound;
    below = count;
  }
  return lower;
}

std::string render_top(const ParsedExposition& before, const ParsedExposition& after, const TopFrame& frame) {
  const double secs = frame.seconds > 0 ? frame.seconds : 1;
  std::string out;
  out += "dynaudit top - " + frame.source + " - " + frame.clock + ", every " + fixed(secs) + " s (Ctrl-C quits)\n";

  const bool up = value_of(after, "dynaudit_up") == 1;
  const bool draining = value_of(after, "dynaudit_draining") == 1;
  out += "proxy: " + std::string(draining ? "DRAINING" : up ? "ready" : "NOT READY") +
         "   workers " + fixed(value_of(after, "dynaudit_workers"), 0) +
         "   connections " + fixed(value_of(after, "dynaudit_connections_open"), 0) + " open, " +
         fixed(value_of(after, "dynaudit_requests_in_flight"), 0) + " in flight" +
         "   RSS " + fixed(value_of(after, "process_resident_memory_bytes") / (1024.0 * 1024.0)) + " MiB" +
         "   CPU " + fixed(100.0 * delta_sum(before, after, "process_cpu_seconds_total") / secs, 0) + " %\n";

  if (value_of(after, "dynaudit_audit_enabled") == 1) {
    out += "audit: " + std::string(value_of(after, "dynaudit_audit_store_healthy") == 1 ? "healthy" : "UNHEALTHY") +
           "   witness " + (value_of(after, "dynaudit_audit_witness_healthy", 1) == 1 ? "ok" : "FAILING") +
           "   records/s " +
           fixed((value_of(after, "dynaudit_audit_last_sequence") - value_of(before, "dynaudit_audit_last_sequence")) / secs) +
           "   group commits/s " + fixed(delta_sum(before, after, "dynaudit_audit_group_commits_total") / secs) +
           "   queued " + fixed(value_of(after, "dynaudit_audit_queue_depth"), 0) +
           "   unrecorded " + fixed(value_of(after, "dynaudit_audit_unrecorded_calls_total"), 0) +
           (value_of(after, "dynaudit_audit_refusing_calls") == 1 ? "   REFUSING CALLS" : "") + "\n";
  } else {
    out += "audit: off\n";
  }
  out += "rules: " + fixed(value_of(after, "dynaudit_rules_loaded"), 0) + " loaded" +
         (value_of(after, "dynaudit_rules_last_reload_ok", 1) == 1 ? "" : ", LAST RELOAD FAILED") + "\n\n";

  // Calls by (table, operation) over the interval.
  std::map<std::pair<std::string, std::string>, RowRates> rows;
  RowRates total;
  std::map<std::string, const Sample*> by_key;
  for (const auto& s : after.samples)
    if (s.name == "dynaudit_requests_total") by_key[key_of(s)] = &s;
  for (const auto& [key, d] : deltas(before, after, "dynaudit_requests_total")) {
    const Sample& s = *by_key[key];
    auto& row = rows[{s.label("table"), s.label("operation")}];
    const double rate = d / secs;
    const std::string code = s.label("code");
    for (RowRates* r : {&row, &total}) {
      r->calls += rate;
      if (s.label("decision") == "deny") r->denied += rate;
      if (code == "4xx") r->client_errors += rate;
      if (code == "5xx") r->server_errors += rate;
    }
  }
  out += "calls/s " + fixed(total.calls) + "   denied/s " + fixed(total.denied) + "   4xx/s " +
         fixed(total.client_errors) + "   5xx/s " + fixed(total.server_errors) + "   auth failures/s " +
         fixed(delta_sum(before, after, "dynaudit_auth_failures_total") / secs) + "\n\n";

  // p99 per operation from the interval's bucket deltas.
  std::map<std::string, std::vector<std::pair<double, double>>> buckets;
  std::map<std::string, const Sample*> bucket_samples;
  for (const auto& s : after.samples)
    if (s.name == "dynaudit_request_duration_seconds_bucket") bucket_samples[key_of(s)] = &s;
  for (const auto& [key, d] : deltas(before, after, "dynaudit_request_duration_seconds_bucket")) {
    const Sample& s = *bucket_samples[key];
    const std::string le = s.label("le");
    buckets[s.label("operation")].emplace_back(le == "+Inf" ? INFINITY : std::strtod(le.c_str(), nullptr), d);
  }
  for (auto& [op, b] : buckets) std::sort(b.begin(), b.end());

  out += pad("TABLE", 28) + pad("OPERATION", 22) + pad("CALLS/S", 10, true) + pad("DENIED/S", 10, true) +
         pad("4XX/S", 9, true) + pad("5XX/S", 9, true) + pad("P99 MS", 9, true) + "\n";
  std::vector<std::pair<std::pair<std::string, std::string>, RowRates>> sorted(rows.begin(), rows.end());
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
    return std::tie(b.second.calls, a.first) < std::tie(a.second.calls, b.first);
  });
  std::size_t shown = 0;
  for (const auto& [key, r] : sorted) {
    if (r.calls <= 0) continue;
    if (shown++ == frame.rows) break;
    const double p99 = buckets.count(key.second) ? histogram_quantile(0.99, buckets[key.second]) : -1;
    out += pad(key.first, 28) + pad(key.second, 22) + pad(fixed(r.calls), 10, true) + pad(fixed(r.denied), 10, true) +
           pad(fixed(r.client_errors), 9, true) + pad(fixed(r.server_errors), 9, true) +
           pad(p99 < 0 ? "-" : fixed(p99 * 1000.0, 2), 9, true) + "\n";
  }
  if (shown == 0) out += "(no calls in this interval)\n";
  return out;
}

}  // namespace dynaudit::cli
