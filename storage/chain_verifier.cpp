// Verification of the hash chain and the signed checkpoints
// (see chain_verifier.hpp and, for the chain's definition, hash_chain.hpp).
#include "storage/chain_verifier.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "storage/checkpoint.hpp"
#include "storage/checkpoint_signing.hpp"
#include "storage/hash_chain.hpp"
#include "storage/index_entries.hpp"
#include "storage/key_encoding.hpp"

namespace dynaudit::storage {
namespace {

struct Failure {
  std::optional<std::uint64_t> sequence;
  std::string problem;
};

std::string record_name(std::uint64_t sequence) { return "record " + std::to_string(sequence); }

// Reading for verification: checksums checked, and the whole store not
// pushed through the block cache.
rocksdb::ReadOptions scan_options() {
  rocksdb::ReadOptions options = checked_read_options();
  options.fill_cache = false;
  options.readahead_size = 2 << 20;  // one read per 2 MiB of a table file, not one per block
  return options;
}

constexpr std::size_t kIndexCount = 6;
constexpr std::array<IndexFamily, kIndexCount> kIndexes = {IndexFamily::time,      IndexFamily::principal,
                                                           IndexFamily::table,     IndexFamily::operation,
                                                           IndexFamily::outcome,   IndexFamily::event};
constexpr std::array<const char*, kIndexCount> kIndexNames = {keys::kTimeIndex,      keys::kPrincipalIndex,
                                                              keys::kTableIndex,     keys::kOperationIndex,
                                                              keys::kOutcomeIndex,   keys::kEventIndex};

// How many entries each index must hold, from the records themselves.
struct IndexExpectation {
  std::array<std::uint64_t, kIndexCount> entries{};
  std::uint64_t event_index_from = UINT64_MAX;  // idx_event covers records from here on
  bool wanted = true;  // false: the indexes are not checked, nothing to count

  void add(const AuditEvent& event) {
    if (!wanted) return;
    // A key written twice is one entry; a record has a handful, so a
    // linear look-back beats a set.
    const auto all = index_entries(event);
    for (std::size_t i = 0; i < all.size(); ++i) {
      const IndexEntry& entry = all[i];
      if (entry.family == IndexFamily::event && event.sequence < event_index_from) continue;
      bool repeated = false;
      for (std::size_t j = 0; j < i && !repeated; ++j) {
        repeated = all[j].family == entry.family && all[j].key == entry.key;
      }
      if (!repeated) ++entries[static_cast<std::size_t>(entry.family)];
    }
  }

  void merge(const IndexExpectation& other) {
    for (std::size_t i = 0; i < kIndexCount; ++i) entries[i] += other.entries[i];
  }
};

// What a record proves on its own, in the order that names the cause best:
// it parses, it is filed under its own sequence (not reordered), and its
// hash covers its bytes (not edited). The hash is computed over the stored
// bytes themselves minus the `,"hash":"…"` member, which is the definition
// in docs/audit-log.md and what the writer hashed: any changed byte, even
// an equivalent JSON spelling, breaks it. The link to its predecessor is
// checked by the caller.
struct RecordCheck {
  std::string previous_hash;  // as the record states them
  std::string hash;
  std::optional<Failure> failure;
};

// `scratch`: the record parsed, reusing its storage from record to record.
void check_record_alone(std::uint64_t sequence, std::string_view stored, RecordCheck& record, ChainHasher& hasher,
                        std::string& computed, AuditEvent& scratch, IndexExpectation& indexes, RecordVisitor* visitor,
                        unsigned lane) {
  record.failure.reset();
  AuditEvent* const event = parse_record(stored, scratch) ? &scratch : nullptr;
  if (!event) {
    record.failure = Failure{sequence, record_name(sequence) + " is not valid"};
    return;
  }
  if (event->sequence != sequence) {
    record.failure =
        Failure{sequence, record_name(sequence) + " holds " + record_name(event->sequence) + " (out of order)"};
    return;
  }
  // The stored record is the canonical bytes with `,"hash":"<64 hex>"`
  // spliced in before the closing "}}" (record_with_hash).
  static constexpr std::string_view kHashMember = ",\"hash\":\"";
  constexpr std::size_t kTail = kHashMember.size() + 64 + 3;  // member, digits, quote, "}}"
  const bool spliced = event->hash.size() == 64 && stored.size() > kTail &&
                       stored.substr(stored.size() - kTail, kHashMember.size()) == kHashMember &&
                       stored.substr(stored.size() - kTail + kHashMember.size(), 64) == event->hash;
  if (!spliced || !hasher.link(event->previous_hash, stored.substr(0, stored.size() - kTail), "}}", computed) ||
      computed != event->hash) {
    record.failure = Failure{sequence, record_name(sequence) + ": hash mismatch (record altered)"};
    return;
  }
  indexes.add(*event);
  if (visitor) visitor->visit(lane, *event);
  record.previous_hash.swap(event->previous_hash);
  record.hash.swap(event->hash);
}

// The checkpoints, read in key order (= sequence order, and the order
// written) alongside the records: at one a second while records flow they
// are far too many to hold. check_through(s, hash) checks every checkpoint
// filed at a sequence up to s, where the chain's hash at s is `hash`.
class CheckpointWalk {
 public:
  CheckpointWalk(const RocksHandle& store, const ChainMeta& meta, EVP_PKEY* public_key, VerifyReport& report)
      : meta_(meta), public_key_(public_key), report_(report),
        it_(store.db()->NewIterator(scan_options(), store.family(Family::checkpoints))) {
    it_->SeekToFirst();
  }

  // Below the chain's start: sequence 0 (a checkpoint of the empty store)
  // and the last pruned record (its hash is the anchor) can be compared;
  // older ones were pruned away, and only their signatures are checked.
  std::optional<Failure> check_before_anchor() {
    while (auto sequence = next_sequence()) {
      if (*sequence >= meta_.anchor_sequence) break;
      std::optional<std::string> hash;
      if (*sequence == 0) {
        hash = "";
      } else if (*sequence + 1 == meta_.anchor_sequence) {
        hash = meta_.anchor_previous_hash;
      }
      if (auto failure = check_current(hash)) return failure;
    }
    return read_failure();
  }

  std::optional<Failure> check_through(std::uint64_t sequence, const std::string& hash) {
    while (auto at = next_sequence()) {
      if (*at > sequence) break;
      if (auto failure = check_current(*at == sequence ? std::optional<std::string>(hash) : std::nullopt)) {
        return failure;
      }
    }
    return read_failure();
  }

  // After an intact walk: whatever is left lies beyond the head; then every
  // number up to meta's count must have been seen.
  std::optional<Failure> finish() {
    while (next_sequence()) {
      if (auto failure = check_current(std::nullopt)) return failure;
    }
    if (auto failure = read_failure()) return failure;
    for (std::uint64_t number = 1; number <= meta_.checkpoint_count; ++number) {
      if (!seen(number)) return Failure{std::nullopt, "checkpoint #" + std::to_string(number) + " is missing"};
    }
    return std::nullopt;
  }

 private:
  std::optional<std::uint64_t> next_sequence() const {
    if (!it_->Valid()) return std::nullopt;
    const auto key = it_->key().ToStringView();
    return key.size() >= 8 ? keys::read_be64(key.substr(0, 8)) : 0;
  }

  std::optional<Failure> read_failure() const {
    if (it_->status().ok()) return std::nullopt;
    return Failure{std::nullopt, "cannot read the checkpoints: " + it_->status().ToString()};
  }

  // Numbers are seen in increasing order (checkpoints are filed by sequence
  // and written in order), so the seen ones are a sorted list we only ever
  // append to; gaps are what is kept, not every number.
  bool seen(std::uint64_t number) const {
    if (number > highest_) return false;
    return !gaps_.count(number);
  }

  void note(std::uint64_t number) {
    for (std::uint64_t n = highest_ + 1; n < number && gaps_.size() < kMaxGaps; ++n) gaps_.insert(n);
    gaps_.erase(number);
    highest_ = std::max(highest_, number);
  }

  std::optional<Failure> check_current(const std::optional<std::string>& chain_hash_there) {
    const std::string key = it_->key().ToString();
    const auto checkpoint = parse_checkpoint(it_->value().ToStringView());
    const std::uint64_t key_sequence = key.size() >= 8 ? keys::read_be64(std::string_view(key).substr(0, 8)) : 0;
    it_->Next();
    if (!checkpoint) return Failure{key_sequence, "a checkpoint at " + record_name(key_sequence) + " is not valid"};
    const Checkpoint& c = *checkpoint;
    const std::string name = "checkpoint #" + std::to_string(c.number) + " at " + record_name(c.last_sequence);
    if (key != keys::checkpoint_key(c.last_sequence, c.number)) {
      return Failure{c.last_sequence, name + " is filed under another key (moved)"};
    }
    if (public_key_ && !verify_ed25519(public_key_, checkpoint_signed_bytes(c), c.signature)) {
      return Failure{c.last_sequence, name + ": bad signature"};
    }
    if (c.last_sequence > meta_.last_sequence) {
      return Failure{c.last_sequence, name + " is beyond the store's head (" + record_name(meta_.last_sequence) +
                                          "): records were removed"};
    }
    if (chain_hash_there && *chain_hash_there != c.last_hash) {
      return Failure{c.last_sequence, name + " does not match the chain"};
    }
    if (previous_ && previous_->number + 1 == c.number &&
        c.record_count != c.last_sequence - previous_->last_sequence) {
      return Failure{c.last_sequence, name + ": its record count " + std::to_string(c.record_count) +
                                          " disagrees with the chain"};
    }
    note(c.number);
    previous_ = c;
    ++report_.checkpoints_checked;
    return std::nullopt;
  }

  static constexpr std::size_t kMaxGaps = 1024;  // enough to name the first missing one
  const ChainMeta& meta_;
  EVP_PKEY* public_key_;
  VerifyReport& report_;
  std::unique_ptr<rocksdb::Iterator> it_;
  std::optional<Checkpoint> previous_;
  std::uint64_t highest_ = 0;
  std::set<std::uint64_t> gaps_;
};

// The records are split into up to kMaxThreads contiguous ranges of
// sequences, each read and checked by a thread of its own with its own
// RocksDB iterator: parse, hash, the links inside the range, and the chain's
// hash at every sequence a checkpoint is filed at. Reading is a third of
// verify's work, so one reader feeding checkers could not keep two cores
// busy. This thread then joins the ranges in order — each range's first
// record to the one before it — and checks the checkpoints with the hashes
// the ranges kept, so the failure named is the first by sequence, exactly
// as a walk in one piece would name it.
constexpr unsigned kMaxThreads = 4;
constexpr std::uint64_t kMinRecordsPerRange = 8192;  // fewer: one range (a thread costs more)

struct RangeWalk {
  std::uint64_t from = 0, to = 0;  // sequences [from, to]; the last range also reads past `to`
  bool first = false, last = false;
  // Results.
  std::optional<Failure> failure;     // the range's first, by sequence
  bool linked_any = false;            // its first record passed its own check
  std::string first_previous_hash;    // as that record states it
  std::string last_hash;              // of the last record that passed
  std::uint64_t next = 0;             // the sequence after the last record read
  std::vector<std::pair<std::uint64_t, std::string>> checkpoint_hashes;  // the chain's hash at each checkpoint
  IndexExpectation indexes;
};

// The sequences checkpoints are filed at, in order, without duplicates.
bool checkpoint_sequences(const RocksHandle& store, std::vector<std::uint64_t>& out, std::string& error) {
  const std::unique_ptr<rocksdb::Iterator> it(store.db()->NewIterator(scan_options(), store.family(Family::checkpoints)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const auto key = it->key().ToStringView();
    const std::uint64_t sequence = key.size() >= 8 ? keys::read_be64(key.substr(0, 8)) : 0;
    if (out.empty() || out.back() != sequence) out.push_back(sequence);
  }
  if (!it->status().ok()) {
    error = "cannot read the checkpoints: " + it->status().ToString();
    return false;
  }
  return true;
}

void walk_range(const RocksHandle& store, RangeWalk& range, const std::vector<std::uint64_t>& checkpointed,
                RecordVisitor* visitor, unsigned lane, std::atomic<std::uint64_t>& done) {
  rocksdb::ReadOptions options = scan_options();
  const std::string upper = keys::record_key(range.to + 1);
  rocksdb::Slice upper_slice(upper);
  if (!range.last) options.iterate_upper_bound = &upper_slice;
  const std::unique_ptr<rocksdb::Iterator> it(store.db()->NewIterator(options, store.family(Family::records)));
  if (range.first) it->SeekToFirst();
  else it->Seek(keys::record_key(range.from));
  ChainHasher hasher;
  RecordCheck record;
  std::string computed;
  AuditEvent scratch;
  std::uint64_t expected = range.from;
  std::string previous_hash;
  auto checkpoint = std::lower_bound(checkpointed.begin(), checkpointed.end(), range.from);
  std::uint64_t unreported = 0;
  for (; it->Valid(); it->Next()) {
    const auto sequence = keys::sequence_from_record_key(it->key().ToStringView());
    if (!sequence) {
      range.failure = Failure{expected, "a record key after " + record_name(expected - 1) + " is not a sequence"};
    } else if (*sequence < expected) {
      range.failure =
          Failure{*sequence, record_name(*sequence) + " lies before the chain's start at " + record_name(expected)};
    } else if (*sequence > expected) {
      range.failure = Failure{expected, "missing " + record_name(expected)};
    }
    if (range.failure) break;
    check_record_alone(*sequence, it->value().ToStringView(), record, hasher, computed, scratch, range.indexes, visitor,
                       lane);
    if (record.failure) {
      range.failure = std::move(record.failure);
      break;
    }
    if (*sequence == range.from) {
      range.linked_any = true;
      range.first_previous_hash = record.previous_hash;
    } else if (record.previous_hash != previous_hash) {
      range.failure = Failure{*sequence, record_name(*sequence) + ": previous hash does not match " +
                                             record_name(*sequence - 1) + " (records removed or reordered)"};
      break;
    }
    previous_hash.swap(record.hash);
    while (checkpoint != checkpointed.end() && *checkpoint < *sequence) ++checkpoint;
    if (checkpoint != checkpointed.end() && *checkpoint == *sequence) range.checkpoint_hashes.emplace_back(*sequence, previous_hash);
    ++expected;
    if (++unreported == 1024) done.fetch_add(std::exchange(unreported, 0), std::memory_order_relaxed);
  }
  done.fetch_add(unreported, std::memory_order_relaxed);
  if (!range.failure && !it->Valid() && !it->status().ok())
    range.failure = Failure{expected, "cannot read the records: " + it->status().ToString()};
  // A range that ends short of its last sequence lacks the next record (the
  // next range starts after it).
  if (!range.failure && !range.last && expected <= range.to) range.failure = Failure{expected, "missing " + record_name(expected)};
  range.last_hash = std::move(previous_hash);
  range.next = expected;
}

// The records in sequence order, each checked and linked to the one before;
// the checkpoints filed at each sequence are checked right after its record.
// The first failure by sequence ends the walk (a record's own failure is
// found before the checkpoints at its sequence: a chain break explains them).
std::optional<Failure> walk_records(const RocksHandle& store, const ChainMeta& meta, CheckpointWalk& checkpoints,
                                    IndexExpectation& indexes, VerifyReport& report,
                                    const std::function<void(const VerifyProgress&)>& progress,
                                    RecordVisitor* visitor) {
  if (auto failure = checkpoints.check_before_anchor()) return failure;
  std::vector<std::uint64_t> checkpointed;
  std::string error;
  if (!checkpoint_sequences(store, checkpointed, error)) return Failure{std::nullopt, error};
  const std::uint64_t total =
      meta.last_sequence >= meta.anchor_sequence ? meta.last_sequence - meta.anchor_sequence + 1 : 0;
  // Twice as many ranges as cores: a range that finishes early (beside the
  // checksum pass, or on a less loaded core) leaves less of a tail on one core.
  const unsigned threads = std::clamp(2 * std::thread::hardware_concurrency(), 1u, kMaxThreads);
  const std::uint64_t count = std::clamp<std::uint64_t>(total / kMinRecordsPerRange, 1, threads);
  std::vector<RangeWalk> ranges(count);
  for (std::uint64_t k = 0; k < count; ++k) {
    RangeWalk& r = ranges[k];
    r.first = k == 0;
    r.last = k + 1 == count;
    r.from = meta.anchor_sequence + total * k / count;
    r.to = r.last ? std::max(meta.last_sequence, meta.anchor_sequence) : meta.anchor_sequence + total * (k + 1) / count - 1;
    r.indexes.event_index_from = indexes.event_index_from;
    r.indexes.wanted = indexes.wanted;
  }
  if (visitor) visitor->start(static_cast<unsigned>(count));
  std::atomic<std::uint64_t> done{0};
  std::atomic<std::uint64_t> finished{0};
  std::vector<std::thread> walkers;
  for (std::uint64_t k = 0; k < count; ++k)
    walkers.emplace_back([&, k] {
      walk_range(store, ranges[k], checkpointed, visitor, static_cast<unsigned>(k), done);
      finished.fetch_add(1);
    });
  // Progress as before the ranges: at every kVerifyProgressEvery records
  // checked (across the ranges), then once at the end.
  std::uint64_t reported = 0;
  const auto report_progress = [&] {
    if (!progress) return;
    const std::uint64_t now = done.load(std::memory_order_relaxed);
    while (reported + kVerifyProgressEvery <= now) {
      reported += kVerifyProgressEvery;
      progress({reported, total});
    }
  };
  while (progress && finished.load() < count) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    report_progress();
  }
  for (auto& walker : walkers) walker.join();
  for (const auto& r : ranges) indexes.merge(r.indexes);

  std::string previous_hash = meta.anchor_previous_hash;
  const auto fail_at = [&](const Failure& failure, std::uint64_t before) {
    report.records_checked = before - meta.anchor_sequence;
    return failure;
  };
  for (const RangeWalk& r : ranges) {
    if (r.linked_any && r.first_previous_hash != previous_hash) {
      return fail_at(Failure{r.from, record_name(r.from) + ": previous hash does not match " + record_name(r.from - 1) +
                                         " (records removed or reordered)"},
                     r.from);
    }
    for (const auto& [sequence, hash] : r.checkpoint_hashes) {
      if (auto failure = checkpoints.check_through(sequence, hash)) return fail_at(*failure, sequence);
    }
    if (r.failure) {
      const std::uint64_t at = r.failure->sequence.value_or(r.next);
      // Checkpoints filed below the failing record were checked above; those
      // at or past it are explained by the break.
      return fail_at(*r.failure, std::max(at, r.from));
    }
    if (r.linked_any) previous_hash = r.last_hash;
  }
  const std::uint64_t expected = ranges.back().next;
  report.records_checked = expected - meta.anchor_sequence;
  report_progress();
  if (progress) progress({report.records_checked, total});
  // The records must end where the head in meta says they do.
  const std::string head = " (the store's head is " + record_name(meta.last_sequence) + ")";
  if (meta.last_sequence >= expected) return Failure{expected, "missing " + record_name(expected) + head};
  if (expected - 1 > meta.last_sequence) {
    return Failure{meta.last_sequence + 1, record_name(meta.last_sequence + 1) + " lies beyond" + head};
  }
  if (previous_hash != meta.last_hash) {
    return Failure{meta.last_sequence, "the store's head hash does not match " + record_name(meta.last_sequence)};
  }
  return checkpoints.finish();
}

// What the indexes hold: their entries counted, each naming a record within
// the store's range. Read in full, so that a damaged index file is an error
// here rather than rows missing from a query. Runs on its own thread beside
// the record walk; the counts are compared with the records' afterwards.
struct IndexCount {
  std::array<std::uint64_t, kIndexCount> entries{};
  std::optional<Failure> failure;
};

// `stop`: the walk has failed, the counts will not be compared.
IndexCount count_indexes(const RocksHandle& store, const ChainMeta& meta, const std::atomic<bool>& stop) {
  IndexCount result;
  for (std::size_t i = 0; i < kIndexCount && !stop.load(std::memory_order_relaxed); ++i) {
    rocksdb::ColumnFamilyHandle* family = store.index_family(kIndexes[i]);
    if (!family) continue;  // idx_event on a store from before it
    const std::string name = kIndexNames[i];
    std::uint64_t count = 0;
    const std::unique_ptr<rocksdb::Iterator> it(store.db()->NewIterator(scan_options(), family));
    for (it->SeekToFirst(); it->Valid() && !stop.load(std::memory_order_relaxed); it->Next()) {
      const auto tail = keys::index_key_tail(it->key().ToStringView());
      if (!tail) {
        result.failure = Failure{std::nullopt, name + " holds a key that is not an index entry"};
        return result;
      }
      if (tail->sequence < meta.anchor_sequence || tail->sequence > meta.last_sequence) {
        result.failure = Failure{tail->sequence, name + " names " + record_name(tail->sequence) +
                                                     ", which the store does not hold (records removed?)"};
        return result;
      }
      ++count;
    }
    if (!it->status().ok()) {
      result.failure = Failure{std::nullopt, "cannot read " + name + ": " + it->status().ToString()};
      return result;
    }
    result.entries[i] = count;
  }
  return result;
}

// Each index holds exactly the entries its records call for.
std::optional<Failure> compare_indexes(const RocksHandle& store, const IndexCount& counted,
                                       const IndexExpectation& expected) {
  if (counted.failure) return counted.failure;
  for (std::size_t i = 0; i < kIndexCount; ++i) {
    if (!store.index_family(kIndexes[i])) continue;
    if (counted.entries[i] != expected.entries[i]) {
      return Failure{std::nullopt, std::string(kIndexNames[i]) + " holds " + std::to_string(counted.entries[i]) +
                                       " entries, but the records call for " + std::to_string(expected.entries[i]) +
                                       " (the index is damaged)"};
    }
  }
  return std::nullopt;
}

}  // namespace

VerifyReport verify_chain(const RocksHandle& store, const std::string& public_key_file,
                          const std::function<void(const VerifyProgress&)>& progress, RecordVisitor* visitor,
                          bool check_indexes) {
  VerifyReport report;
  const auto fail = [&report](const Failure& failure) {
    report.ok = false;
    report.first_bad_sequence = failure.sequence;
    report.problem = failure.problem;
    return report;
  };
  std::string error;
  PkeyPtr public_key;
  if (!public_key_file.empty()) {
    public_key = load_public_key_file(public_key_file, error);
    if (!public_key) return fail({std::nullopt, "cannot use the public key: " + error});
  }
  // Every block of every table file against its checksum: damage in any
  // family (an index, the checkpoints) is reported first, never read
  // around. It runs beside the walk (which reads the records with checksums
  // on anyway) and its verdict is taken before the walk's. Without the
  // index check only the records and checkpoints are evidence, and the walk
  // reads both with their checksums: the whole-store pass is skipped.
  rocksdb::Status checksums;
  std::thread checksum_reader([&] {
    if (check_indexes) checksums = store.db()->VerifyChecksum(scan_options());
  });
  const auto damaged = [&]() -> std::optional<Failure> {
    if (checksum_reader.joinable()) checksum_reader.join();
    if (checksums.ok()) return std::nullopt;
    return Failure{std::nullopt, "the store's files are damaged: " + checksums.ToString()};
  };
  ChainMeta meta;
  IndexExpectation indexes;
  if (!read_chain_meta(store, meta, error) || !read_event_index_from(store, indexes.event_index_from, error)) {
    if (auto failure = damaged()) return fail(*failure);
    return fail({std::nullopt, error});
  }

  indexes.wanted = check_indexes;
  IndexCount counted;
  std::atomic<bool> walk_failed{false};
  std::thread index_reader([&] {
    if (check_indexes) counted = count_indexes(store, meta, walk_failed);
  });
  CheckpointWalk checkpoints(store, meta, public_key.get(), report);
  const auto walked = walk_records(store, meta, checkpoints, indexes, report, progress, visitor);
  walk_failed = walked.has_value();
  index_reader.join();
  if (auto failure = damaged()) return fail(*failure);
  if (walked) return fail(*walked);
  // Only on an intact chain: a broken one already explains odd indexes.
  if (!check_indexes) return report;
  if (auto failure = compare_indexes(store, counted, indexes)) return fail(*failure);
  return report;
}

}  // namespace dynaudit::storage
