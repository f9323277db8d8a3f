// audit_history: writes weeks of one principal's ordinary calls into an
// audit store, ending now, for the behaviour analytics integration test
// (tests/integration/test_anomalies.py) to learn from. Records go through
// AuditStore like serve's, hash chain included.
//
//   audit_history STORE PRINCIPAL ACCESS_KEY DAYS PER_MINUTE TABLE SOURCE_IP USER_AGENT
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include "storage/audit_store.hpp"

using namespace dynaudit;

int main(int argc, char** argv) {
  if (argc != 9) {
    std::fprintf(stderr, "usage: audit_history STORE PRINCIPAL ACCESS_KEY DAYS PER_MINUTE TABLE SOURCE_IP USER_AGENT\n");
    return 2;
  }
  const std::string principal = argv[2], key = argv[3], table = argv[6], ip = argv[7], agent = argv[8];
  const int days = std::atoi(argv[4]), per_minute = std::atoi(argv[5]);
  storage::StoreOptions options;
  options.path = argv[1];
  options.durability = storage::Durability::async;
  std::string error;
  auto store = storage::AuditStore::open(options, error);
  if (!store) {
    std::fprintf(stderr, "audit_history: %s\n", error.c_str());
    return 1;
  }
  std::mt19937 rng(7);
  const auto end = std::chrono::system_clock::now() - std::chrono::minutes(1);
  const auto start = end - std::chrono::hours(24 * days);
  std::size_t written = 0;
  std::atomic<std::size_t> failed{0};
  for (auto minute = start; minute < end; minute += std::chrono::minutes(1)) {
    for (int i = 0; i < per_minute; ++i) {
      storage::AuditEvent e;
      e.event_id = storage::new_event_id();
      e.event_time = minute + std::chrono::milliseconds(i * (60'000 / per_minute));
      e.event_name = "GetItem";
      e.aws_region = "us-east-1";
      e.source_ip = ip;
      e.user_agent = agent;
      e.user_identity = {"IAMUser", principal, key, principal};
      e.auth_mode = "verify";
      e.signature_verified = true;
      e.read_only = true;
      e.tables = {table};
      const std::string pk = "k" + std::to_string(rng() % 50);
      e.request_parameters_json = "{\"tableName\":\"" + table + "\",\"keys\":[{\"table\":\"" + table +
                                  "\",\"attribute\":\"pk\",\"S\":\"" + pk + "\"}]}";
      e.outcome = "forwarded";
      e.http_status = 200;
      e.response_items = 1;
      e.response_bytes = 120;
      // The store's queue is bounded (appends beyond it fail): every so
      // often wait for the writer to catch up.
      if (++written % 10'000 == 0) {
        if (!store->append_and_wait(std::move(e)).ok) ++failed;
      } else {
        store->append(std::move(e), [&failed](const storage::AppendResult& r) { failed += !r.ok; });
      }
    }
  }
  store.reset();  // drains and commits
  std::printf("%zu records, %zu failed\n", written, failed.load());
  return failed == 0 ? 0 : 1;
}
