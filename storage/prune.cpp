// Pruning records older than a time, with their index entries, and moving
// the chain anchor (see prune.hpp).
#include "storage/prune.hpp"

#include "storage/hash_chain.hpp"
#include "storage/index_entries.hpp"
#include "storage/key_encoding.hpp"
#include "storage/record_json.hpp"

namespace dynaudit::storage {
namespace {

// Deletions are committed in slices, each with the anchor it leads to, so
// that an interrupted prune leaves a consistent, verifiable store.
constexpr std::size_t kRecordsPerBatch = 10'000;

bool commit(RocksHandle& store, rocksdb::WriteBatch& batch, std::uint64_t anchor_sequence,
            const std::string& anchor_previous_hash, std::string& error) {
  std::string sequence;
  keys::append_be64(sequence, anchor_sequence);
  auto* meta = store.family(Family::meta);
  batch.Put(meta, rocksdb::Slice(keys::kMetaAnchorSequence.data(), keys::kMetaAnchorSequence.size()), sequence)
      .PermitUncheckedError();
  batch.Put(meta, rocksdb::Slice(keys::kMetaAnchorPreviousHash.data(), keys::kMetaAnchorPreviousHash.size()),
            anchor_previous_hash)
      .PermitUncheckedError();
  rocksdb::WriteOptions options;
  options.sync = true;
  const auto status = store.db()->Write(options, &batch);
  batch.Clear();
  if (!status.ok()) error = "prune cannot write: " + status.ToString();
  return status.ok();
}

// Why `stored` may not be pruned as record `sequence`, or "" if it may.
std::string chain_problem(std::uint64_t sequence, std::string_view stored, const std::string& previous_hash,
                          std::optional<AuditEvent>& event) {
  const std::string name = "record " + std::to_string(sequence);
  event = from_json(stored);
  if (!event) return name + " is not valid";
  if (event->sequence != sequence) return name + " is out of order";
  std::string canonical = to_json(*event, false);
  const auto hash = chain_hash(event->previous_hash, canonical);
  if (!hash || *hash != event->hash || event->previous_hash != previous_hash ||
      record_with_hash(std::move(canonical), event->hash) != stored) {
    return name + " does not fit the chain";
  }
  return {};
}

}  // namespace

PruneReport prune_records(RocksHandle& store, std::chrono::system_clock::time_point before, std::string& error) {
  PruneReport report;
  ChainMeta meta;
  if (!read_chain_meta(store, meta, error)) return report;
  std::uint64_t expected = meta.anchor_sequence;
  std::string previous_hash = meta.anchor_previous_hash;
  report.first_kept_sequence = expected;

  rocksdb::WriteBatch batch;
  std::size_t in_batch = 0;
  const std::unique_ptr<rocksdb::Iterator> it(
      store.db()->NewIterator(rocksdb::ReadOptions(), store.family(Family::records)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const auto sequence = keys::sequence_from_record_key(it->key().ToStringView());
    std::optional<AuditEvent> event;
    std::string problem = !sequence || *sequence != expected
                              ? "record " + std::to_string(expected) + " is missing"
                              : chain_problem(*sequence, it->value().ToStringView(), previous_hash, event);
    if (!problem.empty()) {
      error = problem + "; pruning stopped there, run `dynaudit audit verify`";
      break;
    }
    if (event->event_time >= before) break;
    batch.Delete(store.family(Family::records), it->key()).PermitUncheckedError();
    for (const auto& entry : index_entries(*event)) {
      // A store written before idx_event has none to delete.
      if (auto* family = store.index_family(entry.family)) batch.Delete(family, entry.key).PermitUncheckedError();
    }
    previous_hash = event->hash;
    ++expected;
    ++report.removed;
    if (++in_batch == kRecordsPerBatch) {
      if (!commit(store, batch, expected, previous_hash, error)) {
        report.removed -= in_batch;
        return report;
      }
      report.first_kept_sequence = expected;
      in_batch = 0;
    }
  }
  if (error.empty() && !it->status().ok()) error = "prune cannot read: " + it->status().ToString();
  if (in_batch != 0) {
    std::string commit_error;
    if (!commit(store, batch, expected, previous_hash, commit_error)) {
      if (error.empty()) error = commit_error;
      report.removed -= in_batch;
      return report;
    }
    report.first_kept_sequence = expected;
  }
  if (report.removed != 0) {
    // Deletions are tombstones until compacted; reclaim the space now.
    for (const auto family : {Family::records, Family::time, Family::principal, Family::table,
                              Family::operation, Family::outcome, Family::event}) {
      if (!store.family(family)) continue;
      store.db()->CompactRange(rocksdb::CompactRangeOptions(), store.family(family), nullptr, nullptr)
          .PermitUncheckedError();
    }
  }
  return report;
}

}  // namespace dynaudit::storage
