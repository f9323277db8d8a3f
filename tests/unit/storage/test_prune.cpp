// Retention: pruning removes the oldest records and their index entries,
// moves the chain anchor so that verify still passes, and refuses to bless
// a damaged prefix. The writer continues the chain after a prune.
#include <catch2/catch.hpp>

#include <fstream>

#include "storage/audit_reader.hpp"
#include "storage/audit_store.hpp"
#include "storage/checkpoint_keys.hpp"
#include "storage/key_encoding.hpp"
#include "test_support.hpp"

using namespace dynaudit::storage;
using storage_test::RawStore;
using storage_test::sample_event;
using storage_test::TempDir;
using storage_test::test_time;

namespace {

constexpr std::uint64_t kRecords = 1000;

// Record s happens at s-1 seconds, except record 700, which is stamped at
// 10 s: a slow call finishing late. Checkpoints every 100 records.
void fill(const std::string& path, const std::string& key_file) {
  StoreOptions options;
  options.path = path;
  options.durability = Durability::async;
  options.checkpoint_key_file = key_file;
  options.checkpoint_every_records = 100;
  std::string error;
  auto store = AuditStore::open(options, error);
  REQUIRE(store);
  for (std::uint64_t s = 1; s <= kRecords; ++s) {
    auto e = sample_event("user-" + std::to_string(s % 7), "table-" + std::to_string(s % 3));
    e.event_time = test_time(s == 700 ? 10'000 : static_cast<std::int64_t>(s - 1) * 1000);
    // One at a time, so that checkpoints fall on exact hundreds.
    REQUIRE(store->append_and_wait(std::move(e)).sequence == s);
  }
}

std::vector<std::uint64_t> sequences(const AuditReader& reader, const AuditQuery& q) {
  std::vector<std::uint64_t> found;
  std::string error;
  const bool read = reader.query(
      q,
      [&](const AuditEvent& e) {
        found.push_back(e.sequence);
        return true;
      },
      error);
  INFO(error);
  REQUIRE(read);
  return found;
}

struct Keys {
  std::string private_file;
  std::string public_file;
};

Keys write_keys(const TempDir& dir) {
  std::string error;
  const auto pair = generate_checkpoint_key_pair(error);
  REQUIRE(pair);
  std::ofstream(dir.file("key.pem")) << pair->private_pem;
  std::ofstream(dir.file("key.pub")) << pair->public_pem;
  return {dir.file("key.pem"), dir.file("key.pub")};
}

}  // namespace

TEST_CASE("prune removes old records and their index entries - the rest still verifies") {
  TempDir dir("prune");
  const auto keys = write_keys(dir);
  const std::string path = dir.file("store");
  fill(path, keys.private_file);
  std::string error;
  {
    auto pruner = AuditReader::open_for_prune(path, error);
    REQUIRE(pruner);
    const auto report = pruner->prune_before(test_time(400'000), error);
    CHECK(error.empty());
    CHECK(report.removed == 400);
    CHECK(report.first_kept_sequence == 401);
    const auto stats = pruner->stats();
    CHECK(stats.first_sequence == 401);
    CHECK(stats.last_sequence == kRecords);
    CHECK(stats.records == 600);
    CHECK(stats.checkpoints == 10);  // checkpoints are kept: they hold no call data

    // Pruning again changes nothing.
    const auto again = pruner->prune_before(test_time(400'000), error);
    CHECK(again.removed == 0);
    CHECK(again.first_kept_sequence == 401);
  }
  {
    auto reader = AuditReader::open(path, error);
    REQUIRE(reader);
    const auto report = reader->verify(keys.public_file);
    CHECK(report.ok);
    CHECK(report.problem.empty());
    CHECK(report.records_checked == 600);
    CHECK(report.checkpoints_checked == 10);

    // Record 700 is older than the cut but after the first kept record: the
    // chain must stay contiguous, so it stays, and queries still find it.
    AuditQuery old;
    old.until = test_time(400'000);
    CHECK(sequences(*reader, old) == std::vector<std::uint64_t>{700});
    AuditQuery by_principal;
    by_principal.principal = "user-3";
    const auto found = sequences(*reader, by_principal);
    REQUIRE_FALSE(found.empty());
    CHECK(found.front() == 402);  // 402 % 7 == 3
    CHECK(found.size() == 86);    // 402, 409, ..., 997
    AuditQuery all;
    CHECK(sequences(*reader, all).size() == 600);
    CHECK(sequences(*reader, all).front() == 401);

    // Prune is refused on a read-only open.
    CHECK(reader->prune_before(test_time(900'000), error).removed == 0);
    CHECK(error == "pruning needs the store to itself: open it with open_for_prune");
  }
  {
    // No index still points at a removed record.
    RawStore raw(path);
    for (const char* family : {keys::kTimeIndex, keys::kPrincipalIndex, keys::kTableIndex,
                               keys::kOperationIndex, keys::kOutcomeIndex}) {
      const auto entries = raw.all(family);
      CHECK_FALSE(entries.empty());
      std::size_t stale = 0;
      for (const auto& [key, value] : entries) stale += keys::index_key_tail(key)->sequence <= 400;
      INFO(family);
      CHECK(stale == 0);
    }
    CHECK(raw.all(keys::kTimeIndex).size() == 600);
    CHECK(raw.all(keys::kRecords).size() == 600);
  }
  {
    // The writer continues the chain from where it was.
    StoreOptions options;
    options.path = path;
    auto store = AuditStore::open(options, error);
    REQUIRE(store);
    CHECK(store->stats().first_sequence == 401);
    CHECK(store->stats().records == 600);
    CHECK(store->append_and_wait(sample_event()).sequence == kRecords + 1);
  }
  auto reader = AuditReader::open(path, error);
  REQUIRE(reader);
  const auto report = reader->verify(keys.public_file);
  CHECK(report.ok);
  CHECK(report.records_checked == 601);
}

TEST_CASE("prune everything: the anchor alone carries the chain on") {
  TempDir dir("prune-all");
  const auto keys = write_keys(dir);
  const std::string path = dir.file("store");
  fill(path, keys.private_file);
  std::string error;
  {
    auto pruner = AuditReader::open_for_prune(path, error);
    REQUIRE(pruner);
    const auto report = pruner->prune_before(test_time(10'000'000), error);
    CHECK(report.removed == kRecords);
    CHECK(report.first_kept_sequence == kRecords + 1);
    const auto verified = pruner->verify(keys.public_file);
    CHECK(verified.ok);
    CHECK(verified.records_checked == 0);
    CHECK(verified.checkpoints_checked == 10);  // #10 at 1000 is checked against the anchor
    CHECK(pruner->stats().records == 0);
  }
  {
    StoreOptions options;
    options.path = path;
    auto store = AuditStore::open(options, error);
    REQUIRE(store);
    CHECK(store->append_and_wait(sample_event()).sequence == kRecords + 1);
  }
  auto reader = AuditReader::open(path, error);
  REQUIRE(reader);
  CHECK(reader->verify(keys.public_file).ok);
  CHECK(reader->verify(keys.public_file).records_checked == 1);
  CHECK(sequences(*reader, {}) == std::vector<std::uint64_t>{kRecords + 1});
}

TEST_CASE("prune stops at a damaged record instead of turning it into an anchor") {
  TempDir dir("prune-damaged");
  const auto keys = write_keys(dir);
  const std::string path = dir.file("store");
  fill(path, keys.private_file);
  {
    RawStore raw(path);
    std::string value = raw.get(keys::kRecords, keys::record_key(50));
    value[value.find("192.0.2.10") + 9] = '9';
    raw.put(keys::kRecords, keys::record_key(50), value);
  }
  std::string error;
  auto pruner = AuditReader::open_for_prune(path, error);
  REQUIRE(pruner);
  const auto report = pruner->prune_before(test_time(400'000), error);
  CHECK(report.removed == 49);
  CHECK(report.first_kept_sequence == 50);
  CHECK(error == "record 50 does not fit the chain; pruning stopped there, run `dynaudit audit verify`");
  const auto verified = pruner->verify(keys.public_file);
  CHECK_FALSE(verified.ok);
  CHECK(verified.first_bad_sequence == 50u);
  CHECK(verified.problem == "record 50: hash mismatch (record altered)");
}
