// Derived state beside the chain (side_state.hpp).
#include "storage/side_state.hpp"

#include <memory>

#include <rocksdb/write_batch.h>

namespace dynaudit::storage {
namespace {

Family family_of(SideState kind) { return kind == SideState::baselines ? Family::baselines : Family::inventory; }

}  // namespace

std::string_view to_string(SideState kind) {
  return kind == SideState::baselines ? "the analyser's baselines" : "the sensitive-data inventory";
}

bool write_side_state(RocksHandle& store, SideState kind, const SideEntries& entries, std::string& error) {
  auto* family = store.family(family_of(kind));
  if (!family) {
    error = "the audit store has no family for " + std::string(to_string(kind)) + " (open it with `dynaudit serve` once)";
    return false;
  }
  rocksdb::WriteBatch batch;
  for (const auto& [key, state] : entries) batch.Put(family, key, state).PermitUncheckedError();
  // Not synced: the state is derived, and relearned if a crash loses the last save.
  const auto status = store.db()->Write(rocksdb::WriteOptions(), &batch);
  if (!status.ok()) {
    error = "cannot write " + std::string(to_string(kind)) + ": " + status.ToString();
    return false;
  }
  return true;
}

bool read_side_state(const RocksHandle& store, SideState kind, const SideVisitor& visit, std::string& error) {
  auto* family = store.family(family_of(kind));
  if (!family) return true;
  const std::unique_ptr<rocksdb::Iterator> it(store.db()->NewIterator(checked_read_options(), family));
  for (it->SeekToFirst(); it->Valid(); it->Next()) visit(it->key().ToStringView(), it->value().ToStringView());
  if (!it->status().ok()) {
    error = "cannot read " + std::string(to_string(kind)) + ": " + it->status().ToString();
    return false;
  }
  return true;
}

}  // namespace dynaudit::storage
