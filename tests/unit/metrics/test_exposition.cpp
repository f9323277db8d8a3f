// The Prometheus text and OpenMetrics writers: counter naming in each
// format, label escaping, cumulative histogram buckets and `# EOF`.
#include <catch2/catch.hpp>

#include "metrics/exposition.hpp"

using namespace dynaudit::metrics;

TEST_CASE("a counter is named with _total in both formats, its TYPE line differs") {
  Exposition text(Format::prometheus_text);
  text.family("dynaudit_requests", Type::counter, "Calls.");
  text.sample({{"operation", "GetItem"}}, std::uint64_t{3});
  CHECK(text.finish() ==
        "# HELP dynaudit_requests_total Calls.\n"
        "# TYPE dynaudit_requests_total counter\n"
        "dynaudit_requests_total{operation=\"GetItem\"} 3\n");

  Exposition open(Format::openmetrics);
  open.family("dynaudit_requests", Type::counter, "Calls.");
  open.sample({{"operation", "GetItem"}}, std::uint64_t{3});
  CHECK(open.finish() ==
        "# HELP dynaudit_requests Calls.\n"
        "# TYPE dynaudit_requests counter\n"
        "dynaudit_requests_total{operation=\"GetItem\"} 3\n"
        "# EOF\n");
}

TEST_CASE("label values are escaped: a table name cannot break the exposition") {
  Exposition text(Format::prometheus_text);
  text.family("g", Type::gauge, "help with \\ and\nnewline");
  text.sample({{"table", "a\"b\\c\nd"}}, 1.5);
  CHECK(text.finish() ==
        "# HELP g help with \\\\ and\\nnewline\n"
        "# TYPE g gauge\n"
        "g{table=\"a\\\"b\\\\c\\nd\"} 1.5\n");
}

TEST_CASE("histogram buckets are cumulative, in seconds, with +Inf, _sum and _count") {
  LatencyHistogram h;
  h.observe(std::chrono::microseconds(50));      // <= 100 us
  h.observe(std::chrono::microseconds(100));     // <= 100 us (bounds are inclusive)
  h.observe(std::chrono::microseconds(700));     // <= 1 ms
  h.observe(std::chrono::microseconds(20'000'000));  // +Inf
  HistogramTotals totals;
  totals.add(h);
  totals.add(h);  // two workers
  CHECK(totals.count() == 8);
  Exposition text(Format::prometheus_text);
  text.family("lat_seconds", Type::histogram, "Latency.");
  text.histogram({{"operation", "Query"}}, totals);
  const auto out = text.finish();
  CHECK(out.find("lat_seconds_bucket{operation=\"Query\",le=\"0.0001\"} 4\n") != std::string::npos);
  CHECK(out.find("lat_seconds_bucket{operation=\"Query\",le=\"0.00025\"} 4\n") != std::string::npos);
  CHECK(out.find("lat_seconds_bucket{operation=\"Query\",le=\"0.001\"} 6\n") != std::string::npos);
  CHECK(out.find("lat_seconds_bucket{operation=\"Query\",le=\"10\"} 6\n") != std::string::npos);
  CHECK(out.find("lat_seconds_bucket{operation=\"Query\",le=\"+Inf\"} 8\n") != std::string::npos);
  CHECK(out.find("lat_seconds_sum{operation=\"Query\"} 40.0017\n") != std::string::npos);
  CHECK(out.find("lat_seconds_count{operation=\"Query\"} 8\n") != std::string::npos);
}

TEST_CASE("the format follows the Accept header") {
  CHECK(format_for_accept("") == Format::prometheus_text);
  CHECK(format_for_accept("text/plain;version=0.0.4;q=0.3,*/*;q=0.2") == Format::prometheus_text);
  CHECK(format_for_accept("application/openmetrics-text;version=1.0.0,text/plain;q=0.5") == Format::openmetrics);
  CHECK(content_type(Format::openmetrics).starts_with("application/openmetrics-text"));
}
