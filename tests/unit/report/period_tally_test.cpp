// PeriodTally: however the records are split between tallies (one per
// verify thread), the merged report is the one a single tally makes.
#include <catch2/catch.hpp>

#include "report/period_tally.hpp"
#include "report/render.hpp"
#include "storage/rules_change_record.hpp"
#include "storage/time_format.hpp"

using namespace dynaudit;
using namespace dynaudit::report;

namespace {

std::vector<storage::AuditEvent> session(std::size_t n) {
  std::vector<storage::AuditEvent> records;
  const std::int64_t t0 = 1'765'000'000'000;
  for (std::size_t i = 0; i < n; ++i) {
    storage::AuditEvent e;
    e.sequence = i + 1;
    e.event_id = "e-" + std::to_string(i);
    e.event_time = storage::from_unix_ms(t0 + static_cast<std::int64_t>(i) * 3'600'000);  // an hour apart: days
    e.user_identity.principal_id = i % 3 == 0 ? "alice" : i % 3 == 1 ? "bob" : "carol";
    e.event_name = i % 5 == 0 ? "Scan" : "GetItem";
    e.tables = {i % 2 ? "cards" : "orders"};
    e.read_only = true;
    e.outcome = "forwarded";
    if (i % 7 == 0) e.decision = "deny", e.error_code = "AccessDeniedException", e.determining_rule = "r-deny";
    if (i % 11 == 0) e.masked_rules = {"mask-card"};
    if (i % 13 == 0) e.management_event = true, e.read_only = false, e.event_name = "CreateTable";
    if (i % 17 == 0) e.response_items = 5000;
    e.tags = {i % 2 ? "pci-dss:3.4" : "hipaa:164.312"};
    e.matched_rules = {i % 4 ? "r-a" : "r-b"};
    records.push_back(std::move(e));
  }
  storage::RulesChange change;
  change.time = storage::from_unix_ms(t0);
  change.trigger = "signal";
  change.applied = false;
  change.fingerprint = "sha256:" + std::string(64, 'b');
  auto rules = storage::make_rules_change_record(change);
  rules.sequence = n + 1;
  records.push_back(rules);
  return records;
}

std::string rendered(ReportData d) {
  d.generated_at = "fixed";
  return render_json(d);
}

}  // namespace

TEST_CASE("tallies split by lane merge into the report one tally makes") {
  const std::set<std::string> sensitive = {"cards"};
  const auto records = session(400);
  ReportData whole, split;
  std::vector<PeriodTally> one(1, PeriodTally(&sensitive));
  for (const auto& r : records) one.front().add(r);
  PeriodTally::merge(one, whole);

  std::vector<PeriodTally> lanes(3, PeriodTally(&sensitive));
  for (const auto& r : records) lanes[r.sequence % 3].add(r);  // each lane in sequence order, as verify's threads
  PeriodTally::merge(lanes, split);

  CHECK(whole.calls == 400);
  CHECK(whole.denied_total == 58);  // i % 7 == 0 for i < 400
  REQUIRE(whole.denied.size() == kListed);
  CHECK(whole.denied.front().event_id == "e-0");
  CHECK(whole.denied.back().event_id == "e-168");  // the 25th, by sequence
  CHECK(whole.rule_changes_total == 1);
  CHECK(whole.rule_changes_refused == 1);
  CHECK(whole.by_day.size() == 17);
  CHECK(rendered(whole) == rendered(split));
}
