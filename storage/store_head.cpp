// Reading a store's head for the witness comparison (see store_head.hpp).
#include "storage/store_head.hpp"

#include "storage/audit_event.hpp"
#include "storage/key_encoding.hpp"

namespace dynaudit::storage {

bool read_store_head(const RocksHandle& store, StoreHead& out, std::string& error) {
  ChainMeta meta;
  if (!read_chain_meta(store, meta, error)) return false;
  out = StoreHead{};
  out.anchor_sequence = meta.anchor_sequence;
  out.anchor_previous_hash = meta.anchor_previous_hash;
  out.last_sequence = meta.last_sequence;
  out.last_hash = meta.last_hash;
  return read_store_id(store, out.store_id, error);
}

RecordHashLookup record_hash_lookup(const RocksHandle& store) {
  return [&store](std::uint64_t sequence, std::optional<std::string>& hash, std::string& error) {
    std::string value;
    const auto status =
        store.db()->Get(checked_read_options(), store.family(Family::records), keys::record_key(sequence), &value);
    if (status.IsNotFound()) {
      hash.reset();
      return true;
    }
    if (!status.ok()) {
      error = status.ToString();
      return false;
    }
    const auto event = from_json(value);
    hash = event ? event->hash : std::string("(not a valid record)");
    return true;
  };
}

}  // namespace dynaudit::storage
