// Verification of the hash chain and the signed checkpoints
// (see chain_verifier.hpp and, for the chain's definition, hash_chain.hpp).
#include "storage/chain_verifier.hpp"

#include <algorithm>
#include <array>
#include <atomic>
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
// checked afterwards, in sequence order.
struct RecordCheck {
  std::uint64_t sequence = 0;  // from the record's key
  std::string stored;
  std::string previous_hash;   // as the record states them
  std::string hash;
  std::optional<Failure> failure;
};

void check_record_alone(RecordCheck& record, ChainHasher& hasher, IndexExpectation& indexes, RecordVisitor* visitor,
                        unsigned lane) {
  const std::uint64_t sequence = record.sequence;
  const std::string name = record_name(sequence);
  const std::string_view stored = record.stored;
  const auto event = from_json(stored);
  if (!event) {
    record.failure = Failure{sequence, name + " is not valid"};
    return;
  }
  if (event->sequence != sequence) {
    record.failure = Failure{sequence, name + " holds " + record_name(event->sequence) + " (out of order)"};
    return;
  }
  // The stored record is the canonical bytes with `,"hash":"<64 hex>"`
  // spliced in before the closing "}}" (record_with_hash).
  static constexpr std::string_view kHashMember = ",\"hash\":\"";
  constexpr std::size_t kTail = kHashMember.size() + 64 + 3;  // member, digits, quote, "}}"
  std::string computed;
  const bool spliced = event->hash.size() == 64 && stored.size() > kTail &&
                       stored.substr(stored.size() - kTail, kHashMember.size()) == kHashMember &&
                       stored.substr(stored.size() - kTail + kHashMember.size(), 64) == event->hash;
  if (!spliced || !hasher.link(event->previous_hash, stored.substr(0, stored.size() - kTail), "}}", computed) ||
      computed != event->hash) {
    record.failure = Failure{sequence, name + ": hash mismatch (record altered)"};
    return;
  }
  indexes.add(*event);
  if (visitor) visitor->visit(lane, *event);
  record.previous_hash = event->previous_hash;
  record.hash = event->hash;
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

// Records are read in batches; each record's own check (parse, hash) runs on
// up to kMaxThreads threads, since records prove themselves independently
// and that is most of verify's time. The links between records and the
// checkpoints are then checked in sequence order on this thread.
constexpr std::size_t kBatchRecords = 4096;
// And at most this many bytes of records per batch: records of audit level
// full carry request bodies (up to limits.max_body_bytes each), and two
// batches are in memory at once.
constexpr std::size_t kBatchBytes = 32 << 20;
constexpr unsigned kMaxThreads = 4;

class BatchChecker {
 public:
  BatchChecker(IndexExpectation& indexes, RecordVisitor* visitor)
      : threads_(std::clamp(std::thread::hardware_concurrency(), 1u, kMaxThreads)),
        hashers_(threads_), counts_(threads_), visitor_(visitor) {
    for (auto& count : counts_) count.event_index_from = indexes.event_index_from, count.wanted = indexes.wanted;
    if (visitor_) visitor_->start(threads_);
  }

  // Each record of the batch checked alone, in threads_ slices on helper
  // threads, while the caller reads the next batch; wait() joins them.
  void start(std::vector<RecordCheck>& batch) {
    const std::size_t slice = (batch.size() + threads_ - 1) / threads_;
    for (unsigned t = 0; t < threads_ && t * slice < batch.size(); ++t) {
      running_.emplace_back([this, &batch, slice, t] {
        const std::size_t from = t * slice;
        const std::size_t to = std::min(batch.size(), from + slice);
        for (std::size_t i = from; i < to; ++i) check_record_alone(batch[i], hashers_[t], counts_[t], visitor_, t);
      });
    }
  }

  void wait() {
    for (auto& thread : running_) thread.join();
    running_.clear();
  }

  ~BatchChecker() { wait(); }

  // The index entries the records checked so far call for.
  void add_counts_to(IndexExpectation& indexes) const {
    for (const auto& count : counts_) indexes.merge(count);
  }

 private:
  unsigned threads_;
  std::vector<ChainHasher> hashers_;
  std::vector<IndexExpectation> counts_;
  RecordVisitor* visitor_;
  std::vector<std::thread> running_;
};

// The records in sequence order, each checked and linked to the one before;
// the checkpoints filed at each sequence are checked right after its record.
// The first failure by sequence ends the walk (a record's own failure is
// found before the checkpoints at its sequence: a chain break explains them).
std::optional<Failure> walk_records(const RocksHandle& store, const ChainMeta& meta, CheckpointWalk& checkpoints,
                                    IndexExpectation& indexes, VerifyReport& report,
                                    const std::function<void(const VerifyProgress&)>& progress,
                                    RecordVisitor* visitor) {
  if (auto failure = checkpoints.check_before_anchor()) return failure;
  std::uint64_t expected = meta.anchor_sequence;  // the next sequence to read
  std::string previous_hash = meta.anchor_previous_hash;
  const std::uint64_t total =
      meta.last_sequence >= meta.anchor_sequence ? meta.last_sequence - meta.anchor_sequence + 1 : 0;
  const std::unique_ptr<rocksdb::Iterator> it(store.db()->NewIterator(scan_options(), store.family(Family::records)));
  BatchChecker checker(indexes, visitor);
  // Reads up to a batch; a key out of place ends the reading, and is
  // reported after the records before it (which come first by sequence).
  const auto read_batch = [&](std::vector<RecordCheck>& batch, std::optional<Failure>& key_failure) {
    batch.resize(kBatchRecords);
    std::size_t filled = 0;
    std::size_t bytes = 0;
    for (; filled < batch.size() && bytes < kBatchBytes && it->Valid(); it->Next()) {
      const auto sequence = keys::sequence_from_record_key(it->key().ToStringView());
      if (!sequence) {
        key_failure = Failure{expected, "a record key after " + record_name(expected - 1) + " is not a sequence"};
      } else if (*sequence < expected) {
        key_failure =
            Failure{*sequence, record_name(*sequence) + " lies before the chain's start at " + record_name(expected)};
      } else if (*sequence > expected) {
        key_failure = Failure{expected, "missing " + record_name(expected)};
      }
      if (key_failure) break;
      RecordCheck& record = batch[filled++];
      record.sequence = *sequence;
      // A slot keeps its string's room from batch to batch, unless a large
      // record left it large: then it is given back.
      constexpr std::size_t kKeepCapacity = 16 << 10;
      if (record.stored.capacity() > kKeepCapacity && it->value().size() <= kKeepCapacity) record.stored = std::string();
      record.stored.assign(it->value().data(), it->value().size());
      bytes += record.stored.size();
      record.failure.reset();
      ++expected;
    }
    if (!key_failure && !it->Valid() && !it->status().ok()) {
      key_failure = Failure{expected, "cannot read the records: " + it->status().ToString()};
    }
    batch.resize(filled);
  };
  // Double-buffered: while the helpers check one batch, this thread reads
  // the next from RocksDB; then it links the checked batch in order.
  std::vector<RecordCheck> current;
  std::vector<RecordCheck> next;
  std::optional<Failure> current_key_failure;
  std::optional<Failure> next_key_failure;
  it->SeekToFirst();
  read_batch(current, current_key_failure);
  while (true) {
    const bool more = !current_key_failure && it->Valid();  // the reading stopped at a batch's bound
    checker.start(current);
    if (more) read_batch(next, next_key_failure);
    checker.wait();
    for (const RecordCheck& record : current) {
      if (record.failure) return record.failure;
      if (record.previous_hash != previous_hash) {
        return Failure{record.sequence, record_name(record.sequence) + ": previous hash does not match " +
                                            record_name(record.sequence - 1) + " (records removed or reordered)"};
      }
      previous_hash = record.hash;
      if (auto failure = checkpoints.check_through(record.sequence, previous_hash)) return failure;
      if (++report.records_checked % kVerifyProgressEvery == 0 && progress) {
        progress({report.records_checked, total});
      }
    }
    if (current_key_failure) return current_key_failure;
    if (!more) break;
    std::swap(current, next);
    current_key_failure = std::move(next_key_failure);
    next_key_failure.reset();
  }
  checker.add_counts_to(indexes);
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
  // Every block of every table file against its checksum first: damage in
  // any family (an index, the checkpoints) is reported, never read around.
  if (const auto status = store.db()->VerifyChecksum(scan_options()); !status.ok()) {
    return fail({std::nullopt, "the store's files are damaged: " + status.ToString()});
  }
  ChainMeta meta;
  if (!read_chain_meta(store, meta, error)) return fail({std::nullopt, error});
  IndexExpectation indexes;
  if (!read_event_index_from(store, indexes.event_index_from, error)) return fail({std::nullopt, error});

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
  if (walked) return fail(*walked);
  // Only on an intact chain: a broken one already explains odd indexes.
  if (!check_indexes) return report;
  if (auto failure = compare_indexes(store, counted, indexes)) return fail(*failure);
  return report;
}

}  // namespace dynaudit::storage
