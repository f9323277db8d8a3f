// Finding a record by eventID: through idx_event on a store that has it, by
// reading the older records on a store written before it existed, and with
// the store still opening read-only and for prune in either state.
#include <catch2/catch.hpp>

#include "storage/audit_reader.hpp"
#include "storage/audit_store.hpp"
#include "storage/key_encoding.hpp"
#include "storage/time_format.hpp"
#include "test_support.hpp"

using namespace dynaudit::storage;
using storage_test::RawStore;
using storage_test::sample_event;
using storage_test::TempDir;
using storage_test::test_time;

namespace {

StoreOptions options_for(const std::string& path) {
  StoreOptions options;
  options.path = path;
  return options;
}

std::string event_id(std::size_t i) { return "00000000-0000-4000-8000-" + std::to_string(100'000'000'000 + i); }

void append_events(const std::string& path, std::size_t from, std::size_t to) {
  std::string error;
  auto store = AuditStore::open(options_for(path), error);
  REQUIRE(store);
  for (std::size_t i = from; i < to; ++i) {
    AuditEvent e = sample_event();
    e.event_id = event_id(i);
    e.event_time = test_time(static_cast<std::int64_t>(i) * 1000);
    e.request_id = "REQ-" + std::to_string(i);
    REQUIRE(store->append_and_wait(e).ok);
  }
}

std::unique_ptr<AuditReader> reader_for(const std::string& path) {
  std::string error;
  auto reader = AuditReader::open(path, error);
  INFO(error);
  REQUIRE(reader);
  return reader;
}

// What a store looked like before idx_event: no such family, no meta entry.
void make_old_store(const std::string& path) {
  RawStore raw(path);
  raw.remove(keys::kMeta, std::string(keys::kMetaEventIndexFrom));
  REQUIRE(raw.db()->DropColumnFamily(raw.family(keys::kEventIndex)).ok());
}

bool has_family(const std::string& path, const std::string& name) {
  std::vector<std::string> names;
  REQUIRE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), path, &names).ok());
  return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

TEST_CASE("find_event finds a record through idx_event") {
  TempDir dir("find-event");
  append_events(dir.path(), 0, 50);
  const auto reader = reader_for(dir.path());
  for (std::size_t i : {0u, 17u, 49u}) {
    const auto event = reader->find_event(event_id(i));
    REQUIRE(event);
    CHECK(event->event_id == event_id(i));
    CHECK(event->sequence == i + 1);
    CHECK(event->request_id == "REQ-" + std::to_string(i));
  }
  std::string error;
  CHECK_FALSE(reader->find_event("00000000-0000-4000-8000-999999999999", &error));
  CHECK(error.empty());
  CHECK_FALSE(reader->find_event(""));
  // A prefix of an id is not the id.
  CHECK_FALSE(reader->find_event(event_id(1).substr(0, 30)));

  // On a store that has the index from its first record, the lookup uses it
  // alone: a record whose entry is gone is not found by reading everything.
  {
    RawStore raw(dir.path());
    CHECK(keys::read_be64(raw.get(keys::kMeta, std::string(keys::kMetaEventIndexFrom))) == 1);
    const auto entries = raw.all(keys::kEventIndex);
    CHECK(entries.size() == 50);
    for (const auto& [key, value] : entries) {
      if (key.rfind(event_id(17) + '\0', 0) == 0) raw.remove(keys::kEventIndex, key);
    }
  }
  CHECK_FALSE(reader_for(dir.path())->find_event(event_id(17)));
}

TEST_CASE("two records with one eventID: the newest is found") {
  TempDir dir("find-event-dup");
  append_events(dir.path(), 0, 3);
  {
    std::string error;
    auto store = AuditStore::open(options_for(dir.path()), error);
    REQUIRE(store);
    AuditEvent e = sample_event();
    e.event_id = event_id(1);
    e.request_id = "REQ-again";
    e.event_time = test_time(-5000);  // earlier time, later sequence
    REQUIRE(store->append_and_wait(e).ok);
  }
  const auto event = reader_for(dir.path())->find_event(event_id(1));
  REQUIRE(event);
  CHECK(event->sequence == 4);
  CHECK(event->request_id == "REQ-again");
}

TEST_CASE("a store written before idx_event opens, is searched, and gets the index from its next writer") {
  TempDir dir("find-event-old");
  append_events(dir.path(), 0, 20);
  make_old_store(dir.path());
  REQUIRE_FALSE(has_family(dir.path(), keys::kEventIndex));

  // Read-only: opens without the family and reads the records to find one.
  {
    const auto reader = reader_for(dir.path());
    const auto event = reader->find_event(event_id(7));
    REQUIRE(event);
    CHECK(event->sequence == 8);
    CHECK_FALSE(reader->find_event("00000000-0000-4000-8000-999999999999"));
    CHECK(reader->verify("").ok);
    CHECK(reader->stats().records == 20);
  }
  REQUIRE_FALSE(has_family(dir.path(), keys::kEventIndex));  // a reader changes nothing

  // The next writer adds the family and notes that it covers records 21 on.
  append_events(dir.path(), 20, 30);
  REQUIRE(has_family(dir.path(), keys::kEventIndex));
  {
    RawStore raw(dir.path());
    CHECK(keys::read_be64(raw.get(keys::kMeta, std::string(keys::kMetaEventIndexFrom))) == 21);
    CHECK(raw.all(keys::kEventIndex).size() == 10);
  }
  const auto reader = reader_for(dir.path());
  for (std::size_t i : {0u, 7u, 19u, 20u, 29u}) {
    const auto event = reader->find_event(event_id(i));
    INFO(i);
    REQUIRE(event);
    CHECK(event->sequence == i + 1);
  }
  CHECK(reader->verify("").ok);
  // A later writer's open keeps the mark where it was.
  append_events(dir.path(), 30, 31);
  RawStore raw(dir.path());
  CHECK(keys::read_be64(raw.get(keys::kMeta, std::string(keys::kMetaEventIndexFrom))) == 21);
}

TEST_CASE("prune works on stores with and without idx_event, and removes its entries") {
  for (const bool old_store : {false, true}) {
    INFO(old_store);
    TempDir dir("find-event-prune");
    append_events(dir.path(), 0, 10);
    if (old_store) make_old_store(dir.path());
    std::string error;
    {
      auto pruner = AuditReader::open_for_prune(dir.path(), error);
      INFO(error);
      REQUIRE(pruner);
      const auto report = pruner->prune_before(test_time(5000), error);
      CHECK(error.empty());
      CHECK(report.removed == 5);
      CHECK_FALSE(pruner->find_event(event_id(2)));
      const auto kept = pruner->find_event(event_id(6));
      REQUIRE(kept);
      CHECK(kept->sequence == 7);
    }
    CHECK(has_family(dir.path(), keys::kEventIndex) == !old_store);  // prune adds no family
    if (!old_store) {
      RawStore raw(dir.path());
      CHECK(raw.all(keys::kEventIndex).size() == 5);
    }
    CHECK(reader_for(dir.path())->verify("").ok);
  }
}
