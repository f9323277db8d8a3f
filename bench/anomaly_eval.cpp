// anomaly_eval: the behaviour analytics' evaluation harness (issue 14,
// docs/anomalies.md). It generates weeks of realistic audit records in
// simulated time — services with steady rates, daily cycles and nightly
// scans; people with office hours in their own time zones, bursts of CLI
// work, days off and late evenings — injects attack scenarios in the last
// week, runs every record through analytics::observe + Analyser exactly as
// the proxy does, and reports per scenario whether and how fast it was
// detected, the false alerts per principal-week, and the analyser's
// throughput.
//
//   anomaly_eval [--weeks N] [--seed S] [--json FILE]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "analytics/analyser.hpp"
#include "analytics/observation.hpp"
#include "storage/json_text.hpp"

using namespace dynaudit;
using Clock = std::chrono::system_clock;
using analytics::Anomaly;

namespace {

constexpr std::int64_t kMinuteMs = 60'000;
constexpr std::int64_t kDayMinutes = 1440;
constexpr std::int64_t kWeekMinutes = 7 * kDayMinutes;

// Monday 2026-01-05 00:00 UTC.
const std::int64_t kStartMs =
    std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::sys_days{std::chrono::year{2026} / 1 / 5}.time_since_epoch())
        .count();

std::mt19937_64 rng;
double uniform() { return std::uniform_real_distribution<double>(0, 1)(rng); }
int poisson(double mean) { return mean <= 0 ? 0 : std::poisson_distribution<int>(mean)(rng); }
int between(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }

struct Call {
  std::int64_t ms = 0;
  std::string principal;
  std::string operation;
  std::string table;
  std::string key;          // "" for none
  std::string expression;   // "" for none
  std::uint64_t items = 0;
  std::uint64_t bytes = 0;
  std::string error;        // __type
  std::string ip;
  std::string agent;
  std::string scenario;     // which injected scenario made it ("" for normal traffic)
};

storage::AuditEvent to_record(const Call& c, std::uint64_t n) {
  storage::AuditEvent e;
  e.event_id = "evt-" + std::to_string(n);
  e.event_time = Clock::time_point(std::chrono::milliseconds(c.ms));
  e.event_name = c.operation;
  e.user_identity.type = "IAMUser";
  e.user_identity.principal_id = c.principal;
  e.source_ip = c.ip;
  e.user_agent = c.agent;
  e.outcome = "forwarded";
  e.decision = c.error == "AccessDeniedException" ? "deny" : "allow";
  e.error_code = c.error;
  e.response_items = c.items;
  e.response_bytes = c.bytes;
  if (!c.table.empty()) e.tables.push_back(c.table);
  std::string p = "{";
  if (!c.table.empty()) {
    p += "\"tableName\":";
    storage::json::append_string(p, c.table);
  }
  if (!c.key.empty()) {
    p += ",\"keys\":[{\"table\":";
    storage::json::append_string(p, c.table);
    p += ",\"attribute\":\"pk\",\"S\":";
    storage::json::append_string(p, c.key);
    p += "}]";
  }
  if (!c.expression.empty()) {
    p += ",\"expressions\":[";
    storage::json::append_string(p, c.expression);
    p += "]";
  }
  p += "}";
  e.request_parameters_json = p == "{}" ? "null" : p;
  return e;
}

std::string ip_in(const std::string& network24, int host) { return network24 + "." + std::to_string(host); }

// --- normal behaviour -------------------------------------------------------

struct Service {
  std::string name;
  double rate = 10;          // calls per minute at the daily mean
  double amplitude = 0.5;    // daily cycle
  double weekend = 0.8;
  int peak_hour = 14;
  std::vector<std::string> tables;
  bool daily_table = false;  // also writes events_YYYYMMDD
  bool read_only = false;
  int hot_keys = 1000;
  bool nightly_scan = false;
  std::vector<std::string> subnets;
  std::string agent;
  std::int64_t new_subnet_from = -1;  // minute a new subnet joins (a new availability zone)
};

struct Person {
  std::string name;
  int tz = 0;  // hours from UTC
  std::vector<std::string> tables;
  std::string office, home, agent;
};

std::string day_table(std::int64_t minute) {
  const auto days = std::chrono::sys_days{std::chrono::days{(kStartMs / kMinuteMs + minute) / kDayMinutes}};
  const std::chrono::year_month_day ymd{days};
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "events_%04d%02u%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buffer;
}

void service_minute(const Service& s, std::int64_t minute, std::vector<Call>& out) {
  const std::int64_t ms0 = kStartMs + minute * kMinuteMs;
  const int hour = static_cast<int>((minute / 60) % 24);
  const int dow = static_cast<int>((minute / kDayMinutes) % 7);
  double rate = s.rate * (1 + s.amplitude * std::cos((hour - s.peak_hour) * M_PI / 12));
  if (dow >= 5) rate *= s.weekend;
  const int n = poisson(rate);
  for (int i = 0; i < n; ++i) {
    Call c;
    c.ms = ms0 + between(0, 59'999);
    c.principal = s.name;
    c.agent = s.agent;
    std::vector<std::string> subnets = s.subnets;
    if (s.new_subnet_from >= 0 && minute >= s.new_subnet_from) subnets.push_back("10.250." + std::to_string(s.name.size()));
    c.ip = ip_in(subnets[static_cast<std::size_t>(between(0, static_cast<int>(subnets.size()) - 1))], between(2, 250));
    c.table = s.tables[static_cast<std::size_t>(between(0, static_cast<int>(s.tables.size()) - 1))];
    const double u = uniform();
    const int key = static_cast<int>(s.hot_keys * u * u);
    c.key = "k" + std::to_string(key);
    const double r = uniform();
    if (s.read_only || r < 0.6) {
      c.operation = "GetItem";
      c.items = uniform() < 0.97 ? 1 : 0;
      c.bytes = c.items * 420 + 40;
    } else if (r < 0.8) {
      c.operation = "Query";
      c.items = static_cast<std::uint64_t>(std::min(200, poisson(8)));
      c.bytes = c.items * 380 + 60;
      c.expression = "pk = :pk";
    } else if (r < 0.9) {
      c.operation = "PutItem";
      if (s.daily_table) c.table = day_table(minute);
      c.key = "n" + std::to_string(between(0, 1 << 30));
      c.bytes = 2;
    } else {
      c.operation = "UpdateItem";
      c.expression = "SET #v = :v ADD #n :one";
      c.bytes = 2;
      if (uniform() < 0.004) c.error = "ConditionalCheckFailedException";
    }
    if (uniform() < 0.0005) c.error = "ProvisionedThroughputExceededException", c.items = 0;
    out.push_back(std::move(c));
  }
  // The nightly batch: a full scan of the main table at 02:00 UTC.
  if (s.nightly_scan && minute % kDayMinutes == 120) {
    const int pages = std::max(1, s.hot_keys / 1000);
    for (int i = 0; i < pages; ++i) {
      Call c;
      c.ms = ms0 + i * (60'000 / pages);
      c.principal = s.name;
      c.agent = s.agent;
      c.ip = ip_in(s.subnets[0], 9);
      c.operation = "Scan";
      c.table = s.tables[0];
      c.items = 1000;
      c.bytes = 420'000;
      out.push_back(std::move(c));
    }
  }
}

struct PersonDay {
  bool works = false;
  int start = 9 * 60, end = 17 * 60;  // local minutes
};

void person_minute(const Person& p, const PersonDay& day, std::int64_t minute, std::map<std::string, int>& session,
                   std::vector<Call>& out) {
  const std::int64_t local = minute + p.tz * 60;
  const int minute_of_day = static_cast<int>(((local % kDayMinutes) + kDayMinutes) % kDayMinutes);
  int& left = session[p.name];
  if (left == 0) {
    if (!day.works || minute_of_day < day.start || minute_of_day >= day.end) return;
    if (uniform() > 0.035) return;
    left = between(3, 15);
  }
  --left;
  const bool evening = minute_of_day >= 18 * 60;
  const int n = between(1, 12);
  const std::int64_t ms0 = kStartMs + minute * kMinuteMs;
  for (int i = 0; i < n; ++i) {
    Call c;
    c.ms = ms0 + between(0, 59'999);
    c.principal = p.name;
    c.agent = p.agent;
    c.ip = ip_in(evening ? p.home : p.office, between(2, 250));
    c.table = p.tables[static_cast<std::size_t>(between(0, static_cast<int>(p.tables.size()) - 1))];
    const double r = uniform();
    if (r < 0.1) {
      c.operation = "ListTables";
      c.table.clear();
    } else if (r < 0.3) {
      c.operation = "DescribeTable";
    } else if (r < 0.5) {
      c.operation = "Scan";
      c.items = static_cast<std::uint64_t>(between(10, 100));
      c.bytes = c.items * 400;
      if (uniform() < 0.3) c.expression = "attribute_exists(#s)";
    } else if (r < 0.8) {
      c.operation = "GetItem";
      c.key = "k" + std::to_string(between(0, 5000));
      c.items = 1;
      c.bytes = 420;
    } else if (r < 0.95) {
      c.operation = "Query";
      c.key = "k" + std::to_string(between(0, 5000));
      c.expression = "pk = :pk";
      c.items = static_cast<std::uint64_t>(between(0, 30));
      c.bytes = c.items * 400;
    } else {
      c.operation = "UpdateItem";
      c.key = "k" + std::to_string(between(0, 5000));
      c.expression = "SET #s = :s";
    }
    if (uniform() < 0.02) c.error = "AccessDeniedException", c.items = 0, c.bytes = 0;
    out.push_back(std::move(c));
  }
}

// --- scenarios --------------------------------------------------------------

struct Scenario {
  std::string name;
  std::string principal;
  std::int64_t start_minute = 0;
  std::int64_t duration_minutes = 5;
  std::int64_t detect_within_minutes = 5;
  std::string description;
};

void scenario_minute(const Scenario& s, std::int64_t minute, const std::vector<Service>& services,
                     const std::vector<Person>& people, std::vector<Call>& out) {
  if (minute < s.start_minute || minute >= s.start_minute + s.duration_minutes) return;
  const std::int64_t ms0 = kStartMs + minute * kMinuteMs;
  const std::int64_t k = minute - s.start_minute;
  auto base = [&](int i) {
    Call c;
    c.ms = ms0 + i;
    c.principal = s.principal;
    c.scenario = s.name;
    for (const auto& v : services)
      if (v.name == s.principal) c.agent = v.agent, c.ip = ip_in(v.subnets[0], 77), c.table = v.tables[0];
    for (const auto& p : people)
      if (p.name == s.principal) c.agent = p.agent, c.ip = ip_in(p.office, 77), c.table = p.tables[0];
    return c;
  };
  if (s.name == "bulk_export") {
    for (int i = 0; i < 15; ++i) {  // 15 pages of 1000 items a minute
      Call c = base(i * 4000);
      c.operation = "Scan";
      c.items = 1000;
      c.bytes = 420'000;
      out.push_back(std::move(c));
    }
  } else if (s.name == "stolen_key") {
    for (int i = 0; i < 6; ++i) {
      Call c = base(i * 9000);
      c.ip = "198.51.100." + std::to_string(23 + i % 2);
      c.operation = i == 0 && k == 0 ? "ListTables" : (i % 3 == 0 ? "DescribeTable" : "Scan");
      if (c.operation == "Scan") c.items = 100, c.bytes = 40'000;
      out.push_back(std::move(c));
    }
  } else if (s.name == "low_and_slow") {
    for (int i = 0; i < 6; ++i) {  // six fresh keys a minute, around the clock
      Call c = base(i * 9000);
      c.operation = "GetItem";
      c.key = "cust-" + std::to_string(100'000 + k * 6 + i);
      c.items = 1;
      c.bytes = 420;
      out.push_back(std::move(c));
    }
  } else if (s.name == "masked_probe") {
    for (int i = 0; i < 14; ++i) {  // begins_with(card_number, :p) on one item, :p growing
      Call c = base(i * 4000);
      c.operation = "Query";
      c.key = "cust-4242";
      c.expression = "begins_with(card_number, :p)";
      c.items = i % 10 == 0 ? 1 : 0;
      c.bytes = 120;
      out.push_back(std::move(c));
    }
  } else if (s.name == "privilege_probing") {
    static const char* kOps[] = {"ListTables", "DescribeTable", "Scan", "CreateTable", "DeleteTable",
                                 "UpdateTable", "ListBackups", "ExportTableToPointInTime"};
    for (int i = 0; i < 20; ++i) {
      Call c = base(i * 3000);
      c.operation = kOps[i % 8];
      c.table = "table-" + std::to_string(i);
      c.error = "AccessDeniedException";
      out.push_back(std::move(c));
    }
  } else if (s.name == "new_table") {
    if (k == 0)
      for (int i = 0; i < 3; ++i) {
        Call c = base(i * 1000);
        c.operation = "GetItem";
        c.table = "payroll";
        c.key = "emp-" + std::to_string(i);
        c.items = 1;
        c.bytes = 300;
        out.push_back(std::move(c));
      }
  }
}

// --- the run ----------------------------------------------------------------

struct Options {
  int weeks = 4;
  unsigned seed = 7;
  std::string json_file;
};

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--weeks" && i + 1 < argc) opt.weeks = std::max(3, std::atoi(argv[++i]));
    else if (a == "--seed" && i + 1 < argc) opt.seed = static_cast<unsigned>(std::atoi(argv[++i]));
    else if (a == "--json" && i + 1 < argc) opt.json_file = argv[++i];
    else {
      std::fprintf(stderr, "usage: anomaly_eval [--weeks N>=3] [--seed S] [--json FILE]\n");
      return 2;
    }
  }
  rng.seed(opt.seed);

  static const char* kTables[] = {"orders", "customers", "sessions", "inventory", "payments", "carts", "profiles", "audit"};
  std::vector<Service> services;
  for (int i = 0; i < 24; ++i) {
    Service s;
    s.name = "svc-" + std::to_string(i);
    s.rate = std::exp(std::log(2.0) + uniform() * (std::log(40.0) - std::log(2.0)));
    s.amplitude = 0.3 + 0.4 * uniform();
    s.weekend = 0.6 + 0.4 * uniform();
    s.peak_hour = between(10, 20);
    const int tables = between(1, 3);
    for (int t = 0; t < tables; ++t) s.tables.push_back(kTables[(i + t * 3) % 8]);
    s.daily_table = i % 4 == 1;
    s.read_only = i % 5 == 2;
    s.hot_keys = between(300, 20'000);
    s.nightly_scan = i % 4 == 0;
    s.subnets.push_back("10." + std::to_string(i) + ".0");
    if (i % 3 == 0) s.subnets.push_back("10." + std::to_string(i) + ".1");
    s.agent = i % 2 ? "Boto3/1.26.27 md/Botocore#1.29.27 ua/2.0 os/linux#6.1 lang/python#3.11.2"
                    : "aws-sdk-js/3.400.0 ua/2.1 os/linux#6.1 lang/js md/nodejs#20.10.0 api/dynamodb#3.400.0";
    services.push_back(std::move(s));
  }
  // Realism: a service that gains an availability zone in week 3 (a new
  // subnet is a legitimate first-seen network, counted if alerted).
  services[5].new_subnet_from = 2 * kWeekMinutes + 3 * kDayMinutes + 600;

  std::vector<Person> people;
  for (int i = 0; i < 16; ++i) {
    Person p;
    p.name = "person-" + std::to_string(i);
    p.tz = between(-5, 3);
    for (int t = 0; t < 3; ++t) p.tables.push_back(kTables[(i + t) % 8]);
    p.office = "10.200." + std::to_string(i);
    p.home = "10.201." + std::to_string(i);
    p.agent = i % 3 ? "aws-cli/2.15.10 Python/3.11.6 Linux/6.1 exe/x86_64.debian.12 prompt/off command/dynamodb.scan"
                    : "Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0 os/macos#23.1 lang/python#3.12.0";
    people.push_back(std::move(p));
  }

  const std::int64_t last_week = static_cast<std::int64_t>(opt.weeks - 1) * kWeekMinutes;
  auto at = [&](int day, int hour, int minute) { return last_week + day * kDayMinutes + hour * 60 + minute; };
  std::vector<Scenario> scenarios = {
      {"bulk_export", "svc-4", at(1, 11, 7), 6, 5, "a service account scans its whole table: 15 pages of 1000 items a minute for 6 minutes, at 11:07 on a Tuesday"},
      {"stolen_key", "person-3", at(3, 3 - people[3].tz, 12), 10, 5,
       "a person's key used at 03:12 local time from a network it never used (198.51.100.0/24): ListTables, DescribeTable, Scan"},
      {"low_and_slow", "svc-9", at(2, 0, 0), kDayMinutes, kDayMinutes,
       "a service key reads six items it never read a minute, around the clock for a day (8640 items): every minute looks normal"},
      {"masked_probe", "person-7", at(1, 14 - people[7].tz, 30), 3, 5,
       "begins_with(card_number, :p) on one item 14 times a minute for 3 minutes: reading a masked value through a condition"},
      {"privilege_probing", "svc-13", at(4, 15, 40), 2, 5,
       "a service key tries admin and data calls on 20 tables a minute and is refused each time"},
      {"new_table", "svc-17", at(4, 16, 5), 1, 5, "a service that never did reads three items of the table payroll"},
  };

  analytics::AnalyserConfig config;
  analytics::Analyser analyser(config);
  std::vector<Anomaly> anomalies;
  std::vector<std::pair<Anomaly, std::string>> found;  // with the scenario the triggering call belonged to
  std::map<std::string, int> session;
  std::vector<PersonDay> days(people.size());
  std::vector<Call> minute_calls;
  std::uint64_t records = 0;
  double analyser_seconds = 0;

  const std::int64_t total_minutes = static_cast<std::int64_t>(opt.weeks) * kWeekMinutes;
  for (std::int64_t minute = 0; minute < total_minutes; ++minute) {
    if (minute % kDayMinutes == 0) {
      const int dow = static_cast<int>((minute / kDayMinutes) % 7);
      for (auto& d : days) {
        d.works = dow < 5 && uniform() > 0.1;
        d.start = 9 * 60 + between(-45, 45);
        d.end = uniform() < 0.2 ? 19 * 60 + between(0, 60) : 17 * 60 + between(-30, 30);
      }
    }
    minute_calls.clear();
    for (const auto& s : services) service_minute(s, minute, minute_calls);
    for (std::size_t i = 0; i < people.size(); ++i) person_minute(people[i], days[i], minute, session, minute_calls);
    for (const auto& s : scenarios) scenario_minute(s, minute, services, people, minute_calls);
    std::sort(minute_calls.begin(), minute_calls.end(), [](const Call& a, const Call& b) { return a.ms < b.ms; });
    for (const auto& c : minute_calls) {
      const storage::AuditEvent record = to_record(c, records++);
      const auto t0 = std::chrono::steady_clock::now();
      anomalies.clear();
      if (auto o = analytics::observe(record)) analyser.observe(*o, anomalies);
      analyser_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      for (auto& a : anomalies) found.emplace_back(std::move(a), c.scenario);
    }
  }

  // --- score ----------------------------------------------------------------
  auto minute_of = [](const Anomaly& a) {
    return (std::chrono::duration_cast<std::chrono::milliseconds>(a.time.time_since_epoch()).count() - kStartMs) / kMinuteMs;
  };
  struct Result {
    bool detected = false;
    double minutes_to_detect = 0;
    std::set<std::string> features;
  };
  std::vector<Result> results(scenarios.size());
  std::map<std::string, int> false_alerts;
  std::map<std::string, int> false_by_feature;
  for (const auto& [a, scenario_name] : found) {
    const std::int64_t m = minute_of(a);
    bool part_of_scenario = false;
    for (std::size_t i = 0; i < scenarios.size(); ++i) {
      const auto& s = scenarios[i];
      if (a.principal != s.principal || m < s.start_minute || m > s.start_minute + s.duration_minutes + 60) continue;
      part_of_scenario = true;
      auto& r = results[i];
      const double ttd = static_cast<double>(
                             std::chrono::duration_cast<std::chrono::milliseconds>(a.time.time_since_epoch()).count() -
                             (kStartMs + s.start_minute * kMinuteMs)) /
                         60'000.0;
      if (ttd <= static_cast<double>(s.detect_within_minutes)) {
        if (!r.detected || ttd < r.minutes_to_detect) r.minutes_to_detect = ttd;
        r.detected = true;
        r.features.insert(a.feature);
      }
    }
    if (!part_of_scenario) {
      ++false_alerts[a.principal];
      ++false_by_feature[a.feature];
    }
  }
  const double learning_weeks = static_cast<double>(config.learning_period.count()) / (7 * 86400.0);
  const double principal_weeks = static_cast<double>(services.size() + people.size()) * (opt.weeks - learning_weeks);
  int total_false = 0, worst = 0;
  std::string worst_principal;
  for (const auto& [p, n] : false_alerts) {
    total_false += n;
    if (n > worst) worst = n, worst_principal = p;
  }
  const double per_principal_week = total_false / principal_weeks;
  const double rate = static_cast<double>(records) / analyser_seconds;

  std::printf("## Evaluation: %d simulated weeks, %zu services and %zu people, seed %u\n\n", opt.weeks, services.size(),
              people.size(), opt.seed);
  std::printf("%llu records; analyser (observe + models) %.2f s: %.0f records/s on one thread\n\n",
              static_cast<unsigned long long>(records), analyser_seconds, rate);
  std::printf("| scenario | principal | detected | time to detect | target | features that fired |\n|---|---|---|---:|---:|---|\n");
  bool all_detected = true;
  for (std::size_t i = 0; i < scenarios.size(); ++i) {
    const auto& s = scenarios[i];
    const auto& r = results[i];
    all_detected = all_detected && r.detected;
    std::string features;
    for (const auto& f : r.features) features += (features.empty() ? "" : ", ") + f;
    std::printf("| %s | %s | %s | %s | %lld min | %s |\n", s.name.c_str(), s.principal.c_str(), r.detected ? "yes" : "NO",
                r.detected ? (std::to_string(static_cast<int>(std::lround(r.minutes_to_detect * 60))) + " s").c_str() : "-",
                static_cast<long long>(s.detect_within_minutes), features.c_str());
  }
  std::printf("\nfalse alerts (after the %.0f-day learning period): %d over %.0f principal-weeks = %.3f per principal-week; "
              "most on one principal: %d (%s)\n",
              learning_weeks * 7, total_false, principal_weeks, per_principal_week, worst, worst_principal.c_str());
  for (const auto& [f, n] : false_by_feature) std::printf("  %s: %d\n", f.c_str(), n);
  const auto st = analyser.stats();
  std::printf("analyser: %llu anomalies reported, %llu suppressed, %zu principals\n",
              static_cast<unsigned long long>(st.anomalies), static_cast<unsigned long long>(st.suppressed), st.principals);

  if (!opt.json_file.empty()) {
    std::ofstream j(opt.json_file);
    j << "{\"weeks\":" << opt.weeks << ",\"seed\":" << opt.seed << ",\"services\":" << services.size()
      << ",\"people\":" << people.size() << ",\"records\":" << records << ",\"analyserRecordsPerSecond\":"
      << static_cast<long long>(rate) << ",\"falseAlerts\":" << total_false
      << ",\"principalWeeks\":" << principal_weeks << ",\"falseAlertsPerPrincipalWeek\":" << per_principal_week
      << ",\"scenarios\":[";
    for (std::size_t i = 0; i < scenarios.size(); ++i) {
      const auto& s = scenarios[i];
      const auto& r = results[i];
      std::string desc;
      storage::json::append_string(desc, s.description);
      j << (i ? "," : "") << "{\"name\":\"" << s.name << "\",\"principal\":\"" << s.principal
        << "\",\"description\":" << desc << ",\"detected\":" << (r.detected ? "true" : "false")
        << ",\"secondsToDetect\":" << (r.detected ? std::lround(r.minutes_to_detect * 60) : -1)
        << ",\"targetMinutes\":" << s.detect_within_minutes << ",\"features\":[";
      bool first = true;
      for (const auto& f : r.features) j << (first ? "" : ",") << "\"" << f << "\"", first = false;
      j << "]}";
    }
    j << "],\"falseAlertsByFeature\":{";
    bool first = true;
    for (const auto& [f, n] : false_by_feature) j << (first ? "" : ",") << "\"" << f << "\":" << n, first = false;
    j << "}}\n";
  }
  const bool met = all_detected && per_principal_week <= 1.0;
  std::printf("\ntargets %s\n", met ? "met" : "MISSED");
  return met ? 0 : 1;
}
