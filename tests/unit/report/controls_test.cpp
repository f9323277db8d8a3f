// The control mapping's judgements, and what the renderers write.
#include <catch2/catch.hpp>

#include "report/controls.hpp"
#include "report/render.hpp"

using namespace dynaudit;
using namespace dynaudit::report;

namespace {
ReportData session() {
  ReportData d;
  d.framework = "all";
  d.calls = d.records = 10;
  d.chain_verified = true;
  d.chain_records_checked = 10;
  d.checkpoints_checked = 2;
  d.witness_configured = d.witness_ok = true;
  d.witness_entries_checked = 2;
  d.denied_total = 1;
  d.denied = {{"e-deny", "2026-12-07T10:00:00Z", "bob", "Scan", "cards", "AccessDeniedException (rule r)"}};
  d.masked_replies = 1;
  d.masked = {{"e-mask", "2026-12-07T10:00:01Z", "alice", "GetItem", "cards", "masked by mask-card"}};
  discovery::InventoryEntry card;
  card.table = "cards";
  card.path = "pan";
  card.data_class = discovery::DataClass::card_number;
  card.mask_rule = "mask-card";
  card.confidence = 0.97;
  d.inventory.push_back(card);
  return d;
}

const ControlRow& row(const std::vector<ControlRow>& rows, std::string_view id) {
  for (const auto& r : rows)
    if (r.id == id) return r;
  FAIL("no row " << id);
  return rows.front();
}
}  // namespace

TEST_CASE("a clean session meets the controls it has evidence for, citing its records") {
  const auto rows = judge_controls(session());
  CHECK(rows.size() == 12);
  CHECK(row(rows, "10.2.1").status == "met");
  CHECK(row(rows, "10.3.2").status == "met");
  CHECK(row(rows, "3.4.1").status == "met");
  CHECK(row(rows, "3.4.1").event_ids == std::vector<std::string>{"e-mask"});
  CHECK(row(rows, "7.2.1").event_ids == std::vector<std::string>{"e-deny"});
  CHECK(row(rows, "10.2.1.2").status == "not applicable");  // no administrative action
  CHECK(row(rows, "Art. 32").status == "not applicable");   // no personal data found
  CHECK(row(rows, "Art. 30").status == "gap");              // and so no inventory of it
}

TEST_CASE("gaps: a broken chain, fail-open gaps, an unmasked card, no denials, no checkpoints") {
  auto d = session();
  d.chain_verified = false;
  d.chain_problem = "hash mismatch at 7";
  auto rows = judge_controls(d);
  CHECK(row(rows, "10.2.1").status == "gap");
  CHECK(row(rows, "164.312(c)(1)").status == "gap");
  CHECK(row(rows, "ITGC logical access").status == "gap");

  d = session();
  d.unrecorded_calls = 3;
  CHECK(row(judge_controls(d), "164.312(b)").status == "gap");

  d = session();
  d.inventory.front().mask_rule.clear();
  rows = judge_controls(d);
  CHECK(row(rows, "3.4.1").status == "gap");
  CHECK(row(rows, "3.4.1").evidence.back().find("cards.pan") != std::string::npos);

  d = session();
  d.denied_total = 0;
  d.denied.clear();
  CHECK(row(judge_controls(d), "7.2.1").status == "gap");

  d = session();
  d.checkpoints_checked = 0;
  CHECK(row(judge_controls(d), "10.3.2").status == "gap");

  d = session();
  d.witness_configured = false;
  CHECK(row(judge_controls(d), "10.3.2").status == "gap");
  d = session();
  d.witness_ok = false;
  d.witness_problem = "witnessed checkpoint 3 at sequence 40 is missing";
  rows = judge_controls(d);
  CHECK(row(rows, "164.312(c)(1)").status == "gap");
  CHECK(row(rows, "164.312(c)(1)").evidence.back().find("sequence 40") != std::string::npos);
}

TEST_CASE("one framework at a time") {
  auto d = session();
  d.framework = "hipaa";
  const auto rows = judge_controls(d);
  CHECK(rows.size() == 3);
  for (const auto& r : rows) CHECK(r.framework == "HIPAA");
}

TEST_CASE("the renderers escape what callers control and fetch nothing") {
  auto d = session();
  d.denied.front().principal = "<script>alert(1)</script>";
  d.controls = judge_controls(d);
  const auto html = render_html(d);
  CHECK(html.find("<script>") == std::string::npos);
  CHECK(html.find("&lt;script&gt;") != std::string::npos);
  CHECK(html.find("http://") == std::string::npos);
  CHECK(html.find("https://") == std::string::npos);
  const auto json = render_json(d);
  CHECK(json.find("\"<script>alert(1)</script>\"") != std::string::npos);
  CHECK(json.front() == '{');
  CHECK(json.back() == '}');
}
