// Analyser: each model alerts on what it is for and stays quiet otherwise.
#include <catch2/catch.hpp>

#include <chrono>

#include "analytics/analyser.hpp"

using namespace dynaudit::analytics;

namespace {

constexpr std::int64_t kMinute = 60'000;
constexpr std::int64_t kDay = 86'400'000;
// Monday 2026-01-05 00:00 UTC.
constexpr std::int64_t kMonday = 1'767'571'200'000;

Observation call(const std::string& principal, std::int64_t ms, const std::string& operation = "GetItem") {
  Observation o;
  o.time = Clock::time_point(std::chrono::milliseconds(ms));
  o.event_id = "e" + std::to_string(ms);
  o.principal = principal;
  o.operation = operation;
  o.call_class = operation == "GetItem" || operation == "Query" || operation == "Scan" ? CallClass::read
                 : operation == "PutItem"                                                ? CallClass::write
                                                                                         : CallClass::admin;
  o.read_only = operation == "GetItem" || operation == "Query" || operation == "Scan" ||
                operation.rfind("Describe", 0) == 0 || operation.rfind("List", 0) == 0;
  o.tables = {"orders"};
  o.table_families = {"orders"};
  o.source_network = "10.0.0.0/24";
  o.user_agent_family = "boto3";
  o.items_returned = 1;
  o.bytes_returned = 400;
  return o;
}

// `per_minute` calls every minute from `from` for `minutes`.
std::vector<Anomaly> steady(Analyser& a, const std::string& who, std::int64_t from, std::int64_t minutes, int per_minute) {
  std::vector<Anomaly> out;
  for (std::int64_t m = 0; m < minutes; ++m)
    for (int i = 0; i < per_minute; ++i) a.observe(call(who, from + m * kMinute + i * (kMinute / per_minute)), out);
  return out;
}

}  // namespace

TEST_CASE("hour_of_week and its label") {
  CHECK(hour_of_week(kMonday) == 0);
  CHECK(hour_of_week(kMonday + 3 * 3'600'000) == 3);
  CHECK(hour_of_week(kMonday + 6 * kDay + 23 * 3'600'000) == 167);
  CHECK(bucket_label(0) == "Mon 00:00 UTC");
  CHECK(bucket_label(27) == "Tue 03:00 UTC");
}

TEST_CASE("a rate far above the hour's baseline is an anomaly that explains itself") {
  Analyser a;
  const auto quiet = steady(a, "svc", kMonday, 8 * 1440, 10);
  CHECK(quiet.empty());
  std::vector<Anomaly> out;
  const std::int64_t t = kMonday + 8 * kDay;
  for (int i = 0; i < 400; ++i) a.observe(call("svc", t + i * 100), out);
  REQUIRE_FALSE(out.empty());
  const Anomaly& first = out.front();
  CHECK(first.feature == "read_calls");
  CHECK(first.model == "rate_1m");
  CHECK(first.principal == "svc");
  CHECK(first.observed > first.threshold);
  CHECK(first.baseline == Approx(10).margin(1.5));
  CHECK(first.bucket == "Tue 00:00 UTC");
  CHECK(first.explanation.find("read_calls within one minute") != std::string::npos);
  CHECK_FALSE(first.event_id.empty());
}

TEST_CASE("nothing is reported about a principal still in its learning period") {
  Analyser a;
  steady(a, "svc", kMonday, 60, 10);
  std::vector<Anomaly> out;
  for (int i = 0; i < 2000; ++i) a.observe(call("svc", kMonday + 61 * kMinute + i * 10), out);
  Observation elsewhere = call("svc", kMonday + 70 * kMinute);
  elsewhere.source_network = "198.51.100.0/24";
  a.observe(elsewhere, out);
  CHECK(out.empty());
}

TEST_CASE("learning from history reports nothing") {
  Analyser a;
  a.set_alerting(false);
  steady(a, "svc", kMonday, 8 * 1440, 5);
  std::vector<Anomaly> out;
  for (int i = 0; i < 2000; ++i) a.observe(call("svc", kMonday + 8 * kDay + i * 10), out);
  CHECK(out.empty());
  CHECK(a.stats().anomalies == 0);
}

TEST_CASE("first use of a table, a changing operation, a network, a client") {
  Analyser a;
  steady(a, "svc", kMonday, 8 * 1440, 1);
  const std::int64_t t = kMonday + 8 * kDay + 5 * kMinute;
  std::vector<Anomaly> out;

  auto payroll = call("svc", t);
  payroll.tables = payroll.table_families = {"payroll"};
  a.observe(payroll, out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].feature == "new_table");
  CHECK(out[0].value == "payroll");
  CHECK(out[0].known == std::vector<std::string>{"orders"});
  CHECK(out[0].severity == Severity::medium);
  out.clear();
  a.observe(payroll, out);  // known now
  CHECK(out.empty());

  a.observe(call("svc", t + 1000, "DescribeTable"), out);  // a read-only look: not alerted
  CHECK(out.empty());
  a.observe(call("svc", t + 2000, "DeleteTable"), out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].feature == "new_operation");
  CHECK(out[0].severity == Severity::high);
  out.clear();

  auto away = call("svc", t + 3000);
  away.source_network = "198.51.100.0/24";
  away.user_agent_family = "curl";
  a.observe(away, out);
  REQUIRE(out.size() == 2);
  CHECK(out[0].feature == "new_network");
  CHECK(out[1].feature == "new_client");
  CHECK(out[1].severity == Severity::low);
}

TEST_CASE("after an alert the same feature of the principal stays quiet for a while") {
  Analyser a;
  steady(a, "svc", kMonday, 8 * 1440, 10);
  std::vector<Anomaly> out;
  const std::int64_t t = kMonday + 8 * kDay;
  for (int burst = 0; burst < 2; ++burst)
    for (int i = 0; i < 400; ++i) a.observe(call("svc", t + burst * 10 * kMinute + i * 100), out);
  std::vector<Severity> read_alerts;
  for (const auto& x : out)
    if (x.feature == "read_calls") read_alerts.push_back(x.severity);
  // The first burst crosses the threshold (medium) and goes on to critical;
  // the second, ten minutes later, is no worse and stays quiet.
  CHECK(read_alerts == std::vector<Severity>{Severity::medium, Severity::critical});
  CHECK(a.stats().suppressed >= 1);
}

TEST_CASE("a more severe anomaly breaks through the quiet period of a smaller one") {
  Analyser a;
  steady(a, "svc", kMonday, 8 * 1440, 10);
  std::vector<Anomaly> out;
  const std::int64_t t = kMonday + 8 * kDay;
  for (int i = 0; i < 70; ++i) a.observe(call("svc", t + i * 100), out);  // just above the threshold: medium
  REQUIRE(out.size() == 1);
  CHECK(out[0].severity == Severity::medium);
  for (int i = 0; i < 1000; ++i) a.observe(call("svc", t + 5 * kMinute + i * 50), out);  // far above: critical
  std::vector<Anomaly> reads;
  for (const auto& x : out)
    if (x.feature == "read_calls") reads.push_back(x);
  // Its first crossing (medium) is inside the quiet period; critical is not.
  REQUIRE(reads.size() == 2);
  CHECK(reads[1].severity == Severity::critical);
  CHECK(reads[1].observed > 4 * reads[1].threshold);
}

TEST_CASE("activity at an hour the principal never uses is off_hours; not for a round-the-clock service") {
  Analyser a;
  // Office hours: Monday to Friday, 09:00-17:00 UTC, three weeks; and a
  // service that works around the clock.
  for (int day = 0; day < 21; ++day) {
    std::vector<Anomaly> ignored;
    for (int m = 0; m < 1440; m += 10) {
      a.observe(call("svc", kMonday + day * kDay + m * kMinute), ignored);
      if (day % 7 < 5 && m >= 9 * 60 && m < 17 * 60) a.observe(call("person", kMonday + day * kDay + m * kMinute), ignored);
    }
  }
  std::vector<Anomaly> out;
  const std::int64_t night = kMonday + 21 * kDay + 3 * 3'600'000;  // Monday 03:00
  for (int i = 0; i < 8; ++i) {
    a.observe(call("person", night + i * 1000), out);
    a.observe(call("svc", night + i * 1000), out);
  }
  REQUIRE(out.size() == 1);
  CHECK(out[0].principal == "person");
  CHECK(out[0].feature == "off_hours");
  CHECK(out[0].observed == 5);  // reported once the hour has off_hours_min_calls calls
}

TEST_CASE("a day far above the usual day is an anomaly even when every minute is normal") {
  Analyser a;
  // 14 days of ~2 distinct items a minute from a small hot set...
  std::vector<Anomaly> out;
  for (std::int64_t m = 0; m < 14 * 1440; ++m) {
    auto o = call("svc", kMonday + m * kMinute);
    o.item_keys = {static_cast<std::uint64_t>(m % 300), static_cast<std::uint64_t>((m * 7) % 300)};
    a.observe(o, out);
  }
  CHECK(out.empty());
  // ...then a day that also reads three fresh items a minute.
  for (std::int64_t m = 0; m < 1440; ++m) {
    auto o = call("svc", kMonday + 14 * kDay + m * kMinute);
    o.item_keys = {static_cast<std::uint64_t>(m % 300), 1'000'000 + static_cast<std::uint64_t>(m) * 3,
                   1'000'001 + static_cast<std::uint64_t>(m) * 3, 1'000'002 + static_cast<std::uint64_t>(m) * 3};
    a.observe(o, out);
  }
  REQUIRE_FALSE(out.empty());
  CHECK(out.front().feature == "distinct_items_per_day");
  CHECK(out.front().model == "rate_1d");
  CHECK(out.front().bucket == "weekday");
}

TEST_CASE("the same conditional call on one item again and again is probe_repeats") {
  Analyser a;
  steady(a, "person", kMonday, 8 * 1440, 1);
  std::vector<Anomaly> out;
  for (int i = 0; i < 14; ++i) {
    auto o = call("person", kMonday + 8 * kDay + i * 4000, "Query");
    o.probe_shape = 42;
    a.observe(o, out);
  }
  REQUIRE(out.size() == 1);
  CHECK(out[0].feature == "probe_repeats");
  CHECK(out[0].observed == 11);  // the first value above the minimum of 10
}

TEST_CASE("principals beyond max_principals are forgotten, least recently seen first") {
  AnalyserConfig config;
  config.max_principals = 10;
  Analyser a(config);
  std::vector<Anomaly> out;
  for (int i = 0; i < 25; ++i) a.observe(call("p" + std::to_string(i), kMonday + i * 1000), out);
  CHECK(a.stats().principals <= 10);
  CHECK(a.stats().evicted >= 15);
  CHECK(a.profile("p24") != nullptr);
  CHECK(a.profile("p0") == nullptr);
}

TEST_CASE("an anomaly's JSON reads back") {
  Anomaly x;
  x.time = Clock::time_point(std::chrono::milliseconds(kMonday + 1234));
  x.principal = "alice";
  x.feature = "new_network";
  x.model = "first_seen";
  x.severity = Severity::high;
  x.value = "198.51.100.0/24";
  x.known = {"10.0.0.0/24"};
  x.event_id = "e-1";
  x.tables = {"orders"};
  x.observed = 1;
  x.threshold = 2.5;
  x.explanation = "first use of \"x\"";
  const auto back = anomaly_from_json(to_json(x));
  REQUIRE(back);
  CHECK(back->time == x.time);
  CHECK(back->principal == "alice");
  CHECK(back->feature == "new_network");
  CHECK(back->severity == Severity::high);
  CHECK(back->known == x.known);
  CHECK(back->tables == x.tables);
  CHECK(back->threshold == Approx(2.5));
  CHECK(back->explanation == x.explanation);
  CHECK_FALSE(anomaly_from_json("{}"));
}
