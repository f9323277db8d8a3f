// The console's pages, rendered on the server as complete HTML documents:
// no script at all, one stylesheet from the console itself (/static/console.css),
// every value escaped. Forms that change something carry the session's CSRF
// token. Labels on every control; the layout reads at 1280 px and on a
// narrow window.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <utility>
#include <string>
#include <string_view>
#include <vector>

#include "console/console_sessions.hpp"
#include "console/search_form.hpp"
#include "report/html_escape.hpp"
#include "discovery/inventory.hpp"
#include "storage/audit_event.hpp"
#include "storage/checkpoint.hpp"
#include "storage/audit_store.hpp"

namespace dynaudit::console {

using report::html_escape;

// `login_token`: the double-submit token of the login form (also in a cookie).
std::string login_page(std::string_view login_token, std::string_view problem);

struct SearchResult {
  std::vector<storage::AuditEvent> rows;
  bool more = false;           // another page follows
  // The search stopped after examining its bound without filling the page:
  // where to go on from (unix ms, sequence).
  std::optional<std::pair<std::int64_t, std::uint64_t>> resume;
  std::size_t examined_bound = 0;
  std::string problem;         // why the search could not run
  double milliseconds = 0;     // how long the store took
};
std::string search_page(const Session& session, const SearchForm& form, const SearchResult& result);

// `raw`: the record as stored (the CloudTrail JSON); `checkpoint`: the
// signed checkpoint whose chain hash covers it, when one does.
// `witness`: what the witness file says of the record's segment ("" when
// the store has no witness).
std::string record_page(const Session& session, const storage::AuditEvent& record, std::string_view raw,
                        const std::optional<storage::Checkpoint>& checkpoint = std::nullopt,
                        std::string_view witness = "");

// Where sensitive data lives, as discovery found it (docs/discovery.md).
std::string discovery_page(const Session& session, const std::vector<discovery::InventoryEntry>& inventory,
                           std::string_view problem);

struct AlertChannelHealth {
  std::string name;
  std::uint64_t delivered = 0, failed = 0, dropped = 0;
};

struct Overview {
  storage::StoreStats store;
  std::string store_problem;
  std::chrono::system_clock::time_point since;            // of the hourly counts (24 hours)
  std::vector<std::uint64_t> allowed_by_hour, denied_by_hour;
  bool counts_capped = false;
  std::size_t sampled_calls = 0;                          // the newest calls the top lists are made of
  std::vector<std::pair<std::string, std::uint64_t>> top_principals, top_tables;
  std::vector<storage::AuditEvent> recent_denies, recent_alerts, rule_loads, anomalies;
  bool alerts_known = false;                              // serve's admin listener answered
  std::vector<AlertChannelHealth> alert_channels;
};
std::string overview_page(const Session& session, const Overview& overview);

// The live tail: a list the page's one script (/static/tail.js) fills from
// the server-sent events of /tail/events, newest on top.
std::string tail_page(const Session& session);
std::string_view tail_js();
// One record as the tail's event: a few fields as JSON, one line.
std::string tail_event(const storage::AuditEvent& record);

// `revealed`: the sealed values in clear (JSON text); `reveal_event`: the
// RevealSealedValues record that says who saw them and why.
std::string reveal_page(const Session& session, const storage::AuditEvent& record, std::string_view revealed,
                        std::string_view reveal_event);

std::string message_page(std::string_view title, std::string_view message);

// The stylesheet served at /static/console.css.
std::string_view console_css();

}  // namespace dynaudit::console
