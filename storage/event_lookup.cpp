// Looking a record up by eventID (see event_lookup.hpp).
#include "storage/event_lookup.hpp"

#include <cstdint>
#include <memory>

#include "storage/json_text.hpp"
#include "storage/key_encoding.hpp"

namespace dynaudit::storage {
namespace {

// idx_event: the highest sequence filed under this eventID, if any.
std::optional<std::uint64_t> indexed_sequence(const RocksHandle& store, std::string_view event_id,
                                              std::string& error) {
  const std::string prefix = keys::value_index_prefix(event_id);
  const std::string upper_key = std::string(event_id) + '\x01';  // just past "<id>\0..."
  const rocksdb::Slice upper(upper_key);
  rocksdb::ReadOptions options = checked_read_options();
  options.iterate_upper_bound = &upper;
  const std::unique_ptr<rocksdb::Iterator> it(store.db()->NewIterator(options, store.family(Family::event)));
  std::optional<std::uint64_t> newest;
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    const auto tail = keys::index_key_tail(it->key().ToStringView());
    if (tail && (!newest || tail->sequence > *newest)) newest = tail->sequence;
  }
  if (!it->status().ok()) error = "cannot read the eventID index: " + it->status().ToString();
  return newest;
}

std::optional<AuditEvent> record_at(const RocksHandle& store, std::uint64_t sequence, std::string& error) {
  std::string value;
  const auto status =
      store.db()->Get(checked_read_options(), store.family(Family::records), keys::record_key(sequence), &value);
  if (status.IsNotFound()) return std::nullopt;  // pruned meanwhile
  if (!status.ok()) {
    error = "cannot read record " + std::to_string(sequence) + ": " + status.ToString();
    return std::nullopt;
  }
  auto event = from_json(value);
  if (!event) error = "record " + std::to_string(sequence) + " cannot be read (not a valid record); run `dynaudit audit verify`";
  return event;
}

// Records before `first` (all of them for UINT64_MAX), read one by one; only
// those whose text holds the eventID member are parsed.
std::optional<AuditEvent> scan_for(const RocksHandle& store, std::string_view event_id, std::uint64_t first,
                                   std::string& error) {
  std::string needle = ",\"eventID\":";
  json::append_string(needle, event_id);
  needle += ',';
  rocksdb::ReadOptions options = checked_read_options();
  std::string upper_key;
  rocksdb::Slice upper;
  if (first != UINT64_MAX) {
    upper_key = keys::record_key(first);
    upper = rocksdb::Slice(upper_key);
    options.iterate_upper_bound = &upper;
  }
  const std::unique_ptr<rocksdb::Iterator> it(store.db()->NewIterator(options, store.family(Family::records)));
  std::optional<AuditEvent> newest;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::string_view text = it->value().ToStringView();
    if (text.find(needle) == std::string_view::npos) continue;
    auto event = from_json(text);
    if (event && event->event_id == event_id) newest = std::move(event);
  }
  if (!it->status().ok()) {
    error = "cannot read the audit records: " + it->status().ToString();
    return std::nullopt;
  }
  return newest;
}

}  // namespace

std::optional<AuditEvent> find_event_by_id(const RocksHandle& store, std::string_view event_id, std::string& error) {
  error.clear();
  if (event_id.empty()) return std::nullopt;
  std::uint64_t first = UINT64_MAX;
  if (!read_event_index_from(store, first, error)) return std::nullopt;
  if (store.family(Family::event)) {
    const auto sequence = indexed_sequence(store, event_id, error);
    if (!error.empty()) return std::nullopt;
    if (sequence) {
      auto event = record_at(store, *sequence, error);
      if (event && event->event_id == event_id) return event;
      if (!error.empty()) return std::nullopt;
    }
  }
  // Every record from `first` on is in idx_event; only older ones need reading.
  if (first <= 1) return std::nullopt;
  return scan_for(store, event_id, first, error);
}

}  // namespace dynaudit::storage
