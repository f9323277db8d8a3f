// Readers never answer short: a record, an index entry or a whole table file
// the store has lost or cannot read is an error from query, stats and
// verify, not fewer rows. Damage is done with RocksDB's own API and by
// cutting a table file short, as an attacker or a failing disk would.
#include <catch2/catch.hpp>

#include <fstream>

#include "storage/audit_reader.hpp"
#include "storage/audit_store.hpp"
#include "storage/key_encoding.hpp"
#include "test_support.hpp"

using namespace dynaudit::storage;
using storage_test::RawStore;
using storage_test::sample_event;
using storage_test::TempDir;

namespace {

namespace fs = std::filesystem;

void fill(const std::string& path, int count) {
  StoreOptions options;
  options.path = path;
  std::string error;
  auto store = AuditStore::open(options, error);
  REQUIRE(store);
  for (int i = 0; i < count; ++i) {
    auto e = sample_event(i % 2 ? "alice" : "bob");
    e.request_id = "REQ-" + std::to_string(i);
    REQUIRE(store->append_and_wait(std::move(e)).ok);
  }
}

struct QueryResult {
  bool ok = false;
  std::size_t rows = 0;
  std::string error;
};

QueryResult run(const AuditReader& reader, const AuditQuery& q) {
  QueryResult result;
  result.ok = reader.query(q, [&](const AuditEvent&) {
    ++result.rows;
    return true;
  }, result.error);
  return result;
}

std::unique_ptr<AuditReader> open_reader(const std::string& path) {
  std::string error;
  auto reader = AuditReader::open(path, error);
  INFO(error);
  REQUIRE(reader);
  return reader;
}

}  // namespace

TEST_CASE("a record missing from the middle or the end fails the query, it is not skipped") {
  TempDir dir("read-missing");
  fill(dir.path(), 20);
  {
    RawStore raw(dir.path());
    raw.remove(keys::kRecords, keys::record_key(7));
  }
  auto reader = open_reader(dir.path());
  const auto all = run(*reader, {});
  CHECK_FALSE(all.ok);
  CHECK(all.rows == 6);  // delivered up to the hole, then the error
  CHECK(all.error.find("record 7 is missing") != std::string::npos);
  // Through an index: the entry names a record the store lacks.
  AuditQuery by_principal;
  by_principal.principal = "bob";  // record 7 is bob's
  const auto indexed = run(*reader, by_principal);
  CHECK_FALSE(indexed.ok);
  CHECK(indexed.error.find("record 7 is missing") != std::string::npos);
  CHECK_FALSE(reader->verify("").ok);
}

TEST_CASE("records gone from the end, behind the head, fail query and stats") {
  TempDir dir("read-tail");
  fill(dir.path(), 10);
  {
    RawStore raw(dir.path());
    for (std::uint64_t s = 1; s <= 10; ++s) raw.remove(keys::kRecords, keys::record_key(s));
  }
  auto reader = open_reader(dir.path());
  const auto all = run(*reader, {});
  CHECK_FALSE(all.ok);
  CHECK(all.error.find("record 1 is missing") != std::string::npos);
  const auto stats = reader->stats();
  CHECK_FALSE(stats.healthy);
  CHECK(stats.problem.find("holds no records") != std::string::npos);
}

TEST_CASE("a record that does not parse fails the query") {
  TempDir dir("read-garbage");
  fill(dir.path(), 5);
  {
    RawStore raw(dir.path());
    raw.put(keys::kRecords, keys::record_key(3), "not json");
  }
  auto reader = open_reader(dir.path());
  const auto all = run(*reader, {});
  CHECK_FALSE(all.ok);
  CHECK(all.error.find("record 3 cannot be read") != std::string::npos);
}

TEST_CASE("verify reads every index: an entry lost or one too many is damage") {
  TempDir dir("read-index");
  fill(dir.path(), 12);
  {
    auto reader = open_reader(dir.path());
    const auto report = reader->verify("");
    INFO(report.problem);
    CHECK(report.ok);
  }
  std::string lost_key;
  {
    RawStore raw(dir.path());
    const auto entries = raw.all(keys::kPrincipalIndex);
    REQUIRE(entries.size() == 12);
    lost_key = entries[4].first;
    raw.remove(keys::kPrincipalIndex, lost_key);
  }
  {
    auto reader = open_reader(dir.path());
    const auto report = reader->verify("");
    CHECK_FALSE(report.ok);
    CHECK(report.problem.find("idx_principal holds 11 entries, but the records call for 12") != std::string::npos);
  }
  {
    RawStore raw(dir.path());
    raw.put(keys::kPrincipalIndex, lost_key, "");
    raw.put(keys::kTableIndex, keys::value_index_key("orders", 0, 99), "");  // names a record never written
  }
  auto reader = open_reader(dir.path());
  const auto report = reader->verify("");
  CHECK_FALSE(report.ok);
  CHECK(report.problem.find("idx_table names record 99, which the store does not hold") != std::string::npos);
}

TEST_CASE("a table file cut short: the reader refuses the store instead of reading an older version") {
  TempDir dir("read-table");
  fill(dir.path(), 40);
  // The largest table file holds the records (the store flushed them at close).
  fs::path largest;
  for (const auto& entry : fs::directory_iterator(dir.path())) {
    if (entry.path().extension() == ".sst" && (largest.empty() || fs::file_size(entry) > fs::file_size(largest))) {
      largest = entry.path();
    }
  }
  REQUIRE_FALSE(largest.empty());
  fs::resize_file(largest, fs::file_size(largest) / 2);
  std::string error;
  bool damaged = false;
  CHECK_FALSE(AuditReader::open(dir.path(), error, &damaged));
  CHECK(damaged);
  CHECK(error.find("is damaged") != std::string::npos);
  CHECK(error.find("Corruption") != std::string::npos);
}
