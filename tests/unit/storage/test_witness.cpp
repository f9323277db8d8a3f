// The witness on its own: its lines written and read back strictly, the
// file appended to and read from either end (torn writes included), and the
// comparison of a store's head with witnessed entries, case by case.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <fstream>
#include <map>
#include <set>

#include "storage/checkpoint.hpp"
#include "storage/checkpoint_keys.hpp"
#include "storage/checkpoint_signing.hpp"
#include "storage/witness_check.hpp"
#include "storage/witness_entry.hpp"
#include "storage/witness_file.hpp"
#include "test_support.hpp"

using namespace dynaudit::storage;
using storage_test::TempDir;

namespace {

const std::string kStore = "0123456789abcdef0123456789abcdef";

std::string hash_of(std::uint64_t sequence) {
  std::string h = std::to_string(sequence);
  return std::string(64 - h.size(), 'a') + h;  // 64 hex-ish digits, distinct per sequence
}

WitnessEntry checkpoint_entry(std::uint64_t number, std::uint64_t sequence, const std::string& store = kStore,
                              std::string hash = "") {
  WitnessEntry e;
  e.kind = WitnessEntry::Kind::checkpoint;
  e.checkpoint.store_id = store;
  e.checkpoint.checkpoint.number = number;
  e.checkpoint.checkpoint.time_ms = 1'795'968'000'000 + static_cast<std::int64_t>(number) * 1000;
  e.checkpoint.checkpoint.last_sequence = sequence;
  e.checkpoint.checkpoint.last_hash = sequence == 0 ? "" : (hash.empty() ? hash_of(sequence) : hash);
  e.checkpoint.checkpoint.record_count = 1;
  e.line = number;
  return e;
}

WitnessEntry acceptance_entry(std::uint64_t record_sequence, const std::string& store = kStore) {
  WitnessEntry e;
  e.kind = WitnessEntry::Kind::acceptance;
  auto& a = e.acceptance;
  a.store_id = store;
  a.time_ms = 1'795'968'100'000;
  a.record_sequence = record_sequence;
  a.record_hash = hash_of(record_sequence);
  a.witnessed_store_id = kStore;
  a.witnessed_checkpoint = 9;
  a.witnessed_sequence = 40;
  a.witnessed_hash = hash_of(40);
  a.store_last_sequence = record_sequence - 1;
  a.store_last_hash = hash_of(record_sequence - 1);
  return e;
}

// A store holding records anchor..last, each with hash_of(sequence) unless
// `changed` says otherwise.
struct FakeStore {
  StoreHead head;
  std::map<std::uint64_t, std::string> changed;
  std::set<std::uint64_t> missing;
  bool broken = false;

  FakeStore(std::uint64_t anchor, std::uint64_t last, std::string id = kStore) {
    head.store_id = std::move(id);
    head.anchor_sequence = anchor;
    head.anchor_previous_hash = anchor > 1 ? hash_of(anchor - 1) : "";
    head.last_sequence = last;
    head.last_hash = last ? hash_of(last) : "";
  }

  RecordHashLookup lookup() const {
    return [this](std::uint64_t sequence, std::optional<std::string>& hash, std::string& error) {
      if (broken) {
        error = "Corruption: block checksum mismatch";
        return false;
      }
      if (sequence < head.anchor_sequence || sequence > head.last_sequence || missing.count(sequence)) {
        hash.reset();
      } else if (auto it = changed.find(sequence); it != changed.end()) {
        hash = it->second;
      } else {
        hash = hash_of(sequence);
      }
      return true;
    };
  }

  WitnessMatch compare(const WitnessEntry& entry, std::string& problem) const {
    return compare_with_witness(head, lookup(), entry, problem);
  }
};

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

TEST_CASE("witness lines: written in a fixed layout and read back strictly") {
  auto c = checkpoint_entry(12, 40);
  c.checkpoint.checkpoint.signature = std::string(128, 'f');
  c.checkpoint.key_id = "5e0f9a6c2b7d8e14";
  const std::string line = witness_line(c.checkpoint);
  CHECK(line.rfind("{\"type\":\"checkpoint\",\"storeId\":\"" + kStore + "\",\"checkpoint\":12,", 0) == 0);
  CHECK(line.find('\n') == std::string::npos);
  const auto parsed = parse_witness_line(line);
  REQUIRE(parsed);
  CHECK(parsed->kind == WitnessEntry::Kind::checkpoint);
  CHECK(witness_line(parsed->checkpoint) == line);
  CHECK(parsed->sequence() == 40);
  CHECK(parsed->hash() == hash_of(40));
  CHECK(parsed->store_id() == kStore);

  const auto a = acceptance_entry(31);
  const std::string accepted = witness_line(a.acceptance);
  const auto parsed_acceptance = parse_witness_line(accepted);
  REQUIRE(parsed_acceptance);
  CHECK(parsed_acceptance->kind == WitnessEntry::Kind::acceptance);
  CHECK(witness_line(parsed_acceptance->acceptance) == accepted);
  CHECK(parsed_acceptance->sequence() == 31);

  // Anything else is not an entry: another order, a time that disagrees
  // with timeMs, white space, a line cut short, trailing bytes.
  CHECK_FALSE(parse_witness_line(""));
  CHECK_FALSE(parse_witness_line("{}"));
  CHECK_FALSE(parse_witness_line(line.substr(0, line.size() - 1)));
  CHECK_FALSE(parse_witness_line(line + " "));
  std::string other_time = line;
  other_time.replace(other_time.find("\"time\":\"") + 8, 4, "1999");
  CHECK_FALSE(parse_witness_line(other_time));
  std::string spaced = line;
  spaced.insert(1, " ");
  CHECK_FALSE(parse_witness_line(spaced));
}

TEST_CASE("witness file: private, appended line by line, torn writes ended") {
  TempDir dir("witness-file");
  const std::string path = dir.file("witness.jsonl");
  const mode_t saved = ::umask(022);
  std::string error, warning;
  {
    auto file = WitnessFile::open(path, error, &warning);
    ::umask(saved);
    INFO(error);
    REQUIRE(file);
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    CHECK(warning.empty());
    REQUIRE(file->append(witness_line(checkpoint_entry(1, 0).checkpoint), error));
    REQUIRE(file->append(witness_line(checkpoint_entry(2, 5).checkpoint), error));
  }
  // A crash in the middle of a line, then an existing file made loose.
  { std::ofstream(path, std::ios::app) << "{\"type\":\"checkpoint\",\"stor"; }
  ::chmod(path.c_str(), 0644);
  {
    auto file = WitnessFile::open(path, error, &warning);
    REQUIRE(file);
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    REQUIRE(file->append(witness_line(checkpoint_entry(3, 9).checkpoint), error));
  }
  const std::string text = read_all(path);
  CHECK(text.back() == '\n');
  CHECK(text.find("\"stor\n{\"type\":\"checkpoint\"") != std::string::npos);  // the torn line was ended

  std::vector<WitnessEntry> entries;
  std::vector<WitnessReadIssue> issues;
  REQUIRE(read_witness(path, [&](const WitnessEntry& e) { entries.push_back(e); }, issues, error));
  REQUIRE(entries.size() == 3);
  CHECK(entries[0].line == 1);
  CHECK(entries[2].line == 4);
  CHECK(entries[2].sequence() == 9);
  REQUIRE(issues.size() == 1);
  CHECK(issues[0].line == 3);
  CHECK(issues[0].problem == "not a witness entry");

  // The newest entry from the end: a torn fragment after it is no entry.
  { std::ofstream(path, std::ios::app) << "{\"type\":\"chec"; }
  auto newest = newest_witness_entry(path, error);
  REQUIRE(newest);
  CHECK(newest->sequence() == 9);
  issues.clear();
  entries.clear();
  REQUIRE(read_witness(path, [&](const WitnessEntry& e) { entries.push_back(e); }, issues, error));
  CHECK(entries.size() == 3);
  REQUIRE(issues.size() == 2);
  CHECK(issues[1].problem == "cut short (no newline at the end)");
}

TEST_CASE("witness file: the newest entry is found across read chunks, and none in a missing file") {
  TempDir dir("witness-newest");
  const std::string path = dir.file("witness.jsonl");
  std::string error;
  CHECK_FALSE(newest_witness_entry(path, error));
  CHECK(error.empty());
  {
    auto file = WitnessFile::open(path, error);
    REQUIRE(file);
    // ~300 bytes a line: well past one 64 KiB chunk.
    for (std::uint64_t n = 1; n <= 1000; ++n) REQUIRE(file->append(witness_line(checkpoint_entry(n, n * 3).checkpoint), error));
  }
  auto newest = newest_witness_entry(path, error);
  REQUIRE(newest);
  CHECK(newest->checkpoint.checkpoint.number == 1000);
  // A long invalid last line (longer than a chunk) is skipped for the one before.
  { std::ofstream(path, std::ios::app) << std::string(70'000, 'x') << "\n"; }
  newest = newest_witness_entry(path, error);
  REQUIRE(newest);
  CHECK(newest->checkpoint.checkpoint.number == 1000);
  // Nothing but junk: none.
  { std::ofstream(dir.file("junk"), std::ios::binary) << "junk\nmore junk\n"; }
  CHECK_FALSE(newest_witness_entry(dir.file("junk"), error));
  CHECK(error.empty());
}

TEST_CASE("store against one witnessed entry: every way it can differ") {
  const FakeStore store(1, 50);
  std::string problem;

  SECTION("the store holds the witnessed point") {
    CHECK(store.compare(checkpoint_entry(7, 50), problem) == WitnessMatch::matches);
    CHECK(store.compare(checkpoint_entry(3, 20), problem) == WitnessMatch::matches);
    CHECK(store.compare(checkpoint_entry(1, 0), problem) == WitnessMatch::matches);  // an empty store's checkpoint
    CHECK(store.compare(acceptance_entry(30), problem) == WitnessMatch::matches);
  }
  SECTION("truncated or rolled back: the witnessed sequence is beyond the head") {
    REQUIRE(store.compare(checkpoint_entry(9, 60), problem) == WitnessMatch::mismatch);
    CHECK(problem.find("lacks witnessed checkpoint #9 (sequence 60") != std::string::npos);
    CHECK(problem.find("it ends at sequence 50 (records 51..60") != std::string::npos);
  }
  SECTION("rewritten: the witnessed record holds another hash") {
    FakeStore rewritten(1, 50);
    rewritten.changed[42] = hash_of(4242);
    REQUIRE(rewritten.compare(checkpoint_entry(8, 42), problem) == WitnessMatch::mismatch);
    CHECK(problem.find("record 42 differs from witnessed checkpoint #8 (sequence 42") != std::string::npos);
    CHECK(rewritten.compare(checkpoint_entry(7, 41), problem) == WitnessMatch::matches);
  }
  SECTION("a witnessed record removed from the middle") {
    FakeStore holed(1, 50);
    holed.missing.insert(25);
    REQUIRE(holed.compare(checkpoint_entry(5, 25), problem) == WitnessMatch::mismatch);
    CHECK(problem.find("record 25 of witnessed checkpoint #5") != std::string::npos);
    CHECK(problem.find("missing") != std::string::npos);
  }
  SECTION("another store, or one re-created") {
    const FakeStore other(1, 50, "ffffffffffffffffffffffffffffffff");
    REQUIRE(other.compare(checkpoint_entry(7, 50), problem) == WitnessMatch::mismatch);
    CHECK(problem.find("is of store " + kStore) != std::string::npos);
    CHECK(problem.find("this store is ffffffffffffffffffffffffffffffff") != std::string::npos);
    const FakeStore no_id(1, 50, "");
    REQUIRE(no_id.compare(checkpoint_entry(7, 50), problem) == WitnessMatch::mismatch);
    CHECK(problem.find("written before store ids") != std::string::npos);
  }
  SECTION("no store at all") {
    FakeStore gone(1, 0);
    gone.head.exists = false;
    REQUIRE(gone.compare(checkpoint_entry(7, 50), problem) == WitnessMatch::mismatch);
    CHECK(problem.find("does not exist") != std::string::npos);
    CHECK(problem.find("checkpoint #7 (sequence 50") != std::string::npos);
  }
  SECTION("pruned records: the anchor is compared, older ones cannot be") {
    const FakeStore pruned(21, 50);
    CHECK(pruned.compare(checkpoint_entry(2, 10), problem) == WitnessMatch::pruned);
    CHECK(pruned.compare(checkpoint_entry(3, 20), problem) == WitnessMatch::matches);
    FakeStore bad_anchor(21, 50);
    bad_anchor.head.anchor_previous_hash = hash_of(999);
    CHECK(bad_anchor.compare(checkpoint_entry(3, 20), problem) == WitnessMatch::mismatch);
  }
  SECTION("a store that cannot be read is an error, not a verdict") {
    FakeStore broken(1, 50);
    broken.broken = true;
    REQUIRE(broken.compare(checkpoint_entry(7, 30), problem) == WitnessMatch::error);
    CHECK(problem.find("Corruption") != std::string::npos);
  }
}

TEST_CASE("a whole witness: first mismatch, accepted losses, what is not yet provable") {
  SECTION("intact: nothing wrong, records after the newest entry are not yet provable") {
    const FakeStore store(1, 57);
    WitnessComparison comparison(store.head, store.lookup());
    comparison.add(checkpoint_entry(1, 0));
    comparison.add(checkpoint_entry(2, 20));
    comparison.add(checkpoint_entry(3, 50));
    const auto report = comparison.finish();
    CHECK(report.ok());
    CHECK(report.entries == 3);
    CHECK(report.checked == 3);
    REQUIRE(report.newest);
    CHECK(report.newest->sequence() == 50);
    CHECK(report.not_yet_provable == 7);
    CHECK(report.unsigned_checkpoints == 3);
  }
  SECTION("no entry yet: every record is unprovable") {
    const FakeStore store(11, 57);
    WitnessComparison comparison(store.head, store.lookup());
    const auto report = comparison.finish();
    CHECK(report.ok());
    CHECK(report.not_yet_provable == 47);
  }
  SECTION("the first mismatch in file order is reported") {
    const FakeStore store(1, 30);
    WitnessComparison comparison(store.head, store.lookup());
    comparison.add(checkpoint_entry(1, 20));
    comparison.add(checkpoint_entry(2, 35));
    comparison.add(checkpoint_entry(3, 60));
    const auto report = comparison.finish();
    REQUIRE(report.mismatch);
    CHECK(report.mismatch->find("checkpoint #2 (sequence 35") != std::string::npos);
  }
  SECTION("an acceptance ends the losses before it, and keeps them on record") {
    // Witnessed up to 40, the store was cut back to 30, serve accepted it
    // (record 31), and went on.
    FakeStore store(1, 45);
    store.changed[40] = hash_of(4000);  // the new record 40 is not the witnessed one
    WitnessComparison comparison(store.head, store.lookup());
    comparison.add(checkpoint_entry(8, 30));
    comparison.add(checkpoint_entry(9, 40));  // lost
    comparison.add(acceptance_entry(31));
    comparison.add(checkpoint_entry(10, 44));
    auto report = comparison.finish();
    CHECK(report.ok());
    REQUIRE(report.acceptances.size() == 1);
    CHECK(report.acceptances[0].witnessed_sequence == 40);
    REQUIRE(report.newest);
    CHECK(report.newest->sequence() == 44);
    CHECK(report.not_yet_provable == 1);

    // A new loss after the acceptance is damage again.
    WitnessComparison again(store.head, store.lookup());
    again.add(checkpoint_entry(9, 40));
    again.add(acceptance_entry(31));
    again.add(checkpoint_entry(10, 46));
    report = again.finish();
    REQUIRE(report.mismatch);
    CHECK(report.mismatch->find("checkpoint #10 (sequence 46") != std::string::npos);
  }
  SECTION("a missing store is reported against the newest entry: how much was lost") {
    FakeStore gone(1, 0);
    gone.head.exists = false;
    WitnessComparison comparison(gone.head, gone.lookup());
    comparison.add(checkpoint_entry(1, 0));
    comparison.add(checkpoint_entry(2, 12));
    const auto report = comparison.finish();
    REQUIRE(report.mismatch);
    CHECK(report.mismatch->find("checkpoint #2 (sequence 12") != std::string::npos);
  }
  SECTION("signatures: checked with the public key, an edited entry fails") {
    std::string error;
    const auto pair = generate_checkpoint_key_pair(error);
    REQUIRE(pair);
    const auto private_key = load_private_key_pem(pair->private_pem, error);
    const auto public_key = load_public_key_pem(pair->public_pem, error);
    REQUIRE(private_key);
    REQUIRE(public_key);
    auto signed_entry = checkpoint_entry(2, 20);
    signed_entry.checkpoint.checkpoint.signature =
        *sign_ed25519(private_key.get(), checkpoint_signed_bytes(signed_entry.checkpoint.checkpoint));
    signed_entry.checkpoint.key_id = checkpoint_key_id(private_key.get());
    CHECK(signed_entry.checkpoint.key_id == checkpoint_key_id(public_key.get()));
    CHECK(signed_entry.checkpoint.key_id.size() == 16);
    const FakeStore store(1, 50);
    {
      WitnessComparison comparison(store.head, store.lookup(), public_key.get());
      comparison.add(signed_entry);
      CHECK(comparison.finish().ok());
    }
    auto edited = signed_entry;
    edited.checkpoint.checkpoint.record_count += 1;
    WitnessComparison comparison(store.head, store.lookup(), public_key.get());
    comparison.add(edited);
    const auto report = comparison.finish();
    REQUIRE(report.mismatch);
    CHECK(report.mismatch->find("bad signature") != std::string::npos);
  }
  SECTION("a store read error stops the comparison") {
    FakeStore broken(1, 50);
    broken.broken = true;
    WitnessComparison comparison(broken.head, broken.lookup());
    comparison.add(checkpoint_entry(2, 20));
    const auto report = comparison.finish();
    CHECK_FALSE(report.ok());
    CHECK(report.error.find("Corruption") != std::string::npos);
  }
}

TEST_CASE("witness file: removed or replaced while in use, a new one is started and it says so") {
  TempDir dir("witness-replaced");
  const std::string path = dir.file("witness.jsonl");
  std::string error;
  auto file = WitnessFile::open(path, error);
  REQUIRE(file);
  REQUIRE(file->append(witness_line(checkpoint_entry(1, 0).checkpoint), error));
  CHECK_FALSE(file->replaced());
  std::filesystem::remove(path);
  REQUIRE(file->append(witness_line(checkpoint_entry(2, 4).checkpoint), error));
  CHECK(file->replaced());
  CHECK_FALSE(file->replaced());  // said once
  std::vector<WitnessEntry> entries;
  std::vector<WitnessReadIssue> issues;
  REQUIRE(read_witness(path, [&](const WitnessEntry& e) { entries.push_back(e); }, issues, error));
  REQUIRE(entries.size() == 1);
  CHECK(entries[0].sequence() == 4);
  // Renamed away (a careless rotation) counts the same.
  std::filesystem::rename(path, dir.file("old.jsonl"));
  REQUIRE(file->append(witness_line(checkpoint_entry(3, 5).checkpoint), error));
  CHECK(file->replaced());
  CHECK(read_all(dir.file("old.jsonl")).find("\"lastSequence\":4") != std::string::npos);
  CHECK(read_all(path).find("\"lastSequence\":5") != std::string::npos);
}
