// The report as one self-contained HTML page (render.hpp): inline CSS and
// SVG, no script, no external resource, readable printed.
#include "report/render.hpp"

#include <algorithm>
#include <cstdio>

#include "report/html_escape.hpp"
#include "storage/time_format.hpp"

namespace dynaudit::report {
namespace {

std::string esc(std::string_view s) { return html_escape(s); }

std::string n(std::uint64_t v) { return std::to_string(v); }

std::string time_of(SysTime t) {
  return storage::cloudtrail_time(storage::unix_ms(t));
}

constexpr const char* kStyle = R"CSS(
*{box-sizing:border-box}
body{font:14px/1.45 -apple-system,"Segoe UI",Roboto,"DejaVu Sans",Arial,sans-serif;color:#1d2733;margin:0;background:#f4f6f8}
main{max-width:1100px;margin:0 auto;padding:24px 20px 48px;background:#fff}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:32px 0 8px;border-bottom:2px solid #dfe5ec;padding-bottom:4px}
h3{font-size:15px;margin:18px 0 6px}.muted{color:#5b6b7c}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}
.card{flex:1 1 150px;border:1px solid #dfe5ec;border-radius:6px;padding:10px 12px}
.card b{display:block;font-size:22px}
table{width:100%;border-collapse:collapse;margin:6px 0 12px;table-layout:fixed}
th,td{border-bottom:1px solid #e6ebf0;padding:5px 6px;text-align:left;vertical-align:top;overflow-wrap:anywhere;word-break:break-word}
th{background:#f0f3f6;font-weight:600}
.status{display:inline-block;padding:1px 8px;border-radius:10px;font-weight:600;font-size:12px}
.met{background:#dcf3e3;color:#16633a}.gap{background:#fbe0e0;color:#9b1c1c}.na{background:#eceff3;color:#4a5866}
code{font:12px/1.3 "DejaVu Sans Mono",monospace;overflow-wrap:anywhere}
svg{width:100%;height:auto;display:block}
ul{margin:4px 0 4px 18px;padding:0}
@media (max-width:640px){main{padding:12px 10px}table,thead,tbody,tr,th,td{display:block;width:auto!important}
thead{display:none}tr{border-bottom:1px solid #dfe5ec;padding:6px 0}th,td{border:none;padding:2px 4px}}
@media print{body{background:#fff}main{padding:0}h2{break-after:avoid}table,svg{break-inside:avoid}}
)CSS";

std::string status_badge(const std::string& s) {
  const char* cls = s == "met" ? "met" : s == "gap" ? "gap" : "na";
  return "<span class=\"status " + std::string(cls) + "\">" + esc(s) + "</span>";
}

// Stacked bars per day; `keys` name the three series of DayCount.
std::string day_chart(const std::vector<DayCount>& days, const char* title, const char* a, const char* b, const char* c) {
  if (days.empty()) return "<p class=\"muted\">No calls in the period.</p>";
  std::uint64_t max = 1;
  for (const auto& d : days) max = std::max<std::uint64_t>(max, d.allow + d.deny + d.error);
  const double width = 800, height = 200, left = 50, bottom = 30, plot_w = width - left - 10, plot_h = height - bottom - 10;
  const double slot = plot_w / static_cast<double>(days.size());
  const double bar = std::clamp(slot * 0.7, 2.0, 48.0);
  char buf[256];
  std::string svg = "<svg viewBox=\"0 0 800 230\" role=\"img\" aria-label=\"" + esc(title) + "\">";
  std::snprintf(buf, sizeof buf, "<line x1=\"%.0f\" y1=\"10\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"#9aa7b4\"/>", left, left,
                height - bottom);
  svg += buf;
  std::snprintf(buf, sizeof buf, "<text x=\"%.0f\" y=\"16\" font-size=\"11\" text-anchor=\"end\">%llu</text>", left - 4,
                static_cast<unsigned long long>(max));
  svg += buf;
  for (std::size_t i = 0; i < days.size(); ++i) {
    const auto& d = days[i];
    double y = height - bottom;
    const double x = left + static_cast<double>(i) * slot + (slot - bar) / 2;
    const std::pair<std::uint64_t, const char*> parts[] = {{d.allow, "#3b82c4"}, {d.deny, "#d9534f"}, {d.error, "#f0ad4e"}};
    for (const auto& [value, color] : parts) {
      if (!value) continue;
      const double h = plot_h * static_cast<double>(value) / static_cast<double>(max);
      y -= h;
      std::snprintf(buf, sizeof buf, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>", x, y, bar, h, color);
      svg += buf;
    }
    if (days.size() <= 16 || i % (days.size() / 8 + 1) == 0) {
      std::snprintf(buf, sizeof buf, "<text x=\"%.1f\" y=\"%.0f\" font-size=\"10\" text-anchor=\"middle\">%s</text>",
                    x + bar / 2, height - bottom + 14, esc(d.day.substr(5)).c_str());
      svg += buf;
    }
  }
  std::string legend = "<text x=\"60\" y=\"224\" font-size=\"11\"><tspan fill=\"#3b82c4\">&#9632; " + std::string(a) +
                       "</tspan><tspan dx=\"14\" fill=\"#d9534f\">&#9632; " + b + "</tspan>";
  if (c) legend += "<tspan dx=\"14\" fill=\"#f0ad4e\">&#9632; " + std::string(c) + "</tspan>";
  return svg + legend + "</text></svg>";
}

std::string ranking_chart(const std::vector<std::pair<std::string, std::uint64_t>>& v, const char* label) {
  if (v.empty()) return "<p class=\"muted\">None.</p>";
  std::uint64_t max = 1;
  for (const auto& [name, count] : v) max = std::max(max, count);
  char buf[256];
  std::string svg = "<svg viewBox=\"0 0 900 " + std::to_string(v.size() * 22 + 6) + "\" role=\"img\" aria-label=\"" +
                    esc(label) + "\">";
  for (std::size_t i = 0; i < v.size(); ++i) {
    const double w = 600.0 * static_cast<double>(v[i].second) / static_cast<double>(max);
    std::string name = v[i].first.size() > 28 ? v[i].first.substr(0, 27) + "…" : v[i].first;
    std::snprintf(buf, sizeof buf,
                  "<text x=\"190\" y=\"%zu\" font-size=\"11\" text-anchor=\"end\">%s</text>"
                  "<rect x=\"196\" y=\"%zu\" width=\"%.1f\" height=\"15\" fill=\"#3b82c4\"/>"
                  "<text x=\"%.1f\" y=\"%zu\" font-size=\"11\">%llu</text>",
                  i * 22 + 16, esc(name).c_str(), i * 22 + 4, w, 200 + w, i * 22 + 16,
                  static_cast<unsigned long long>(v[i].second));
    svg += buf;
  }
  return svg + "</svg>";
}

std::string call_table(const std::vector<CallRef>& calls, std::uint64_t total, const char* none) {
  if (total == 0) return "<p class=\"muted\">" + std::string(none) + "</p>";
  std::string out = "<p>" + n(total) + " in the period" + (total > calls.size() ? "; the first " + n(calls.size()) + ":" : ":") +
                    "</p><table><thead><tr><th style=\"width:19%\">time</th><th style=\"width:15%\">principal</th>"
                    "<th style=\"width:15%\">operation</th><th style=\"width:14%\">table</th><th>detail</th>"
                    "<th style=\"width:20%\">eventID</th></tr></thead><tbody>";
  for (const auto& c : calls)
    out += "<tr><td>" + esc(c.time) + "</td><td>" + esc(c.principal) + "</td><td>" + esc(c.operation) + "</td><td>" +
           esc(c.table) + "</td><td>" + esc(c.detail) + "</td><td><code>" + esc(c.event_id) + "</code></td></tr>";
  return out + "</tbody></table>";
}

std::string framework_name(const std::string& f) {
  if (f == "pci-dss") return "PCI DSS 4.0";
  if (f == "hipaa") return "HIPAA Security Rule";
  if (f == "gdpr") return "GDPR";
  if (f == "sox") return "SOX IT general controls";
  return "PCI DSS 4.0, HIPAA, GDPR and SOX";
}

}  // namespace

std::string render_html(const ReportData& d) {
  std::uint64_t unmasked = 0, met = 0, gaps = 0;
  for (const auto& e : d.inventory) unmasked += e.mask_rule.empty();
  for (const auto& c : d.controls) met += c.status == "met", gaps += c.status == "gap";
  std::string h = "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                  "<title>dynaudit compliance report: " + esc(framework_name(d.framework)) + "</title><style>" + kStyle +
                  "</style></head><body><main>";
  h += "<h1>Compliance report: " + esc(framework_name(d.framework)) + "</h1><p class=\"muted\">Period " +
       esc(time_of(d.since)) + " to " + esc(time_of(d.until)) + " · generated " + esc(d.generated_at) + " by dynaudit · store <code>" +
       esc(d.store) + "</code></p>";
  h += "<div class=\"cards\"><div class=\"card\"><b>" + n(d.calls) + "</b>calls recorded</div><div class=\"card\"><b>" +
       n(d.denied_total) + "</b>denied</div><div class=\"card\"><b>" + n(d.masked_replies) +
       "</b>replies masked</div><div class=\"card\"><b>" + n(d.anomalies_total) + "</b>anomalies</div><div class=\"card\"><b>" +
       (d.chain_verified ? "intact" : "BROKEN") + "</b>hash chain</div><div class=\"card\"><b>" + n(met) + " / " + n(gaps) +
       "</b>controls met / gaps</div></div>";

  h += "<h2>Control mapping</h2><table><thead><tr><th style=\"width:13%\">framework</th><th style=\"width:12%\">control</th>"
       "<th style=\"width:22%\">requirement</th><th style=\"width:10%\">status</th><th>evidence in the audit log</th></tr></thead><tbody>";
  for (const auto& c : d.controls) {
    h += "<tr><td>" + esc(c.framework) + "</td><td>" + esc(c.id) + "</td><td>" + esc(c.title) + "</td><td>" +
         status_badge(c.status) + "</td><td><ul>";
    for (const auto& e : c.evidence) h += "<li>" + esc(e) + "</li>";
    h += "</ul>";
    if (!c.event_ids.empty()) {
      h += "<span class=\"muted\">records: ";
      for (std::size_t i = 0; i < c.event_ids.size(); ++i) h += (i ? ", " : "") + std::string("<code>") + esc(c.event_ids[i]) + "</code>";
      h += "</span>";
    }
    h += "</td></tr>";
  }
  h += "</tbody></table>";

  h += "<h2>Activity</h2><h3>Calls over time by decision</h3>" + day_chart(d.by_day, "calls per day", "allowed", "denied", "error");
  h += "<h3>Top principals</h3>" + ranking_chart(d.top_principals, "calls by principal") + "<h3>Top tables</h3>" +
       ranking_chart(d.top_tables, "calls by table");

  h += "<h2>Audit completeness and integrity</h2><table><tbody><tr><th style=\"width:30%\">records in the period</th><td>" +
       n(d.records) + " (" + n(d.calls) + " calls)</td></tr><tr><th>hash chain</th><td>" +
       (d.chain_verified ? "verified over " + n(d.chain_records_checked) + " records"
                         : "NOT verified: " + esc(d.chain_problem)) +
       "</td></tr><tr><th>signed checkpoints checked</th><td>" + n(d.checkpoints_checked) +
       "</td></tr><tr><th>witness</th><td>" +
       (!d.witness_configured ? std::string("none configured: a store cut short or rolled back would look intact")
        : d.witness_ok ? "matches: " + n(d.witness_entries_checked) + " witnessed checkpoints found; " +
                             n(d.not_yet_provable) + " records after the newest not yet provable"
                       : "DOES NOT MATCH: " + esc(d.witness_problem)) +
       "</td></tr><tr><th>calls answered without a record (fail-open)</th><td>" + n(d.unrecorded_calls) + "</td></tr></tbody></table>";

  h += "<h2>Sensitive data</h2><h3>Where it lives (discovery inventory)</h3>";
  if (d.inventory.empty()) {
    h += "<p class=\"muted\">Discovery has not found sensitive attributes (or has not sampled this store's tables).</p>";
  } else {
    h += "<p>" + n(d.inventory.size()) + " attributes, " + n(unmasked) + " unmasked.</p><table><thead><tr><th>table</th>"
         "<th>attribute path</th><th>class</th><th style=\"width:9%\">confidence</th><th style=\"width:10%\">status</th>"
         "<th>mask rule</th><th>read in clear by</th></tr></thead><tbody>";
    for (const auto& e : d.inventory) {
      std::string readers;
      for (std::size_t i = 0; i < e.clear_readers.size(); ++i) readers += (i ? ", " : "") + e.clear_readers[i];
      char conf[16];
      std::snprintf(conf, sizeof conf, "%.2f", e.confidence);
      h += "<tr><td>" + esc(e.table) + "</td><td><code>" + esc(e.path) + "</code></td><td>" +
           esc(discovery::to_string(e.data_class)) + "</td><td>" + conf + "</td><td>" +
           status_badge(e.mask_rule.empty() ? "gap" : "met") + "</td><td>" +
           esc(e.mask_rule.empty() ? "UNMASKED" : e.mask_rule) + "</td><td>" + esc(readers) + "</td></tr>";
    }
    h += "</tbody></table>";
  }
  h += "<h3>Reads of tables holding sensitive data</h3>";
  if (d.sensitive.empty()) {
    h += "<p class=\"muted\">None in the period.</p>";
  } else {
    h += "<table><thead><tr><th>principal</th><th>table</th><th>masked reads</th><th>clear reads</th></tr></thead><tbody>";
    for (const auto& s : d.sensitive)
      h += "<tr><td>" + esc(s.principal) + "</td><td>" + esc(s.table) + "</td><td>" + n(s.masked) + "</td><td>" + n(s.clear) +
           "</td></tr>";
    h += "</tbody></table>";
  }
  h += "<h3>Sensitive reads over time</h3>" + day_chart(d.sensitive_by_day, "sensitive reads per day", "masked", "clear", nullptr);

  h += "<h2>Denied calls</h2>" + call_table(d.denied, d.denied_total, "No call was denied in the period.");
  h += "<h2>Alerted calls</h2>" + call_table(d.alerted, d.alerted_total, "No call raised an alert in the period.");
  h += "<h2>Privileged and schema operations</h2>" +
       call_table(d.privileged, d.privileged_total, "No schema or administrative operation in the period.");
  h += "<h2>Bulk reads</h2>" + call_table(d.bulk, d.bulk_total, "No read returned 1,000 items or more.");
  h += "<h2>Anomalies</h2>" + call_table(d.anomalies, d.anomalies_total, "The behaviour analyser reported nothing.");
  h += "<h2>Masked replies</h2>" + call_table(d.masked, d.masked_replies, "No reply was masked in the period.");

  h += "<h2>Rules</h2>";
  if (d.rules_seen.empty()) {
    h += "<p class=\"muted\">No rule matched a call in the period.</p>";
  } else {
    h += "<p>Rules that matched calls in the period: ";
    for (std::size_t i = 0; i < d.rules_seen.size(); ++i) h += (i ? ", " : "") + std::string("<code>") + esc(d.rules_seen[i]) + "</code>";
    h += ".</p>";
  }
  if (!d.tags.empty()) {
    h += "<p>Compliance tags on calls: ";
    bool first = true;
    for (const auto& [tag, count] : d.tags) h += (first ? "" : ", ") + std::string("<code>") + esc(tag) + "</code> " + n(count), first = false;
    h += ".</p>";
  }
  h += "<h3>Rule set in force and its history</h3>";
  if (d.rules_at_start) {
    const auto& c = d.rules_at_start->change;
    h += "<p>When the period began: " + n(c.rules) + " rules, <code>" + esc(c.fingerprint) + "</code>, loaded " +
         esc(d.rules_at_start->time) + " (record <code>" + esc(d.rules_at_start->event_id) + "</code>).</p>";
  }
  if (d.rule_changes.empty()) {
    h += "<p class=\"muted\">" + std::string(d.rules_at_start ? "The rule files were not reloaded in the period."
                                                                : "No load of the rule files is recorded.") + "</p>";
  } else {
    h += "<p>" + n(d.rule_changes_total) + " loads of the rule files, " + n(d.rule_changes_refused) +
         " refused (the rules before them kept running).</p><table><thead><tr><th>Time</th><th>Trigger</th>"
         "<th>Result</th><th>Rules</th><th>Fingerprint</th><th>Record</th></tr></thead><tbody>";
    for (const auto& r : d.rule_changes) {
      h += "<tr><td>" + esc(r.time) + "</td><td>" + esc(r.change.trigger) + "</td><td>" +
           (r.change.applied ? std::string("applied") : "refused: " + esc(r.change.errors.empty() ? "" : r.change.errors.front())) +
           "</td><td>" + n(r.change.rules) + "</td><td><code>" + esc(r.change.fingerprint.substr(0, 19)) + "…</code></td><td><code>" +
           esc(r.event_id) + "</code></td></tr>";
    }
    h += "</tbody></table>";
  }
  h += "</main></body></html>\n";
  return h;
}

}  // namespace dynaudit::report
