// Building the WriteBatch contents of a group commit (see store_batches.hpp).
#include "storage/store_batches.hpp"

#include "storage/checkpoint_signing.hpp"
#include "storage/hash_chain.hpp"
#include "storage/index_entries.hpp"
#include "storage/key_encoding.hpp"
#include "storage/record_json.hpp"

namespace dynaudit::storage {
namespace {

std::string be64(std::uint64_t value) {
  std::string bytes;
  keys::append_be64(bytes, value);
  return bytes;
}

rocksdb::Slice slice(std::string_view text) { return {text.data(), text.size()}; }

}  // namespace

bool add_record(rocksdb::WriteBatch& batch, const RocksHandle& store, ChainHead& head, AuditEvent& event) {
  event.sequence = head.last_sequence + 1;
  event.previous_hash = head.last_hash;
  std::string canonical = to_json(event, false);
  auto hash = chain_hash(event.previous_hash, canonical);
  if (!hash) return false;
  event.hash = std::move(*hash);
  batch.Put(store.family(Family::records), keys::record_key(event.sequence),
            record_with_hash(std::move(canonical), event.hash))
      .PermitUncheckedError();
  for (const auto& entry : index_entries(event)) {
    // A writer's open creates every family; null would mean the default one.
    if (auto* family = store.index_family(entry.family)) batch.Put(family, entry.key, rocksdb::Slice()).PermitUncheckedError();
  }
  head.last_sequence = event.sequence;
  head.last_hash = event.hash;
  return true;
}

void put_chain_head(rocksdb::WriteBatch& batch, const RocksHandle& store, const ChainHead& head) {
  auto* meta = store.family(Family::meta);
  batch.Put(meta, slice(keys::kMetaLastSequence), be64(head.last_sequence)).PermitUncheckedError();
  batch.Put(meta, slice(keys::kMetaLastHash), head.last_hash).PermitUncheckedError();
}

bool add_checkpoint(rocksdb::WriteBatch& batch, const RocksHandle& store, Checkpoint& checkpoint,
                    EVP_PKEY* private_key) {
  if (private_key) {
    auto signature = sign_ed25519(private_key, checkpoint_signed_bytes(checkpoint));
    if (!signature) return false;
    checkpoint.signature = std::move(*signature);
  }
  batch.Put(store.family(Family::checkpoints),
            keys::checkpoint_key(checkpoint.last_sequence, checkpoint.number), checkpoint_value(checkpoint))
      .PermitUncheckedError();
  batch.Put(store.family(Family::meta), slice(keys::kMetaCheckpointCount), be64(checkpoint.number))
      .PermitUncheckedError();
  return true;
}

}  // namespace dynaudit::storage
