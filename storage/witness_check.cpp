// Store against witness (see witness_check.hpp).
#include "storage/witness_check.hpp"

#include <algorithm>

#include "storage/checkpoint_signing.hpp"

namespace dynaudit::storage {
namespace {

std::string record_name(std::uint64_t sequence) { return "record " + std::to_string(sequence); }

std::string short_hash(const std::string& hash) { return hash.size() > 16 ? hash.substr(0, 16) + "…" : hash; }

std::string id_or_none(const std::string& id) { return id.empty() ? "(none: written before store ids)" : id; }

}  // namespace

WitnessMatch compare_with_witness(const StoreHead& store, const RecordHashLookup& lookup, const WitnessEntry& entry,
                                  std::string& problem) {
  const std::string what = describe(entry);
  const std::uint64_t sequence = entry.sequence();
  if (!store.exists) {
    problem = "the store does not exist, but the witness holds " + what;
    return WitnessMatch::mismatch;
  }
  if (entry.store_id() != store.store_id) {
    problem = what + " is of store " + id_or_none(entry.store_id()) + ", but this store is " +
              id_or_none(store.store_id) + " (a different store, or one deleted and created again)";
    return WitnessMatch::mismatch;
  }
  if (sequence == 0) {
    if (!entry.hash().empty()) {
      problem = what + " names no record but a hash";
      return WitnessMatch::mismatch;
    }
    return WitnessMatch::matches;
  }
  if (sequence > store.last_sequence) {
    problem = "the store lacks " + what + ": it ends at sequence " + std::to_string(store.last_sequence) +
              " (records " + std::to_string(store.last_sequence + 1) + ".." + std::to_string(sequence) +
              " were removed, or the store was rolled back to an older copy)";
    return WitnessMatch::mismatch;
  }
  if (sequence + 1 < store.anchor_sequence) return WitnessMatch::pruned;
  std::optional<std::string> stored;
  if (sequence + 1 == store.anchor_sequence) {
    stored = store.anchor_previous_hash;  // the last pruned record's hash, kept as the anchor
  } else {
    std::string error;
    if (!lookup(sequence, stored, error)) {
      problem = "cannot read " + record_name(sequence) + ": " + error;
      return WitnessMatch::error;
    }
  }
  if (!stored) {
    problem = record_name(sequence) + " of " + what + " is missing from the store";
    return WitnessMatch::mismatch;
  }
  if (*stored != entry.hash()) {
    problem = record_name(sequence) + " differs from " + what + ": the witness has hash " +
              short_hash(entry.hash()) + ", the store " + short_hash(*stored) +
              " (the store was rewritten, or rolled back and written again)";
    return WitnessMatch::mismatch;
  }
  return WitnessMatch::matches;
}

WitnessComparison::WitnessComparison(StoreHead store, RecordHashLookup lookup, EVP_PKEY* public_key)
    : store_(std::move(store)), lookup_(std::move(lookup)), public_key_(public_key) {}

void WitnessComparison::add(const WitnessEntry& entry) {
  ++report_.entries;
  if (!report_.error.empty()) return;
  if (entry.kind == WitnessEntry::Kind::acceptance) {
    // What came before was accepted as it stood; compare from here on.
    report_.acceptances.push_back(entry.acceptance);
    report_.mismatch.reset();
    report_.newest.reset();
  }
  if (entry.kind == WitnessEntry::Kind::checkpoint) {
    const auto& signed_checkpoint = entry.checkpoint;
    if (signed_checkpoint.checkpoint.signature.empty()) {
      ++report_.unsigned_checkpoints;
    } else if (public_key_ && !report_.mismatch &&
               !verify_ed25519(public_key_, checkpoint_signed_bytes(signed_checkpoint.checkpoint),
                               signed_checkpoint.checkpoint.signature)) {
      report_.mismatch = describe(entry) + " has a bad signature (key id " + signed_checkpoint.key_id +
                         "): the witness was edited, or the checkpoints are signed with another key";
    }
  }
  std::string problem;
  switch (compare_with_witness(store_, lookup_, entry, problem)) {
    case WitnessMatch::matches:
      ++report_.checked;
      break;
    case WitnessMatch::pruned:
      ++report_.pruned;
      break;
    case WitnessMatch::mismatch:
      ++report_.checked;
      // The first mismatch names where the store begins to differ; for a
      // store that is gone, the newest entry says how much was lost.
      if (!report_.mismatch || !store_.exists) report_.mismatch = problem;
      break;
    case WitnessMatch::error:
      report_.error = problem;
      return;
  }
  if (entry.store_id() == store_.store_id) report_.newest = entry;
}

WitnessReport WitnessComparison::finish() {
  WitnessReport report = std::move(report_);
  report_ = {};
  if (!store_.exists) return report;
  const std::uint64_t records =
      store_.last_sequence + 1 >= store_.anchor_sequence ? store_.last_sequence + 1 - store_.anchor_sequence : 0;
  if (!report.newest) {
    report.not_yet_provable = records;
  } else if (report.newest->sequence() < store_.last_sequence) {
    report.not_yet_provable = std::min(records, store_.last_sequence - report.newest->sequence());
  }
  return report;
}

}  // namespace dynaudit::storage
