// The exposition reader `dynaudit top` uses: what the writer writes comes
// back with the same names, labels (escapes undone) and values; lines it
// cannot read are counted, not fatal.
#include <catch2/catch.hpp>

#include <cmath>

#include "metrics/exposition.hpp"
#include "metrics/text_parse.hpp"

using namespace dynaudit::metrics;

TEST_CASE("what the writer writes, the reader reads back") {
  Exposition out(Format::prometheus_text);
  out.family("dynaudit_requests", Type::counter, "Calls.");
  out.sample({{"operation", "GetItem"}, {"table", "we\"ird\\na\nme"}}, std::uint64_t{42});
  out.family("g", Type::gauge, "A gauge.");
  out.sample({}, 0.25);
  LatencyHistogram h;
  h.observe(std::chrono::microseconds(300));
  HistogramTotals totals;
  totals.add(h);
  out.family("lat_seconds", Type::histogram, "Latency.");
  out.histogram({{"operation", "Query"}}, totals);

  const auto parsed = parse_exposition(out.finish());
  CHECK(parsed.unreadable_lines == 0);
  REQUIRE(parsed.samples.size() == 2 + LatencyHistogram::kBuckets + 2);
  CHECK(parsed.samples[0].name == "dynaudit_requests_total");
  CHECK(parsed.samples[0].label("operation") == "GetItem");
  CHECK(parsed.samples[0].label("table") == "we\"ird\\na\nme");
  CHECK(parsed.samples[0].value == 42);
  CHECK(parsed.samples[1].name == "g");
  CHECK(parsed.samples[1].labels.empty());
  CHECK(parsed.samples[1].value == 0.25);
  const auto& inf = parsed.samples[2 + LatencyHistogram::kBuckets - 1];
  CHECK(inf.label("le") == "+Inf");
  CHECK(inf.value == 1);
  CHECK(std::isinf(parse_exposition("x{le=\"+Inf\"} +Inf\n").samples.at(0).value));
}

TEST_CASE("unreadable lines are counted and skipped") {
  const auto parsed = parse_exposition(
      "# HELP ok fine\nok 1\n{nolabelname} 2\nbad{a=\"unterminated} 3\nnovalue\nspaced{a=\"b\"} notanumber\nts 5 1700000000\n");
  REQUIRE(parsed.samples.size() == 2);
  CHECK(parsed.samples[0].name == "ok");
  CHECK(parsed.samples[1].name == "ts");
  CHECK(parsed.samples[1].value == 5);
  CHECK(parsed.unreadable_lines == 4);
}
