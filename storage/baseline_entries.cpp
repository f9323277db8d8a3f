// The analyser's baselines family (baseline_entries.hpp).
#include "storage/baseline_entries.hpp"

#include <memory>

#include <rocksdb/write_batch.h>

namespace dynaudit::storage {

bool write_baselines(RocksHandle& store, const BaselineEntries& entries, std::string& error) {
  auto* family = store.family(Family::baselines);
  if (!family) {
    error = "the audit store has no baselines family (open it with `dynaudit serve` once)";
    return false;
  }
  rocksdb::WriteBatch batch;
  for (const auto& [principal, state] : entries) batch.Put(family, principal, state).PermitUncheckedError();
  // Not synced: the state is rebuilt from the chain (`anomalies learn`) if a
  // crash loses the last save.
  const auto status = store.db()->Write(rocksdb::WriteOptions(), &batch);
  if (!status.ok()) {
    error = "cannot write the analyser's baselines: " + status.ToString();
    return false;
  }
  return true;
}

bool read_baselines(const RocksHandle& store, const BaselineVisitor& visit, std::string& error) {
  auto* family = store.family(Family::baselines);
  if (!family) return true;
  const std::unique_ptr<rocksdb::Iterator> it(store.db()->NewIterator(checked_read_options(), family));
  for (it->SeekToFirst(); it->Valid(); it->Next()) visit(it->key().ToStringView(), it->value().ToStringView());
  if (!it->status().ok()) {
    error = "cannot read the analyser's baselines: " + it->status().ToString();
    return false;
  }
  return true;
}

}  // namespace dynaudit::storage
