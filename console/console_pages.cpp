// The console's HTML (console_pages.hpp).
#include "console/console_pages.hpp"

#include "storage/rules_change_record.hpp"
#include "storage/time_format.hpp"

#include <algorithm>
#include <cstdio>

namespace dynaudit::console {
namespace {

std::string time_text(const storage::AuditEvent& e) { return storage::cloudtrail_time(storage::unix_ms(e.event_time)); }

std::string principal_of(const storage::AuditEvent& e) {
  return e.user_identity.principal_id.empty() ? e.user_identity.access_key_id : e.user_identity.principal_id;
}

std::string layout(std::string_view title, const Session* session, const std::string& main) {
  std::string h = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                  "<title>" + html_escape(title) + " · dynaudit console</title>"
                  "<link rel=\"stylesheet\" href=\"/static/console.css\"></head><body>"
                  "<header><a class=\"brand\" href=\"/overview\">dynaudit console</a>";
  if (session) {
    h += "<nav aria-label=\"pages\"><a href=\"/overview\">Overview</a><a href=\"/search\">Search</a>"
         "<a href=\"/tail\">Live tail</a><a href=\"/discovery\">Sensitive data</a></nav>"
         "<nav aria-label=\"account\"><span>" + html_escape(session->user) + " (" + std::string(to_string(session->role)) +
         ")</span><form method=\"post\" action=\"/logout\"><input type=\"hidden\" name=\"csrf\" value=\"" +
         html_escape(session->csrf) + "\"><button type=\"submit\">Log out</button></form></nav>";
  }
  h += "</header><main>" + main + "</main></body></html>\n";
  return h;
}

std::string field(std::string_view name, std::string_view label, std::string_view value, std::string_view hint = "") {
  return "<label>" + html_escape(label) + "<input name=\"" + std::string(name) + "\" value=\"" + html_escape(value) +
         "\"" + (hint.empty() ? "" : " placeholder=\"" + html_escape(hint) + "\"") + "></label>";
}

std::string dl_row(std::string_view term, std::string_view value) {
  return "<dt>" + html_escape(term) + "</dt><dd>" + (value.empty() ? std::string("—") : html_escape(value)) + "</dd>";
}

std::string join(const std::vector<std::string>& list) {
  std::string out;
  for (const auto& s : list) out += (out.empty() ? "" : ", ") + s;
  return out;
}

}  // namespace


std::string login_page(std::string_view login_token, std::string_view problem) {
  std::string m = "<h1>Log in</h1>";
  if (!problem.empty()) m += "<p class=\"problem\" role=\"alert\">" + html_escape(problem) + "</p>";
  m += "<form method=\"post\" action=\"/login\" class=\"login\"><input type=\"hidden\" name=\"login_token\" value=\"" +
       html_escape(login_token) +
       "\"><label>User<input name=\"user\" autocomplete=\"username\" required autofocus></label>"
       "<label>Password<input name=\"password\" type=\"password\" autocomplete=\"current-password\" required></label>"
       "<button type=\"submit\">Log in</button></form>";
  return layout("Log in", nullptr, m);
}

std::string search_page(const Session& session, const SearchForm& form, const SearchResult& result) {
  std::string m = "<h1>Search the audit log</h1><form method=\"get\" action=\"/search\" class=\"search\">";
  m += field("since", "Since", form.since, "24h or 2026-12-07T00:00:00Z");
  m += field("until", "Until", form.until, "now");
  m += field("principal", "Principal", form.principal);
  m += field("table", "Table", form.table);
  m += field("operation", "Operation", form.operation, "GetItem");
  m += "<label>Decision<select name=\"decision\">";
  for (const char* d : {"", "allow", "deny"})
    m += "<option value=\"" + std::string(d) + "\"" + (form.decision == d ? " selected" : "") + ">" +
         (*d ? d : "any") + "</option>";
  m += "</select></label>";
  m += field("error", "Error", form.error, "* for any");
  m += field("rule", "Rule", form.rule);
  m += field("tag", "Tag", form.tag, "pci-dss:*");
  m += "<button type=\"submit\">Search</button></form>";
  if (!result.problem.empty()) {
    m += "<p class=\"problem\" role=\"alert\">" + html_escape(result.problem) + "</p>";
    return layout("Search", &session, m);
  }
  char took[64];
  std::snprintf(took, sizeof took, "%.1f", result.milliseconds);
  m += "<p class=\"muted\" id=\"summary\">" + std::to_string(result.rows.size()) + (result.more ? "+" : "") +
       " records, newest first" + (form.before ? std::string(", older than the page before") : "") + " · " + took +
       " ms</p>";
  m += "<div class=\"table\"><table><thead><tr><th scope=\"col\">Time (UTC)</th><th scope=\"col\">Principal</th>"
       "<th scope=\"col\">Operation</th><th scope=\"col\">Table</th><th scope=\"col\">Decision</th>"
       "<th scope=\"col\">Outcome</th><th scope=\"col\">Source</th></tr></thead><tbody>";
  for (const auto& e : result.rows) {
    const std::string decision = e.decision == "deny" ? "<span class=\"deny\">deny</span>" : html_escape(e.decision);
    m += "<tr><td><a href=\"/record/" + url_encode(e.event_id) + "\">" + html_escape(time_text(e)) + "</a></td><td>" +
         html_escape(principal_of(e)) + "</td><td>" + html_escape(e.event_name) + "</td><td>" +
         html_escape(join(e.tables)) + "</td><td>" + decision + "</td><td>" +
         html_escape(e.error_code.empty() ? e.outcome : e.error_code) + "</td><td>" + html_escape(e.source_ip) +
         "</td></tr>";
  }
  m += "</tbody></table></div>";
  if (result.resume) {
    m += "<p id=\"resume\">Searched the newest " + std::to_string(result.examined_bound) +
         " records of the range without filling the page (a rule, tag or time filter no index narrows). <a href=\"/search?" +
         html_escape(form.query_string(result.resume)) + "\">Keep searching older records</a></p>";
  } else if (result.rows.empty()) {
    m += "<p class=\"muted\">No record matches.</p>";
  }
  if (result.more)
    m += "<p><a rel=\"next\" href=\"/search?" +
         html_escape(form.query_string(std::make_pair(storage::unix_ms(result.rows.back().event_time),
                                                      result.rows.back().sequence))) +
         "\">Older records</a></p>";
  return layout("Search", &session, m);
}

std::string record_page(const Session& session, const storage::AuditEvent& e, std::string_view raw,
                        const std::optional<storage::Checkpoint>& checkpoint, std::string_view witness) {
  std::string m = "<p><a href=\"/search\">← Search</a></p><h1>" + html_escape(e.event_name) + " by " +
                  html_escape(principal_of(e)) + "</h1><dl>";
  m += dl_row("Event ID", e.event_id);
  m += dl_row("Time (UTC)", time_text(e));
  m += dl_row("Principal", principal_of(e));
  m += dl_row("Identity type", e.user_identity.type);
  m += dl_row("Access key", e.user_identity.access_key_id);
  m += dl_row("Source", e.source_ip);
  m += dl_row("User agent", e.user_agent);
  m += dl_row("Tables", join(e.tables));
  m += dl_row("Decision", e.decision);
  m += dl_row("Deciding rule", e.determining_rule);
  m += dl_row("Matched rules", join(e.matched_rules));
  m += dl_row("Masked by", join(e.masked_rules));
  m += dl_row("Tags", join(e.tags));
  m += dl_row("Outcome", e.outcome);
  m += dl_row("HTTP status", std::to_string(e.http_status));
  m += dl_row("Error", e.error_code.empty() ? "" : e.error_code + ": " + e.error_message);
  m += dl_row("DynamoDB request id", e.request_id);
  m += dl_row("Items returned", std::to_string(e.response_items));
  m += dl_row("Sealed values", e.sealed_values.empty() ? "" : "kept, sealed");
  m += "</dl>";
  if (!e.sealed_values.empty()) {
    if (session.role == Role::investigator) {
      // Revealing is itself recorded, with the reason, before anything is shown.
      m += "<h2>Reveal sealed values</h2><form method=\"post\" action=\"/record/" + url_encode(e.event_id) +
           "/reveal\" class=\"reveal\"><input type=\"hidden\" name=\"csrf\" value=\"" + html_escape(session.csrf) +
           "\"><label>Reason (recorded in the audit log)<textarea name=\"reason\" required minlength=\"8\" "
           "maxlength=\"500\"></textarea></label><button type=\"submit\">Reveal</button></form>";
    } else {
      m += "<p class=\"muted\">Only investigators may reveal sealed values.</p>";
    }
  }
  m += "<h2>Chain position</h2><dl>";
  m += dl_row("Sequence", std::to_string(e.sequence));
  m += dl_row("Previous hash", e.previous_hash);
  m += dl_row("Hash", e.hash);
  if (checkpoint) {
    m += dl_row("Checkpoint", "#" + std::to_string(checkpoint->number) + " at record " +
                                  std::to_string(checkpoint->last_sequence) + ", " +
                                  storage::cloudtrail_time(checkpoint->time_ms) +
                                  (checkpoint->signature.empty() ? ", unsigned" : ", signed"));
  } else {
    m += dl_row("Checkpoint", "none yet: newer than the newest checkpoint");
  }
  m += dl_row("Witness", witness.empty() ? std::string_view("no witness configured (audit.witness)") : witness);
  m += "</dl><p class=\"muted\">The console shows the chain position; proving it (hashes, signatures, the "
       "witness) is <code>dynaudit audit verify</code>'s job.</p><h2>Raw record (CloudTrail JSON)</h2><pre>" + html_escape(raw) + "</pre>";
  return layout(e.event_name + " " + e.event_id, &session, m);
}

namespace {

// Calls per hour, allowed and denied stacked, as inline SVG (no script;
// presentation attributes, which the CSP allows).
std::string hourly_chart(const Overview& o) {
  const std::size_t n = o.allowed_by_hour.size();
  std::uint64_t peak = 1;
  for (std::size_t i = 0; i < n; ++i) peak = std::max(peak, o.allowed_by_hour[i] + o.denied_by_hour[i]);
  constexpr int kW = 720, kH = 160, kBottom = 20;
  const double bar = n ? static_cast<double>(kW) / static_cast<double>(n) : kW;
  std::string svg = "<svg viewBox=\"0 0 720 180\" role=\"img\" aria-label=\"records per hour over the last 24 hours, allowed and denied\" class=\"chart\">";
  char buf[256];
  for (std::size_t i = 0; i < n; ++i) {
    const double allowed = static_cast<double>(o.allowed_by_hour[i]) / static_cast<double>(peak) * (kH - kBottom);
    const double denied = static_cast<double>(o.denied_by_hour[i]) / static_cast<double>(peak) * (kH - kBottom);
    const double x = static_cast<double>(i) * bar + 1;
    std::snprintf(buf, sizeof buf, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#2456a6\"/>", x,
                  kH - allowed, bar - 2, allowed);
    svg += buf;
    std::snprintf(buf, sizeof buf, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#b3261e\"/>", x,
                  kH - allowed - denied, bar - 2, denied);
    svg += buf;
  }
  std::snprintf(buf, sizeof buf,
                "<text x=\"0\" y=\"178\" font-size=\"12\" fill=\"#3d4b5c\">24 h ago</text><text x=\"720\" y=\"178\" "
                "font-size=\"12\" fill=\"#3d4b5c\" text-anchor=\"end\">now · peak %llu records/h</text></svg>",
                static_cast<unsigned long long>(peak));
  return svg + buf;
}

std::string ranking(const std::vector<std::pair<std::string, std::uint64_t>>& list, std::string_view what,
                    std::string_view field) {
  std::string h = "<table><thead><tr><th scope=\"col\">" + html_escape(what) +
                  "</th><th scope=\"col\">Calls</th></tr></thead><tbody>";
  for (const auto& [name, calls] : list)
    h += "<tr><td><a href=\"/search?since=24h&amp;" + std::string(field) + "=" + url_encode(name) + "\">" +
         html_escape(name) + "</a></td><td>" + std::to_string(calls) + "</td></tr>";
  return h + "</tbody></table>";
}

std::string short_list(const std::vector<storage::AuditEvent>& events, std::string_view empty) {
  if (events.empty()) return "<p class=\"muted\">" + html_escape(empty) + "</p>";
  std::string h = "<ul class=\"events\">";
  for (const auto& e : events)
    h += "<li><a href=\"/record/" + url_encode(e.event_id) + "\">" + html_escape(time_text(e)) + "</a> " +
         html_escape(principal_of(e)) + " " + html_escape(e.event_name) +
         (e.tables.empty() ? std::string() : " on " + html_escape(join(e.tables))) +
         (e.error_code.empty() ? std::string() : " — " + html_escape(e.error_code)) + "</li>";
  return h + "</ul>";
}

}  // namespace

std::string overview_page(const Session& session, const Overview& o) {
  std::uint64_t allowed = 0, denied = 0;
  for (auto v : o.allowed_by_hour) allowed += v;
  for (auto v : o.denied_by_hour) denied += v;
  std::string m = "<h1>Overview</h1><section class=\"cards\">";
  m += "<div class=\"card\"><b>" + std::to_string(allowed + denied) + "</b> records in 24 h</div>";
  m += "<div class=\"card\"><b>" + std::to_string(denied) + "</b> denied</div>";
  m += "<div class=\"card\"><b>" + std::to_string(o.store.records) + "</b> records in all</div>";
  m += "<div class=\"card\"><b>" + std::string(o.store_problem.empty() && o.store.healthy ? "readable" : "NOT readable") +
       "</b> store</div></section>";
  m += "<h2>Records per hour, allowed and denied</h2>" + hourly_chart(o);
  if (o.counts_capped) m += "<p class=\"muted\">Counted up to the bound of index entries an overview reads.</p>";
  m += "<div class=\"columns\"><div><h2>Top principals</h2>" + ranking(o.top_principals, "Principal", "principal") +
       "</div><div><h2>Top tables</h2>" + ranking(o.top_tables, "Table", "table") + "</div></div>";
  m += "<p class=\"muted\">Among the newest " + std::to_string(o.sampled_calls) + " calls of the last 24 hours.</p>";
  m += "<h2>Recent denies</h2>" + short_list(o.recent_denies, "No call was denied in the last 7 days.");
  m += "<h2>Recent alerts</h2>" + short_list(o.recent_alerts, "No call raised an alert among the newest 20 000 records of the week.");
  m += "<h2>Anomalies</h2>" + short_list(o.anomalies, "The behaviour analyser reported nothing.");
  m += "<h2>Rules: loads and reloads</h2>";
  if (o.rule_loads.empty()) {
    m += "<p class=\"muted\">No load of the rule files is recorded.</p>";
  } else {
    m += "<ul class=\"events\">";
    for (const auto& e : o.rule_loads)
      if (const auto c = storage::rules_change_of_record(e))
        m += "<li><a href=\"/record/" + url_encode(e.event_id) + "\">" + html_escape(time_text(e)) + "</a> " +
             html_escape(c->trigger) + ": " + (c->applied ? "applied, " : "refused, ") + std::to_string(c->rules) +
             " rules in force, <code>" + html_escape(c->fingerprint.substr(0, 19)) + "…</code>" +
             (c->errors.empty() ? std::string() : " — " + html_escape(c->errors.front())) + "</li>";
    m += "</ul>";
  }
  m += "<h2>Alert channels</h2>";
  if (!o.alerts_known) {
    m += "<p class=\"muted\">serve's admin listener did not answer.</p>";
  } else if (o.alert_channels.empty()) {
    m += "<p class=\"muted\">No alert channel is configured.</p>";
  } else {
    m += "<table><thead><tr><th scope=\"col\">Channel</th><th scope=\"col\">Delivered</th><th scope=\"col\">Failed</th>"
         "<th scope=\"col\">Dropped</th></tr></thead><tbody>";
    for (const auto& c : o.alert_channels)
      m += "<tr><td>" + html_escape(c.name) + "</td><td>" + std::to_string(c.delivered) + "</td><td>" +
           std::to_string(c.failed) + "</td><td>" + std::to_string(c.dropped) + "</td></tr>";
    m += "</tbody></table>";
  }
  return layout("Overview", &session, m);
}

std::string tail_page(const Session& session) {
  std::string m = "<h1>Live tail</h1><p class=\"muted\" id=\"tail-state\">Connecting…</p>"
                  "<ul class=\"events\" id=\"tail\" aria-live=\"polite\"></ul>"
                  "<script src=\"/static/tail.js\"></script>";
  return layout("Live tail", &session, m);
}

std::string_view tail_js() {
  // textContent only: nothing from a record is ever parsed as HTML.
  return R"js(const list = document.getElementById("tail");
const state = document.getElementById("tail-state");
const source = new EventSource("/tail/events");
source.onopen = () => { state.textContent = "Following new records as serve commits them."; };
source.onerror = () => { state.textContent = "Disconnected; retrying…"; };
source.onmessage = (message) => {
  const r = JSON.parse(message.data);
  const item = document.createElement("li");
  const link = document.createElement("a");
  link.href = "/record/" + encodeURIComponent(r.eventID);
  link.textContent = r.time;
  item.append(link, " " + r.principal + " " + r.operation + (r.tables ? " on " + r.tables : "") + " — " + r.decision +
    (r.error ? " (" + r.error + ")" : ""));
  item.dataset.eventId = r.eventID;
  list.prepend(item);
  while (list.children.length > 200) list.lastChild.remove();
};
)js";
}

std::string tail_event(const storage::AuditEvent& e) {
  const auto field = [](std::string& out, std::string_view name, std::string_view value) {
    out += out.size() > 1 ? ",\"" : "\"";
    out += name;
    out += "\":\"";
    for (char c : value) {
      if (c == '"' || c == '\\') out += '\\', out += c;
      else if (static_cast<unsigned char>(c) < 0x20) out += ' ';
      else out += c;
    }
    out += '"';
  };
  std::string out = "{";
  field(out, "eventID", e.event_id);
  field(out, "time", time_text(e));
  field(out, "principal", principal_of(e));
  field(out, "operation", e.event_name);
  field(out, "tables", join(e.tables));
  field(out, "decision", e.decision);
  field(out, "error", e.error_code);
  return out + "}";
}

std::string reveal_page(const Session& session, const storage::AuditEvent& e, std::string_view revealed,
                        std::string_view reveal_event) {
  std::string m = "<p><a href=\"/record/" + url_encode(e.event_id) + "\">← Record</a></p><h1>Sealed values of " +
                  html_escape(e.event_name) + " by " + html_escape(principal_of(e)) + "</h1>";
  m += "<p>Recorded as <a href=\"/record/" + url_encode(reveal_event) + "\">" + html_escape(reveal_event) +
       "</a>: who revealed them, when, and why.</p><pre id=\"revealed\">" + html_escape(revealed) + "</pre>";
  return layout("Revealed values", &session, m);
}

std::string discovery_page(const Session& session, const std::vector<discovery::InventoryEntry>& inventory,
                           std::string_view problem) {
  std::string m = "<h1>Sensitive data</h1>";
  if (!problem.empty()) return layout("Sensitive data", &session, m + "<p class=\"problem\">" + html_escape(problem) + "</p>");
  std::size_t unmasked = 0;
  for (const auto& e : inventory) unmasked += e.mask_rule.empty();
  m += "<p>" + std::to_string(inventory.size()) + " attributes hold sensitive data; " + std::to_string(unmasked) +
       " no mask rule covers (<code>dynaudit discover suggest-rules</code>).</p>";
  m += "<div class=\"table\"><table><thead><tr><th scope=\"col\">Table</th><th scope=\"col\">Attribute</th>"
       "<th scope=\"col\">Class</th><th scope=\"col\">Values</th><th scope=\"col\">Masked by</th>"
       "<th scope=\"col\">Read in clear by</th></tr></thead><tbody>";
  for (const auto& e : inventory) {
    m += "<tr><td><a href=\"/search?since=7d&amp;table=" + url_encode(e.table) + "\">" + html_escape(e.table) +
         "</a></td><td>" + html_escape(e.path) + "</td><td>" + html_escape(discovery::to_string(e.data_class)) +
         "</td><td>" + std::to_string(e.values) + "</td><td>" +
         (e.mask_rule.empty() ? std::string("<span class=\"deny\">UNMASKED</span>") : html_escape(e.mask_rule)) +
         "</td><td>" + html_escape(join(e.clear_readers)) + "</td></tr>";
  }
  m += "</tbody></table></div>";
  if (inventory.empty()) m += "<p class=\"muted\">Discovery has not sampled any sensitive value yet.</p>";
  return layout("Sensitive data", &session, m);
}

std::string message_page(std::string_view title, std::string_view message) {
  return layout(title, nullptr, "<h1>" + html_escape(title) + "</h1><p>" + html_escape(message) +
                                    "</p><p><a href=\"/search\">Search</a></p>");
}

std::string_view console_css() {
  return R"(*{box-sizing:border-box}
body{margin:0;font:15px/1.45 "DejaVu Sans",sans-serif;color:#1d2733;background:#f6f8fa}
header{display:flex;flex-wrap:wrap;gap:12px;justify-content:space-between;align-items:center;padding:10px 20px;background:#1d2733;color:#fff}
header a.brand{color:#fff;font-weight:bold;text-decoration:none}
header nav a{color:#fff}
.cards{display:flex;flex-wrap:wrap;gap:10px}.card{background:#fff;border:1px solid #e1e6eb;padding:10px 14px;min-width:150px}
.card b{display:block;font-size:22px}
svg.chart{width:100%;max-width:720px;height:auto;background:#fff;border:1px solid #e1e6eb}
.columns{display:grid;grid-template-columns:repeat(auto-fit,minmax(280px,1fr));gap:16px}
code{font:13px "DejaVu Sans Mono",monospace}
ul.events{background:#fff;border:1px solid #e1e6eb;padding:8px 8px 8px 26px;overflow-wrap:anywhere}
header nav{display:flex;gap:10px;align-items:center}
header form{margin:0}
main{padding:16px 20px;max-width:1400px}
h1{font-size:22px;margin:8px 0 14px}h2{font-size:18px;margin:22px 0 8px}
form.search{display:grid;grid-template-columns:repeat(auto-fill,minmax(180px,1fr));gap:10px;align-items:end;margin-bottom:12px}
form.login{display:grid;gap:12px;max-width:320px}
form.reveal{display:grid;gap:8px;max-width:640px}
textarea{font:inherit;padding:6px 8px;border:1px solid #9aa7b5;border-radius:4px;min-height:70px}
label{display:flex;flex-direction:column;font-size:13px;color:#3d4b5c;gap:3px}
input,select,button{font:inherit;padding:6px 8px;border:1px solid #9aa7b5;border-radius:4px;background:#fff;min-width:0}
button{background:#2456a6;color:#fff;border-color:#2456a6;cursor:pointer}
header button{background:#3d4b5c;border-color:#5d6b7c}
input:focus,select:focus,button:focus,a:focus{outline:3px solid #f0b429;outline-offset:1px}
.table{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{border-bottom:1px solid #e1e6eb;padding:6px 8px;text-align:left;vertical-align:top;overflow-wrap:anywhere}
th{background:#eef2f6;font-size:13px}
a{color:#1f4f99}
.deny{color:#b3261e;font-weight:bold}
.problem{color:#b3261e;font-weight:bold}
.muted{color:#5d6b7c}
dl{display:grid;grid-template-columns:minmax(120px,220px) 1fr;gap:4px 12px;background:#fff;padding:10px;border:1px solid #e1e6eb}
dt{font-weight:bold;color:#3d4b5c}dd{margin:0;overflow-wrap:anywhere}
pre{background:#fff;border:1px solid #e1e6eb;padding:10px;white-space:pre-wrap;overflow-wrap:anywhere;font:12px/1.4 "DejaVu Sans Mono",monospace}
@media (max-width:600px){dl{grid-template-columns:1fr}main{padding:10px}}
)";
}

}  // namespace dynaudit::console
