// Tamper evidence: records changed, removed or swapped with RocksDB's own
// API, and checkpoints forged or re-signed; verify names the first broken
// sequence and what is wrong with it.
#include <catch2/catch.hpp>

#include <fstream>
#include <thread>

#include "storage/audit_reader.hpp"
#include "storage/audit_store.hpp"
#include "storage/checkpoint.hpp"
#include "storage/checkpoint_keys.hpp"
#include "storage/checkpoint_signing.hpp"
#include "storage/hash_chain.hpp"
#include "storage/key_encoding.hpp"
#include "test_support.hpp"

using namespace dynaudit::storage;
using storage_test::RawStore;
using storage_test::sample_event;
using storage_test::TempDir;

namespace {

struct KeyFiles {
  std::string private_file;
  std::string public_file;
  std::string private_pem;
};

KeyFiles write_keys(const TempDir& dir, const std::string& name) {
  std::string error;
  const auto pair = generate_checkpoint_key_pair(error);
  REQUIRE(pair);
  KeyFiles files{dir.file(name + ".key"), dir.file(name + ".pub"), pair->private_pem};
  std::ofstream(files.private_file) << pair->private_pem;
  std::ofstream(files.public_file) << pair->public_pem;
  return files;
}

// A closed store of `count` records; checkpoints every 10 if keys are given.
void fill_store(const std::string& path, int count, const KeyFiles* keys = nullptr) {
  StoreOptions options;
  options.path = path;
  if (keys) {
    options.checkpoint_key_file = keys->private_file;
    options.checkpoint_every_records = 10;
  }
  std::string error;
  auto store = AuditStore::open(options, error);
  REQUIRE(store);
  for (int i = 1; i <= count; ++i) {
    auto e = sample_event("user-" + std::to_string(i % 3));
    e.request_id = "REQ-" + std::to_string(i);
    REQUIRE(store->append_and_wait(std::move(e)).sequence == static_cast<std::uint64_t>(i));
  }
}

// A closed store of `count` records appended without waiting (as a busy
// proxy writes them); each with `body_bytes` of request body if not 0.
void fill_async_store(const std::string& path, int count, const KeyFiles* keys, std::size_t body_bytes = 0) {
  StoreOptions options;
  options.path = path;
  options.durability = Durability::async;
  if (keys) {
    options.checkpoint_key_file = keys->private_file;
    options.checkpoint_every_records = 1000;
  }
  std::string error;
  auto store = AuditStore::open(options, error);
  REQUIRE(store);
  for (int i = 1; i <= count; ++i) {
    auto e = sample_event("user-" + std::to_string(i % 7));
    e.request_id = "REQ-" + std::to_string(i);
    if (body_bytes) e.request_body_json = std::string(body_bytes, static_cast<char>('a' + i % 26));
    store->append(std::move(e), {});
  }
}

// Changes one byte of a record's requestID.
void alter_record(const std::string& path, std::uint64_t sequence) {
  RawStore raw(path);
  std::string value = raw.get("records", keys::record_key(sequence));
  const auto at = value.find("\"REQ-");
  REQUIRE(at != std::string::npos);
  value[at + 1] = 'X';
  raw.put("records", keys::record_key(sequence), value);
}

VerifyReport verify(const std::string& path, const std::string& public_key = "") {
  std::string error;
  auto reader = AuditReader::open(path, error);
  INFO(error);
  REQUIRE(reader);
  return reader->verify(public_key);
}

std::string key(std::uint64_t sequence) { return keys::record_key(sequence); }

}  // namespace

TEST_CASE("an untouched store verifies") {
  TempDir dir("tamper-none");
  fill_store(dir.path(), 50);
  const auto report = verify(dir.path());
  CHECK(report.ok);
  CHECK(report.records_checked == 50);
  CHECK_FALSE(report.first_bad_sequence);
  CHECK(report.problem.empty());
}

TEST_CASE("tamper: one byte of one record changed") {
  TempDir dir("tamper-byte");
  fill_store(dir.path(), 50);
  SECTION("inside a value: the record's own hash no longer fits") {
    {
      RawStore raw(dir.path());
      std::string value = raw.get("records", key(20));
      const auto at = value.find("192.0.2.10");
      REQUIRE(at != std::string::npos);
      value[at + 9] = '1';  // 192.0.2.11
      raw.put("records", key(20), value);
    }
    const auto report = verify(dir.path());
    CHECK_FALSE(report.ok);
    CHECK(report.first_bad_sequence == 20u);
    CHECK(report.problem == "record 20: hash mismatch (record altered)");
    CHECK(report.records_checked == 19);
  }
  SECTION("in the stored hash itself") {
    {
      RawStore raw(dir.path());
      std::string value = raw.get("records", key(33));
      const auto at = value.find("\"hash\":\"");
      REQUIRE(at != std::string::npos);
      value[at + 8] = value[at + 8] == 'a' ? 'b' : 'a';
      raw.put("records", key(33), value);
    }
    const auto report = verify(dir.path());
    CHECK(report.first_bad_sequence == 33u);
    CHECK(report.problem == "record 33: hash mismatch (record altered)");
  }
  SECTION("in the JSON structure: the record no longer parses") {
    {
      RawStore raw(dir.path());
      std::string value = raw.get("records", key(7));
      value[0] = '[';
      raw.put("records", key(7), value);
    }
    const auto report = verify(dir.path());
    CHECK(report.first_bad_sequence == 7u);
    CHECK(report.problem == "record 7 is not valid");
  }
  SECTION("to an equivalent JSON spelling: the hash covers the bytes, not their meaning") {
    {
      RawStore raw(dir.path());
      std::string value = raw.get("records", key(12));
      const auto at = value.find("\"listener\":\"main\"");
      REQUIRE(at != std::string::npos);
      value.replace(at, 17, "\"listener\":\"m\\u0061in\"");
      raw.put("records", key(12), value);
    }
    const auto report = verify(dir.path());
    CHECK(report.first_bad_sequence == 12u);
    CHECK(report.problem == "record 12: hash mismatch (record altered)");
  }
}

TEST_CASE("tamper: one record deleted") {
  TempDir dir("tamper-delete");
  fill_store(dir.path(), 50);
  SECTION("in the middle") {
    RawStore(dir.path()).remove("records", key(30));
    const auto report = verify(dir.path());
    CHECK_FALSE(report.ok);
    CHECK(report.first_bad_sequence == 30u);
    CHECK(report.problem == "missing record 30");
    CHECK(report.records_checked == 29);
  }
  SECTION("the first") {
    RawStore(dir.path()).remove("records", key(1));
    const auto report = verify(dir.path());
    CHECK(report.first_bad_sequence == 1u);
    CHECK(report.problem == "missing record 1");
  }
  SECTION("the newest: the head in meta still names it") {
    RawStore(dir.path()).remove("records", key(50));
    const auto report = verify(dir.path());
    CHECK(report.first_bad_sequence == 50u);
    CHECK(report.problem == "missing record 50 (the store's head is record 50)");
    // and the writer refuses to extend a chain whose head is gone
    StoreOptions options;
    options.path = dir.path();
    std::string error;
    CHECK_FALSE(AuditStore::open(options, error));
    CHECK(error == "audit store damaged: its head is record 50 but the newest record does not match it; "
                   "run `dynaudit audit verify` on " + dir.path());
  }
  SECTION("deleted and the later ones renumbered: the link to the predecessor breaks") {
    {
      RawStore raw(dir.path());
      // Move 31..50 down to 30..49 by key (values keep their own sequence).
      for (std::uint64_t s = 31; s <= 50; ++s) raw.put("records", key(s - 1), raw.get("records", key(s)));
      raw.remove("records", key(50));
    }
    const auto report = verify(dir.path());
    CHECK(report.first_bad_sequence == 30u);
    CHECK(report.problem == "record 30 holds record 31 (out of order)");
  }
}

TEST_CASE("tamper: two records swapped") {
  TempDir dir("tamper-swap");
  fill_store(dir.path(), 50);
  {
    RawStore raw(dir.path());
    const std::string a = raw.get("records", key(10));
    const std::string b = raw.get("records", key(11));
    raw.put("records", key(10), b);
    raw.put("records", key(11), a);
  }
  const auto report = verify(dir.path());
  CHECK_FALSE(report.ok);
  CHECK(report.first_bad_sequence == 10u);
  CHECK(report.problem == "record 10 holds record 11 (out of order)");
  CHECK(report.records_checked == 9);
}

TEST_CASE("tamper: two records swapped with their sequence fields rewritten") {
  // A more careful forger also edits the sequence fields; the hashes catch it.
  TempDir dir("tamper-swap-fields");
  fill_store(dir.path(), 20);
  {
    RawStore raw(dir.path());
    auto a = from_json(raw.get("records", key(5)));
    auto b = from_json(raw.get("records", key(6)));
    REQUIRE(a);
    REQUIRE(b);
    std::swap(a->sequence, b->sequence);
    raw.put("records", key(5), to_json(*b));
    raw.put("records", key(6), to_json(*a));
  }
  const auto report = verify(dir.path());
  CHECK(report.first_bad_sequence == 5u);
  CHECK(report.problem == "record 5: hash mismatch (record altered)");
}

TEST_CASE("tamper: one record rewritten with a hash that fits it") {
  // The forger recomputes record 30's own hash; record 31 still links to the
  // original, so the break shows at 31.
  TempDir dir("tamper-rehash");
  fill_store(dir.path(), 50);
  {
    RawStore raw(dir.path());
    auto e = from_json(raw.get("records", key(30)));
    REQUIRE(e);
    e->user_agent = "innocent";
    e->hash = *chain_hash(e->previous_hash, to_json(*e, false));
    raw.put("records", key(30), to_json(*e));
  }
  const auto report = verify(dir.path());
  CHECK_FALSE(report.ok);
  CHECK(report.first_bad_sequence == 31u);
  CHECK(report.problem == "record 31: previous hash does not match record 30 (records removed or reordered)");
  CHECK(report.records_checked == 30);
}

// verify reads records in batches of 4096, checks each batch on helper
// threads while it reads the next, and links them in order: damage in a
// later batch, at a batch's edge, or in two batches at once must be named
// exactly as in a single one.
TEST_CASE("tamper: a store of several verify batches") {
  TempDir dir("tamper-batches");
  const auto keys = write_keys(dir, "cp");
  fill_async_store(dir.path(), 9000, &keys);
  const auto alter = [&](std::uint64_t sequence) { alter_record(dir.path(), sequence); };
  SECTION("untouched") {
    const auto report = verify(dir.path(), keys.public_file);
    CHECK(report.ok);
    CHECK(report.records_checked == 9000);
    // One after the group commit that crosses each 1000 records (a group
    // of async appends may cross more than one), one at close.
    CHECK(report.checkpoints_checked >= 5);
  }
  SECTION("a record in the third batch") {
    alter(8500);
    const auto report = verify(dir.path(), keys.public_file);
    CHECK(report.first_bad_sequence == 8500u);
    CHECK(report.problem == "record 8500: hash mismatch (record altered)");
    CHECK(report.records_checked == 8499);
  }
  SECTION("two records in two batches: the first by sequence is named") {
    alter(7000);
    alter(100);
    const auto report = verify(dir.path(), keys.public_file);
    CHECK(report.first_bad_sequence == 100u);
    CHECK(report.records_checked == 99);
  }
  SECTION("the first record of the second batch removed") {
    RawStore(dir.path()).remove("records", key(4097));
    const auto report = verify(dir.path(), keys.public_file);
    CHECK(report.first_bad_sequence == 4097u);
    CHECK(report.problem == "missing record 4097");
    CHECK(report.records_checked == 4096);
  }
  SECTION("the last record of the first batch removed") {
    RawStore(dir.path()).remove("records", key(4096));
    const auto report = verify(dir.path(), keys.public_file);
    CHECK(report.first_bad_sequence == 4096u);
    CHECK(report.problem == "missing record 4096");
  }
  SECTION("an index entry removed deep in the store") {
    {
      RawStore raw(dir.path());
      const std::unique_ptr<rocksdb::Iterator> it(raw.db()->NewIterator(rocksdb::ReadOptions(), raw.family("idx_principal")));
      it->SeekToLast();
      REQUIRE(it->Valid());
      raw.remove("idx_principal", it->key().ToString());
    }
    const auto report = verify(dir.path(), keys.public_file);
    CHECK_FALSE(report.ok);
    CHECK(report.records_checked == 9000);
    CHECK(report.problem == "idx_principal holds 8999 entries, but the records call for 9000 (the index is damaged)");
  }
}

// A batch also ends at 32 MiB of records (records of audit level full carry
// request bodies): 48 records of 1 MiB make two batches by size.
TEST_CASE("tamper: large records, batched by size") {
  TempDir dir("tamper-large");
  fill_async_store(dir.path(), 48, nullptr, 1 << 20);
  SECTION("untouched") {
    const auto report = verify(dir.path());
    CHECK(report.ok);
    CHECK(report.records_checked == 48);
  }
  SECTION("a record in the second batch") {
    alter_record(dir.path(), 40);
    const auto report = verify(dir.path());
    CHECK(report.first_bad_sequence == 40u);
    CHECK(report.problem == "record 40: hash mismatch (record altered)");
    CHECK(report.records_checked == 39);
  }
}

TEST_CASE("checkpoints: signed every N records and at close, checked against the chain") {
  TempDir dir("checkpoints");
  const auto keys = write_keys(dir, "store");
  const auto other = write_keys(dir, "other");
  fill_store(dir.path(), 35, &keys);  // checkpoints at 10, 20, 30 and 35 (close)
  {
    RawStore raw(dir.path());
    const auto stored = raw.all("checkpoints");
    REQUIRE(stored.size() == 4);
    const std::vector<std::pair<std::uint64_t, std::uint64_t>> expected = {{10, 10}, {20, 10}, {30, 10}, {35, 5}};
    for (std::size_t i = 0; i < stored.size(); ++i) {
      const auto c = parse_checkpoint(stored[i].second);
      REQUIRE(c);
      CHECK(c->number == i + 1);
      CHECK(c->last_sequence == expected[i].first);
      CHECK(c->record_count == expected[i].second);
      CHECK(c->last_hash == from_json(raw.get("records", key(c->last_sequence)))->hash);
    }
  }
  SECTION("intact: all four pass with the right public key") {
    const auto report = verify(dir.path(), keys.public_file);
    CHECK(report.ok);
    CHECK(report.checkpoints_checked == 4);
    CHECK(report.records_checked == 35);
  }
  SECTION("the wrong public key: the first checkpoint's signature fails") {
    const auto report = verify(dir.path(), other.public_file);
    CHECK_FALSE(report.ok);
    CHECK(report.first_bad_sequence == 10u);
    CHECK(report.problem == "checkpoint #1 at record 10: bad signature");
  }
  SECTION("a signature altered in the store") {
    {
      RawStore raw(dir.path());
      std::string value = raw.get("checkpoints", keys::checkpoint_key(20, 2));
      const auto at = value.find("\"signature\":\"");
      REQUIRE(at != std::string::npos);
      value[at + 14] = value[at + 14] == '0' ? '1' : '0';
      raw.put("checkpoints", keys::checkpoint_key(20, 2), value);
    }
    const auto report = verify(dir.path(), keys.public_file);
    CHECK(report.first_bad_sequence == 20u);
    CHECK(report.problem == "checkpoint #2 at record 20: bad signature");
    // Without a public key only the chain and the hashes are checked.
    CHECK(verify(dir.path()).ok);
  }
  SECTION("a validly signed checkpoint that does not match the chain") {
    {
      RawStore raw(dir.path());
      auto c = parse_checkpoint(raw.get("checkpoints", keys::checkpoint_key(30, 3)));
      REQUIRE(c);
      c->last_hash = std::string(64, '0');
      std::string error;
      const auto private_key = load_private_key_pem(keys.private_pem, error);
      c->signature = *sign_ed25519(private_key.get(), checkpoint_signed_bytes(*c));
      raw.put("checkpoints", keys::checkpoint_key(30, 3), checkpoint_value(*c));
    }
    const auto report = verify(dir.path(), keys.public_file);
    CHECK(report.first_bad_sequence == 30u);
    CHECK(report.problem == "checkpoint #3 at record 30 does not match the chain");
  }
  SECTION("a record rewritten with a fresh, valid chain after it: the checkpoint still catches it") {
    {
      RawStore raw(dir.path());
      // Re-chain everything from record 15 on, as a forger without the key would.
      std::string previous = from_json(raw.get("records", key(14)))->hash;
      for (std::uint64_t s = 15; s <= 35; ++s) {
        auto e = from_json(raw.get("records", key(s)));
        if (s == 15) e->user_agent = "forged";
        e->previous_hash = previous;
        e->hash = *chain_hash(previous, to_json(*e, false));
        previous = e->hash;
        raw.put("records", key(s), to_json(*e));
      }
      raw.put("meta", "last_hash", previous);
    }
    const auto without_key = verify(dir.path());
    CHECK(without_key.first_bad_sequence == 20u);  // the checkpoint hashes alone catch it
    CHECK(without_key.problem == "checkpoint #2 at record 20 does not match the chain");
    const auto report = verify(dir.path(), keys.public_file);
    CHECK(report.first_bad_sequence == 20u);
    CHECK(report.problem == "checkpoint #2 at record 20 does not match the chain");
  }
  SECTION("a checkpoint deleted") {
    RawStore(dir.path()).remove("checkpoints", keys::checkpoint_key(20, 2));
    const auto report = verify(dir.path(), keys.public_file);
    CHECK_FALSE(report.ok);
    CHECK_FALSE(report.first_bad_sequence);
    CHECK(report.problem == "checkpoint #2 is missing");
  }
}

TEST_CASE("checkpoints are written in silence too, so a quiet period is provable") {
  TempDir dir("silence");
  const auto keys = write_keys(dir, "store");
  StoreOptions options;
  options.path = dir.path();
  options.checkpoint_key_file = keys.private_file;
  options.checkpoint_interval = std::chrono::milliseconds(40);
  std::string error;
  {
    auto store = AuditStore::open(options, error);
    REQUIRE(store);
    REQUIRE(store->append_and_wait(sample_event()).sequence == 1);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    CHECK(store->stats().checkpoints >= 3);
  }
  RawStore raw(dir.path());
  const auto stored = raw.all("checkpoints");
  REQUIRE(stored.size() >= 3);
  std::uint64_t counted = 0;
  for (std::size_t i = 0; i < stored.size(); ++i) {
    const auto c = parse_checkpoint(stored[i].second);
    REQUIRE(c);
    CHECK(c->number == i + 1);
    counted += c->record_count;
    if (i > 0) CHECK(c->time_ms > parse_checkpoint(stored[i - 1].second)->time_ms);
  }
  CHECK(counted == 1);
  // The newest two came after the only record: nothing happened, and that is signed.
  for (std::size_t i = stored.size() - 2; i < stored.size(); ++i) {
    const auto c = parse_checkpoint(stored[i].second);
    CHECK(c->last_sequence == 1);
    CHECK(c->record_count == 0);
  }
  CHECK(verify(dir.path(), keys.public_file).checkpoints_checked == stored.size());
}

TEST_CASE("a bad checkpoint key file stops the store from opening") {
  TempDir dir("badkey");
  std::ofstream(dir.file("bad.key")) << "not a key";
  StoreOptions options;
  options.path = dir.file("store");
  options.checkpoint_key_file = dir.file("bad.key");
  std::string error;
  CHECK_FALSE(AuditStore::open(options, error));
  CHECK(error.rfind("audit checkpoint key: " + dir.file("bad.key") + ": not a PEM private key", 0) == 0);
}
