// Query planning and execution over the audit store's indexes
// (see query_plan.hpp).
#include "storage/query_plan.hpp"

#include <algorithm>
#include <vector>

#include "storage/key_encoding.hpp"
#include "storage/time_format.hpp"

namespace dynaudit::storage {
namespace {

constexpr std::size_t kFetchChunk = 256;

std::string be64(std::uint64_t value) {
  std::string bytes;
  keys::append_be64(bytes, value);
  return bytes;
}

// The byte range of one value's entries within [since, until).
ScanPlan value_range(Family family, std::string_view value, const AuditQuery& q) {
  ScanPlan plan;
  plan.family = family;
  const std::string prefix = keys::value_index_prefix(value);
  plan.prefix = prefix;
  plan.lower = prefix;
  if (q.since) plan.lower += be64(keys::sortable_time(ceil_unix_ms(*q.since)));
  if (q.until) {
    plan.upper = prefix + be64(keys::sortable_time(ceil_unix_ms(*q.until)));
  } else {
    plan.upper = std::string(value) + '\x01';  // just past every "<value>\0..." key
  }
  return plan;
}

ScanPlan time_range(const AuditQuery& q) {
  ScanPlan plan;
  plan.family = Family::time;
  if (q.since) plan.lower = be64(keys::sortable_time(ceil_unix_ms(*q.since)));
  if (q.until) plan.upper = be64(keys::sortable_time(ceil_unix_ms(*q.until)));
  return plan;
}

std::string family_name(Family family) {
  switch (family) {
    case Family::records: return "the records";
    case Family::time: return "the time index";
    case Family::principal: return "the principal index";
    case Family::table: return "the table index";
    case Family::operation: return "the operation index";
    case Family::outcome: return "the outcome index";
    case Family::checkpoints: return "the checkpoints";
    case Family::meta: return "the chain state";
    case Family::event: return "the eventID index";
    case Family::baselines: return "the analyser's baselines";
    case Family::inventory: return "the sensitive-data inventory";
  }
  return "the store";
}

bool iterator_failed(const rocksdb::Iterator& it, Family family, std::string& error) {
  if (it.status().ok()) return false;
  error = "cannot read " + family_name(family) + ": " + it.status().ToString();
  return true;
}

std::string damaged_record(std::uint64_t sequence, const std::string& why) {
  return "record " + std::to_string(sequence) + " " + why + "; run `dynaudit audit verify`";
}

std::unique_ptr<rocksdb::Iterator> range_iterator(const RocksHandle& store, const ScanPlan& plan,
                                                  rocksdb::ReadOptions& options, rocksdb::Slice& upper) {
  if (!plan.upper.empty()) {
    upper = rocksdb::Slice(plan.upper);
    options.iterate_upper_bound = &upper;
  }
  std::unique_ptr<rocksdb::Iterator> it(store.db()->NewIterator(options, store.family(plan.family)));
  it->Seek(plan.lower);
  return it;
}

bool count_entries(const RocksHandle& store, const ScanPlan& plan, std::uint64_t limit, std::uint64_t& count,
                   std::string& error) {
  rocksdb::ReadOptions options = checked_read_options();
  rocksdb::Slice upper;
  const auto it = range_iterator(store, plan, options, upper);
  count = 0;
  for (; it->Valid() && count < limit; it->Next()) ++count;
  return !iterator_failed(*it, plan.family, error);
}

bool scan_records(const RocksHandle& store, const ScanPlan& plan, const AuditQuery& q,
                  const std::function<bool(const AuditEvent&)>& each, std::string& error) {
  rocksdb::ReadOptions options = checked_read_options();
  rocksdb::Slice upper;
  const auto it = range_iterator(store, plan, options, upper);
  std::size_t delivered = 0;
  std::uint64_t expected = plan.first_sequence;
  for (; it->Valid(); it->Next()) {
    const auto sequence = keys::sequence_from_record_key(it->key().ToStringView());
    if (!sequence || *sequence != expected) {
      error = damaged_record(expected, "is missing");
      return false;
    }
    ++expected;
    const auto event = from_json(it->value().ToStringView());
    if (!event) {
      error = damaged_record(*sequence, "cannot be read (not a valid record)");
      return false;
    }
    if (!matches(*event, q)) continue;
    if (!each(*event) || (q.limit != 0 && ++delivered >= q.limit)) return true;
  }
  if (iterator_failed(*it, Family::records, error)) return false;
  // Every record up to the head was read: none may be missing at the end.
  if (expected <= plan.last_sequence) {
    error = damaged_record(expected, "is missing (the store's head is record " + std::to_string(plan.last_sequence) + ")");
    return false;
  }
  return true;
}

// Index order is (value, time, sequence), and times need not follow
// sequences (calls finish out of order), so candidates are gathered and
// sorted before the records are read.
bool scan_index(const RocksHandle& store, const ScanPlan& plan, const AuditQuery& q,
                const std::function<bool(const AuditEvent&)>& each, std::string& error) {
  std::vector<std::uint64_t> sequences;
  {
    rocksdb::ReadOptions options = checked_read_options();
    rocksdb::Slice upper;
    const auto it = range_iterator(store, plan, options, upper);
    for (; it->Valid(); it->Next()) {
      const auto tail = keys::index_key_tail(it->key().ToStringView());
      if (!tail) {
        error = family_name(plan.family) + " holds a key that is not an index entry; run `dynaudit audit verify`";
        return false;
      }
      if (q.after_sequence && tail->sequence <= *q.after_sequence) continue;
      sequences.push_back(tail->sequence);
    }
    if (iterator_failed(*it, plan.family, error)) return false;
  }
  std::sort(sequences.begin(), sequences.end());
  sequences.erase(std::unique(sequences.begin(), sequences.end()), sequences.end());

  std::size_t delivered = 0;
  std::vector<std::string> key_bytes(kFetchChunk);
  std::vector<rocksdb::Slice> key_slices(kFetchChunk);
  std::vector<rocksdb::PinnableSlice> values(kFetchChunk);
  std::vector<rocksdb::Status> statuses(kFetchChunk);
  for (std::size_t start = 0; start < sequences.size(); start += kFetchChunk) {
    const std::size_t count = std::min(kFetchChunk, sequences.size() - start);
    for (std::size_t i = 0; i < count; ++i) {
      key_bytes[i] = keys::record_key(sequences[start + i]);
      key_slices[i] = key_bytes[i];
      values[i].Reset();
    }
    store.db()->MultiGet(checked_read_options(), store.family(Family::records), count, key_slices.data(),
                         values.data(), statuses.data(), true);
    for (std::size_t i = 0; i < count; ++i) {
      const std::uint64_t sequence = sequences[start + i];
      // Records and their index entries are written and pruned in one
      // batch, and a reader sees one snapshot: an entry without its record
      // is damage, not a race.
      if (statuses[i].IsNotFound()) {
        error = damaged_record(sequence, "is missing, but " + family_name(plan.family) + " names it");
        return false;
      }
      if (!statuses[i].ok()) {
        error = "cannot read record " + std::to_string(sequence) + ": " + statuses[i].ToString();
        return false;
      }
      const auto event = from_json(values[i].ToStringView());
      if (!event) {
        error = damaged_record(sequence, "cannot be read (not a valid record)");
        return false;
      }
      if (!matches(*event, q)) continue;
      if (!each(*event) || (q.limit != 0 && ++delivered >= q.limit)) return true;
    }
  }
  return true;
}

// Newest first: the index range read backwards in chunks, each chunk's
// records fetched together, until the limit is met.
bool scan_index_newest(const RocksHandle& store, const ScanPlan& plan, const AuditQuery& q,
                       const std::function<bool(const AuditEvent&)>& each, std::string& error) {
  rocksdb::ReadOptions options = checked_read_options();
  rocksdb::Slice upper, lower(plan.lower);
  if (!plan.upper.empty()) {
    upper = rocksdb::Slice(plan.upper);
    options.iterate_upper_bound = &upper;
  }
  if (!plan.lower.empty()) options.iterate_lower_bound = &lower;
  const std::unique_ptr<rocksdb::Iterator> it(store.db()->NewIterator(options, store.family(plan.family)));
  it->SeekToLast();
  std::size_t delivered = 0, examined = 0;
  std::pair<std::int64_t, std::uint64_t> last_examined{0, 0};
  std::vector<std::uint64_t> sequences;
  std::vector<std::string> key_bytes(kFetchChunk);
  std::vector<rocksdb::Slice> key_slices(kFetchChunk);
  std::vector<rocksdb::PinnableSlice> values(kFetchChunk);
  std::vector<rocksdb::Status> statuses(kFetchChunk);
  while (it->Valid()) {
    if (q.max_examined && examined >= q.max_examined) {
      if (q.cut_short) q.cut_short(last_examined.first, last_examined.second);
      return true;
    }
    sequences.clear();
    for (; it->Valid() && sequences.size() < kFetchChunk; it->Prev()) {
      const auto tail = keys::index_key_tail(it->key().ToStringView());
      if (!tail) {
        error = family_name(plan.family) + " holds a key that is not an index entry; run `dynaudit audit verify`";
        return false;
      }
      ++examined;
      last_examined = {tail->time_ms, tail->sequence};
      if (q.after_sequence && tail->sequence <= *q.after_sequence) continue;
      sequences.push_back(tail->sequence);
    }
    if (iterator_failed(*it, plan.family, error)) return false;
    for (std::size_t i = 0; i < sequences.size(); ++i) {
      key_bytes[i] = keys::record_key(sequences[i]);
      key_slices[i] = key_bytes[i];
      values[i].Reset();
    }
    store.db()->MultiGet(checked_read_options(), store.family(Family::records), sequences.size(), key_slices.data(),
                         values.data(), statuses.data(), false);
    for (std::size_t i = 0; i < sequences.size(); ++i) {
      if (statuses[i].IsNotFound()) {
        error = damaged_record(sequences[i], "is missing, but " + family_name(plan.family) + " names it");
        return false;
      }
      if (!statuses[i].ok()) {
        error = "cannot read record " + std::to_string(sequences[i]) + ": " + statuses[i].ToString();
        return false;
      }
      const auto event = from_json(values[i].ToStringView());
      if (!event) {
        error = damaged_record(sequences[i], "cannot be read (not a valid record)");
        return false;
      }
      if (!matches(*event, q)) continue;
      if (!each(*event) || (q.limit != 0 && ++delivered >= q.limit)) return true;
    }
  }
  return !iterator_failed(*it, plan.family, error);
}

}  // namespace

bool matches(const AuditEvent& e, const AuditQuery& q) {
  if (q.after_sequence && e.sequence <= *q.after_sequence) return false;
  if (q.alerted && e.alerted_rules.empty()) return false;
  if (q.since && e.event_time < *q.since) return false;
  if (q.until && e.event_time >= *q.until) return false;
  if (q.principal && e.user_identity.principal_id != *q.principal) return false;
  if (q.table && std::find(e.tables.begin(), e.tables.end(), *q.table) == e.tables.end()) return false;
  if (q.operation && e.event_name != *q.operation) return false;
  if (q.decision && e.decision != *q.decision) return false;
  if (q.error_code) {
    if (*q.error_code == "*" ? e.error_code.empty() : e.error_code != *q.error_code) return false;
  }
  if (q.rule && e.determining_rule != *q.rule &&
      std::find(e.matched_rules.begin(), e.matched_rules.end(), *q.rule) == e.matched_rules.end() &&
      std::find(e.shadow_rules.begin(), e.shadow_rules.end(), *q.rule) == e.shadow_rules.end()) {
    return false;
  }
  if (q.tag) {
    const bool prefix = !q.tag->empty() && q.tag->back() == '*';
    const std::string_view wanted = prefix ? std::string_view(*q.tag).substr(0, q.tag->size() - 1) : *q.tag;
    const bool found = std::any_of(e.tags.begin(), e.tags.end(), [&](const std::string& t) {
      return prefix ? std::string_view(t).substr(0, wanted.size()) == wanted : t == wanted;
    });
    if (!found) return false;
  }
  return true;
}

bool plan_query(const RocksHandle& store, const AuditQuery& q, ScanPlan& plan, std::string& error) {
  if (q.since && q.until && ceil_unix_ms(*q.since) >= ceil_unix_ms(*q.until)) {
    plan = ScanPlan{};
    plan.empty = true;
    return true;
  }
  std::vector<ScanPlan> candidates;
  if (q.principal) candidates.push_back(value_range(Family::principal, *q.principal, q));
  if (q.table) candidates.push_back(value_range(Family::table, *q.table, q));
  if (q.operation) candidates.push_back(value_range(Family::operation, *q.operation, q));
  if (q.error_code) candidates.push_back(value_range(Family::outcome, keys::error_value(*q.error_code), q));
  if (q.decision) candidates.push_back(value_range(Family::outcome, keys::decision_value(*q.decision), q));
  if (q.since || q.until) candidates.push_back(time_range(q));

  // The records themselves, from after_sequence on: how many there are
  // follows from the chain head without counting.
  ScanPlan records;
  records.family = Family::records;
  ChainMeta meta;
  if (!read_chain_meta(store, meta, error)) {
    error = "cannot read the chain state: " + error;
    return false;
  }
  const std::uint64_t start = std::max<std::uint64_t>(q.after_sequence.value_or(0) + 1, meta.anchor_sequence);
  records.lower = keys::record_key(start);
  records.first_sequence = start;
  records.last_sequence = meta.last_sequence;
  records.estimate = meta.last_sequence >= start ? meta.last_sequence - start + 1 : 0;

  if (q.newest_first) {
    // Index order is (time, sequence): the records scan cannot give it.
    if (candidates.empty()) candidates.push_back(time_range(q));
    records.estimate = UINT64_MAX;
  }
  ScanPlan best = records;
  for (auto& candidate : candidates) {
    // Counting past the best so far is pointless, and past the cap too slow.
    const std::uint64_t limit = std::min(kPlanProbeCap, best.estimate == UINT64_MAX ? best.estimate : best.estimate + 1);
    if (!count_entries(store, candidate, limit, candidate.estimate, error)) return false;
    // An index beats the record scan on a tie (it skips records without
    // reading them); between indexes the earlier, more specific one wins.
    const bool better = candidate.estimate < best.estimate ||
                        (best.family == Family::records && candidate.estimate == best.estimate);
    if (better) best = candidate;
    if (best.estimate == 0) break;
  }
  plan = best;
  if (q.newest_first && q.before) {
    // Only entries before the cursor's key: (prefix, time, sequence).
    std::string cursor = plan.prefix;
    keys::append_be64(cursor, keys::sortable_time(q.before->first));
    keys::append_be64(cursor, q.before->second);
    if (plan.upper.empty() || cursor < plan.upper) plan.upper = std::move(cursor);
    if (plan.upper <= plan.lower) plan.empty = true;
  }
  return true;
}

bool run_query(const RocksHandle& store, const AuditQuery& q, const std::function<bool(const AuditEvent&)>& each,
               std::string& error) {
  ScanPlan plan;
  if (!plan_query(store, q, plan, error)) return false;
  if (plan.empty) return true;
  if (q.newest_first) return scan_index_newest(store, plan, q, each, error);
  return plan.family == Family::records ? scan_records(store, plan, q, each, error)
                                        : scan_index(store, plan, q, each, error);
}

bool scan_checkpoints(const RocksHandle& rocks, std::uint64_t sequence, std::uint64_t after_number,
                      const std::function<bool(const Checkpoint&)>& each, std::string& error) {
  const std::unique_ptr<rocksdb::Iterator> it(
      rocks.db()->NewIterator(checked_read_options(), rocks.family(Family::checkpoints)));
  for (it->Seek(keys::checkpoint_key(sequence, 0)); it->Valid(); it->Next()) {
    const auto checkpoint = parse_checkpoint(it->value().ToStringView());
    if (!checkpoint) {
      error = "a checkpoint does not parse";
      return false;
    }
    if (checkpoint->number <= after_number) continue;
    if (!each(*checkpoint)) return true;
  }
  if (!it->status().ok()) {
    error = "cannot read the checkpoints: " + it->status().ToString();
    return false;
  }
  return true;
}

}  // namespace dynaudit::storage
