// SampleClock, covering_rule and DiscoveryService over a real store.
#include <catch2/catch.hpp>

#include <thread>

#include "discovery/discovery_service.hpp"
#include "storage/audit_reader.hpp"
#include "../storage/test_support.hpp"

using namespace dynaudit;
using namespace dynaudit::discovery;

TEST_CASE("SampleClock: once per table per interval, and a bound on tables") {
  SampleClock clock(std::chrono::milliseconds(1000), 2);
  const auto t = std::chrono::steady_clock::now();
  CHECK(clock.due("a", t));
  CHECK_FALSE(clock.due("a", t + std::chrono::milliseconds(500)));
  CHECK(clock.due("a", t + std::chrono::milliseconds(1000)));
  CHECK(clock.due("b", t));
  CHECK_FALSE(clock.due("c", t));  // a third table name is not sampled
}

TEST_CASE("covering_rule: the path itself, or inside a masked map or list") {
  const std::vector<std::pair<std::string, std::string>> masks = {{"card", "r1"}, {"profile", "r2"}, {"cards[*].pan", "r3"}};
  CHECK(covering_rule("card", masks) == "r1");
  CHECK(covering_rule("profile.ssn", masks) == "r2");
  CHECK(covering_rule("cards[*].pan", masks) == "r3");
  CHECK(covering_rule("card_number", masks).empty());
  CHECK(covering_rule("cards[*].cvv", masks).empty());
}

TEST_CASE("DiscoveryService: samples become inventory entries in the store, without values") {
  storage_test::TempDir dir("discovery-service");
  storage::StoreOptions store_options;
  store_options.path = dir.file("store");
  std::string error;
  auto store = storage::AuditStore::open(store_options, error);
  REQUIRE(store);
  DiscoveryOptions options;
  options.max_sample_bytes = 4096;
  {
    DiscoveryService service(options, store.get(), {});
    REQUIRE(service.start(error));
    DiscoverySample sample;
    sample.operation = "Scan";
    sample.table = "customers";
    sample.principal = "alice";
    sample.body = R"({"Items":[{"pk":{"S":"c1"},"card":{"S":"4111111111111111"},"mail":{"S":"jane@example.com"}}],"Count":1})";
    sample.masked_paths = {{"card", "mask-card"}};
    sample.time = std::chrono::system_clock::now();
    service.offer(sample);
    DiscoverySample too_big = sample;
    too_big.body.assign(5000, ' ');
    service.offer(too_big);
    service.stop();
    const auto s = service.stats();
    CHECK(s.samples == 1);
    CHECK(s.dropped == 1);
    CHECK(s.values == 3);
    CHECK(s.detections == 2);
    CHECK(s.entries == 2);
  }
  std::vector<InventoryEntry> stored;
  REQUIRE(store->read_side_state(storage::SideState::inventory, [&](std::string_view, std::string_view state) {
    InventoryEntry e;
    REQUIRE(decode_entry(state, e));
    CHECK(state.find("4111111111111111") == std::string_view::npos);
    CHECK(state.find("jane@example.com") == std::string_view::npos);
    stored.push_back(e);
  }, error));
  REQUIRE(stored.size() == 2);
  CHECK(stored[0].path == "card");
  CHECK(stored[0].mask_rule == "mask-card");
  CHECK(stored[1].path == "mail");
  CHECK(stored[1].data_class == DataClass::email);
  CHECK(stored[1].clear_readers == std::vector<std::string>{"alice"});

  // Loaded again at the next start.
  DiscoveryService again(options, store.get(), {});
  REQUIRE(again.start(error));
  CHECK(again.stats().entries == 2);
  again.stop();
}

TEST_CASE("DiscoveryService: a scan's pages are saved at once when asked, and are nobody's read") {
  storage_test::TempDir dir("discovery-save-soon");
  storage::StoreOptions store_options;
  store_options.path = dir.file("store");
  std::string error;
  auto store = storage::AuditStore::open(store_options, error);
  REQUIRE(store);
  DiscoveryOptions options;
  options.persist_interval = std::chrono::hours(1);  // only save_soon saves in time
  DiscoveryService service(options, store.get(), {});
  REQUIRE(service.start(error));
  DiscoverySample page;
  page.operation = "Scan";
  page.table = "patients";
  page.principal = "";  // dynaudit's own scan
  page.body = R"({"Items":[{"pk":{"S":"p1"},"ssn":{"S":"123-45-6780"},"mail":{"S":"jo@example.com"}}],"Count":1})";
  page.masked_paths = {{"mail", "mask-mail"}};
  page.time = std::chrono::system_clock::now();
  REQUIRE(service.offer(page));
  const std::uint64_t wanted = service.save_soon();
  for (int i = 0; i < 500 && service.saves() < wanted; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  REQUIRE(service.saves() >= wanted);
  std::vector<InventoryEntry> stored;
  REQUIRE(store->read_side_state(storage::SideState::inventory, [&](std::string_view, std::string_view state) {
    InventoryEntry e;
    REQUIRE(decode_entry(state, e));
    stored.push_back(e);
  }, error));
  REQUIRE(stored.size() == 2);  // saved while the service runs, an hour before its interval
  CHECK(stored[0].path == "mail");
  CHECK(stored[0].mask_rule == "mask-mail");
  CHECK(stored[0].masked_reads == 0);
  CHECK(stored[1].path == "ssn");
  CHECK(stored[1].mask_rule.empty());
  CHECK(stored[1].clear_reads == 0);       // found by the scan, read in clear by nobody
  CHECK(stored[1].clear_readers.empty());
  CHECK(stored[1].values == 1);
  service.stop();
}
