// ProfileCodec and AnalyticsService over a real store and a real (file)
// alert channel.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <thread>

#include "alerts/alert_dispatcher.hpp"
#include "analytics/analytics_service.hpp"
#include "analytics/anomaly_record.hpp"
#include "analytics/profile_codec.hpp"
#include "storage/audit_reader.hpp"
#include "../storage/test_support.hpp"

using namespace dynaudit;
using namespace dynaudit::analytics;

namespace {

constexpr std::int64_t kMonday = 1'767'571'200'000;  // 2026-01-05 00:00 UTC

storage::AuditEvent record(const std::string& principal, std::int64_t ms, const std::string& table,
                           const std::string& ip = "10.0.0.5") {
  storage::AuditEvent e;
  e.event_id = storage::new_event_id();
  e.event_time = Clock::time_point(std::chrono::milliseconds(ms));
  e.event_name = "GetItem";
  e.user_identity.type = "IAMUser";
  e.user_identity.principal_id = principal;
  e.source_ip = ip;
  e.user_agent = "Boto3/1.26";
  e.outcome = "forwarded";
  e.tables = {table};
  e.response_items = 1;
  e.request_parameters_json = "{\"tableName\":\"" + table + "\",\"keys\":[{\"table\":\"" + table +
                              "\",\"attribute\":\"pk\",\"S\":\"k" + std::to_string(ms % 97) + "\"}]}";
  return e;
}

std::vector<Anomaly> feed(Analyser& a, const std::vector<storage::AuditEvent>& records) {
  std::vector<Anomaly> out;
  for (const auto& r : records)
    if (auto o = observe(r)) a.observe(*o, out);
  return out;
}

}  // namespace

TEST_CASE("a profile saved and loaded behaves as the original") {
  std::vector<storage::AuditEvent> history, later;
  for (int m = 0; m < 9 * 1440; m += 3) history.push_back(record("svc", kMonday + m * 60'000LL, "orders"));
  for (int i = 0; i < 300; ++i) later.push_back(record("svc", kMonday + 9 * 86'400'000LL + i * 150, i % 50 ? "orders" : "payroll", i > 200 ? "198.51.100.7" : "10.0.0.5"));
  Analyser original;
  feed(original, history);
  const std::string bytes = encode_profile(*original.profile("svc"));
  auto loaded = decode_profile(bytes);
  REQUIRE(loaded);
  CHECK(encode_profile(*loaded) == bytes);
  Analyser restored;
  restored.load_profile("svc", std::move(loaded));
  const auto a = feed(original, later);
  const auto b = feed(restored, later);
  REQUIRE_FALSE(a.empty());
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) CHECK(to_json(a[i]) == to_json(b[i]));
}

TEST_CASE("a damaged profile is refused whole") {
  Analyser a;
  feed(a, {record("svc", kMonday, "orders"), record("svc", kMonday + 1000, "carts")});
  const std::string bytes = encode_profile(*a.profile("svc"));
  CHECK(decode_profile(bytes));
  CHECK_FALSE(decode_profile(bytes.substr(0, bytes.size() - 1)));
  CHECK_FALSE(decode_profile(bytes + "x"));
  CHECK_FALSE(decode_profile(""));
  std::string other_version = bytes;
  other_version[0] = 2;
  CHECK_FALSE(decode_profile(other_version));
  // The first reported level (minute_reported[0]) follows version, three int64s and 11 doubles.
  std::string bad_flag = bytes;
  bad_flag[1 + 3 * 8 + 11 * 8] = 7;
  CHECK_FALSE(decode_profile(bad_flag));
}

TEST_CASE("AnalyticsService: anomalies become chained records and routed alerts; baselines survive a restart") {
  storage_test::TempDir dir("analytics-service");
  storage::StoreOptions store_options;
  store_options.path = dir.file("store");
  store_options.durability = storage::Durability::sync;
  std::string error;
  auto store = storage::AuditStore::open(store_options, error);
  REQUIRE(store);

  alerts::ChannelConfig high_only;
  high_only.name = "pager";
  high_only.kind = alerts::ChannelKind::file;
  high_only.path = dir.file("pager.jsonl");
  alerts::ChannelConfig everything;
  everything.name = "log";
  everything.kind = alerts::ChannelKind::file;
  everything.path = dir.file("log.jsonl");
  alerts::AlertDispatcher dispatcher({high_only, everything}, [](std::string_view) {});

  AnalyticsServiceOptions options;
  options.analyser.learning_period = std::chrono::seconds(0);
  options.routes = {{"pager", Severity::high}, {"log", Severity::low}};
  {
    AnalyticsService service(options, store.get(), &dispatcher, {});
    REQUIRE(service.start(error));
    service.offer(record("svc", kMonday, "orders"));
    service.offer(record("svc", kMonday + 1000, "payroll"));                 // new_table: medium
    service.offer(record("svc", kMonday + 2000, "orders", "198.51.100.7"));  // new_network: high
    auto note = record("svc", kMonday + 3000, "orders");
    note.outcome = "anomaly";  // not a call: ignored
    service.offer(note);
    service.stop();
    const auto s = service.stats();
    CHECK(s.offered == 4);
    CHECK(s.observed == 3);
    CHECK(s.anomalies == 2);
    CHECK(s.alerts_submitted == 3);  // both to log, the high one to pager
    CHECK(s.saved_profiles == 1);
  }
  dispatcher.stop();

  // The anomalies are records in the chain (read back through the reader).
  store.reset();
  auto reader = storage::AuditReader::open(dir.file("store"), error);
  REQUIRE(reader);
  storage::AuditQuery q;
  q.operation = std::string(kAnomalyEventName);
  std::vector<Anomaly> stored;
  REQUIRE(reader->query(q, [&](const storage::AuditEvent& e) {
    if (auto a = anomaly_of_record(e)) stored.push_back(*a);
    return true;
  }, error));
  REQUIRE(stored.size() == 2);
  CHECK(stored[0].feature == "new_table");
  CHECK(stored[0].value == "payroll");
  CHECK(stored[1].feature == "new_network");
  CHECK(reader->verify("").ok);
  reader.reset();

  auto lines = [](const std::string& path) {
    std::ifstream in(path);
    std::size_t n = 0;
    for (std::string line; std::getline(in, line);) n += !line.empty();
    return n;
  };
  CHECK(lines(dir.file("pager.jsonl")) == 1);
  CHECK(lines(dir.file("log.jsonl")) == 2);

  // A restart: the principal's learned sets come back from the store.
  store = storage::AuditStore::open(store_options, error);
  REQUIRE(store);
  AnalyticsService again(options, store.get(), nullptr, {});
  REQUIRE(again.start(error));
  CHECK(again.stats().loaded_profiles == 1);
  again.offer(record("svc", kMonday + 5000, "payroll"));  // known since before the restart
  again.stop();
  CHECK(again.stats().anomalies == 0);
}

TEST_CASE("AnalyticsService: a full queue drops and counts, never blocks the store's writer") {
  storage_test::TempDir dir("analytics-queue");
  storage::StoreOptions store_options;
  store_options.path = dir.file("store");
  std::string error;
  auto store = storage::AuditStore::open(store_options, error);
  REQUIRE(store);
  AnalyticsServiceOptions options;
  options.max_queue = 2;
  AnalyticsService service(options, store.get(), nullptr, {});
  // Not started: nothing takes the queue, as when the analyser falls behind.
  for (int i = 0; i < 5; ++i) service.offer(record("svc", kMonday + i * 1000, "orders"));
  auto s = service.stats();
  CHECK(s.offered == 5);
  CHECK(s.queue_depth == 2);
  CHECK(s.dropped == 3);
  service.stop();
  CHECK(service.stats().dropped == 3);
}
