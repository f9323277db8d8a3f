// Opening the audit store's RocksDB and reading its chain state
// (see rocks_handle.hpp).
#include "storage/rocks_handle.hpp"

#include <algorithm>
#include <cstdint>
#include <chrono>
#include <thread>
#include <vector>

#include <sys/resource.h>

#include <openssl/rand.h>

#include "storage/key_encoding.hpp"
#include "storage/rocks_info_log.hpp"

namespace dynaudit::storage {
namespace {

constexpr std::array<const char*, kFamilyCount> kFamilyNames = {
    keys::kRecords,        keys::kTimeIndex,    keys::kPrincipalIndex, keys::kTableIndex,
    keys::kOperationIndex, keys::kOutcomeIndex, keys::kCheckpoints,    keys::kMeta,
    keys::kEventIndex,     keys::kBaselines,    keys::kInventory};

// Families a store may lack because they came later (opened as null).
bool added_later(std::size_t family) {
  return family == static_cast<std::size_t>(Family::event) || family == static_cast<std::size_t>(Family::baselines) ||
         family == static_cast<std::size_t>(Family::inventory);
}

rocksdb::Options options_for(const OpenSpec& spec) {
  rocksdb::Options options;
  options.create_if_missing = spec.mode == OpenMode::writer;
  options.create_missing_column_families = spec.mode == OpenMode::writer;
  // A secondary keeps every table file open: the writer may delete files
  // (compaction) that the secondary still reads until it catches up.
  if (spec.mode == OpenMode::secondary) options.max_open_files = -1;
  else options.max_open_files = spec.max_open_files > 0 ? spec.max_open_files : default_max_open_files();
  // The WAL is kept until every column family has flushed the records it
  // holds; the small index families rarely fill a memtable, so without a
  // limit (RocksDB's default is 4x all write buffers, ~2 GB here) the WAL
  // grows and every open -- the writer's restart, each CLI reader -- replays
  // all of it. Past this size the oldest families are flushed.
  options.max_total_wal_size = 64 << 20;
  // The secondary keeps its diagnostics in its own folder, not the writer's.
  options.info_log = make_info_log(spec.mode == OpenMode::secondary ? spec.secondary_path : spec.path);
  if (spec.env) options.env = spec.env.get();
  return options;
}

bool read_u64(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* meta, std::string_view key,
              std::uint64_t& out, std::string& error) {
  std::string value;
  const auto status = db->Get(rocksdb::ReadOptions(), meta, rocksdb::Slice(key.data(), key.size()), &value);
  if (status.IsNotFound()) return true;
  if (!status.ok() || value.size() != 8) {
    error = "meta " + std::string(key) + ": " + (status.ok() ? "not 8 bytes" : status.ToString());
    return false;
  }
  out = keys::read_be64(value);
  return true;
}

bool read_text(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* meta, std::string_view key,
               std::string& out, std::string& error) {
  const auto status = db->Get(rocksdb::ReadOptions(), meta, rocksdb::Slice(key.data(), key.size()), &out);
  if (status.IsNotFound()) {
    out.clear();
    return true;
  }
  if (!status.ok()) error = "meta " + std::string(key) + ": " + status.ToString();
  return status.ok();
}

// A writer records, once, from which sequence on idx_event holds every
// record: the next one. The family is created by the same open, so no record
// was appended since it exists; after a crash between the two, the next
// open writes the same number.
bool mark_event_index_start(RocksHandle& handle, std::string& error) {
  rocksdb::DB* db = handle.db();
  rocksdb::ColumnFamilyHandle* meta = handle.family(Family::meta);
  const rocksdb::Slice key(keys::kMetaEventIndexFrom.data(), keys::kMetaEventIndexFrom.size());
  std::string value;
  const auto status = db->Get(rocksdb::ReadOptions(), meta, key, &value);
  if (status.ok()) return true;
  if (!status.IsNotFound()) {
    error = "meta event_index_from: " + status.ToString();
    return false;
  }
  std::uint64_t last_sequence = 0;
  if (!read_u64(db, meta, keys::kMetaLastSequence, last_sequence, error)) return false;
  std::string first;
  keys::append_be64(first, last_sequence + 1);
  rocksdb::WriteOptions sync;
  sync.sync = true;
  const auto put = db->Put(sync, meta, key, first);
  if (!put.ok()) error = "cannot write meta event_index_from: " + put.ToString();
  return put.ok();
}

// A random id, made once per store by its first writer (with the sync of
// the write that follows, it is durable before any record is).
bool ensure_store_id(RocksHandle& handle, std::string& error) {
  std::string id;
  if (!read_text(handle.db(), handle.family(Family::meta), keys::kMetaStoreId, id, error)) return false;
  if (!id.empty()) return true;
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    error = "no random bytes for the store id";
    return false;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  for (const unsigned char b : bytes) {
    id += kHex[b >> 4];
    id += kHex[b & 0x0f];
  }
  rocksdb::WriteOptions sync;
  sync.sync = true;
  const auto put = handle.db()->Put(sync, handle.family(Family::meta),
                                    rocksdb::Slice(keys::kMetaStoreId.data(), keys::kMetaStoreId.size()), id);
  if (!put.ok()) error = "cannot write meta store_id: " + put.ToString();
  return put.ok();
}

}  // namespace

int default_max_open_files() {
  struct rlimit limit {};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return 1024;
  return static_cast<int>(std::clamp<rlim_t>(limit.rlim_cur / 4, 64, 1024));
}

std::unique_ptr<RocksHandle> RocksHandle::open(const OpenSpec& spec, std::string& error) {
  const rocksdb::Options options = options_for(spec);
  // A writer creates missing families; other opens take the store as it
  // is, without the families it predates.
  std::vector<std::size_t> opened;
  std::vector<std::string> existing;
  const bool listed = spec.mode != OpenMode::writer &&
                      rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(options), spec.path, &existing).ok();
  for (std::size_t i = 0; i < kFamilyCount; ++i) {
    if (listed && added_later(i) && std::find(existing.begin(), existing.end(), kFamilyNames[i]) == existing.end()) {
      continue;
    }
    opened.push_back(i);
  }
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  descriptors.emplace_back(rocksdb::kDefaultColumnFamilyName, options);
  for (const std::size_t i : opened) descriptors.emplace_back(kFamilyNames[i], options);

  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status status;
  switch (spec.mode) {
    case OpenMode::writer:
    case OpenMode::exclusive:
      status = rocksdb::DB::Open(options, spec.path, descriptors, &handles, &raw);
      break;
    case OpenMode::secondary:
      status = rocksdb::DB::OpenAsSecondary(options, spec.path, spec.secondary_path, descriptors,
                                            &handles, &raw);
      break;
  }
  if (!status.ok()) {
    error = "cannot open audit store " + spec.path + ": " + status.ToString();
    return nullptr;
  }
  std::unique_ptr<RocksHandle> handle(new RocksHandle());
  handle->db_.reset(raw);
  handle->env_ = spec.env;
  handle->mode_ = spec.mode;
  // handles[0] is "default", which the store does not use.
  raw->DestroyColumnFamilyHandle(handles[0]);
  for (std::size_t i = 0; i < opened.size(); ++i) handle->families_[opened[i]] = handles[i + 1];
  if (spec.mode == OpenMode::writer && (!mark_event_index_start(*handle, error) || !ensure_store_id(*handle, error))) {
    error = "cannot open audit store " + spec.path + ": " + error;
    return nullptr;
  }

  return handle;
}

RocksHandle::~RocksHandle() {
  if (!db_) return;
  for (auto* family : families_) {
    if (family) db_->DestroyColumnFamilyHandle(family);
  }
  db_->Close().PermitUncheckedError();
  db_.reset();
}

rocksdb::ColumnFamilyHandle* RocksHandle::index_family(IndexFamily f) const {
  switch (f) {
    case IndexFamily::time: return family(Family::time);
    case IndexFamily::principal: return family(Family::principal);
    case IndexFamily::table: return family(Family::table);
    case IndexFamily::operation: return family(Family::operation);
    case IndexFamily::outcome: return family(Family::outcome);
    case IndexFamily::event: return family(Family::event);
  }
  return family(Family::time);
}

rocksdb::Status RocksHandle::flush_all() {
  std::vector<rocksdb::ColumnFamilyHandle*> families;
  for (auto* family : families_) {
    if (family) families.push_back(family);
  }
  return db_->Flush(rocksdb::FlushOptions(), families);
}

rocksdb::Status RocksHandle::catch_up() {
  if (mode_ != OpenMode::secondary) return rocksdb::Status::OK();
  return db_->TryCatchUpWithPrimary();
}

bool read_chain_meta(const RocksHandle& store, ChainMeta& meta, std::string& error) {
  rocksdb::DB* db = store.db();
  rocksdb::ColumnFamilyHandle* cf = store.family(Family::meta);
  return read_u64(db, cf, keys::kMetaLastSequence, meta.last_sequence, error) &&
         read_text(db, cf, keys::kMetaLastHash, meta.last_hash, error) &&
         read_u64(db, cf, keys::kMetaAnchorSequence, meta.anchor_sequence, error) &&
         read_text(db, cf, keys::kMetaAnchorPreviousHash, meta.anchor_previous_hash, error) &&
         read_u64(db, cf, keys::kMetaCheckpointCount, meta.checkpoint_count, error);
}

}  // namespace dynaudit::storage

namespace dynaudit::storage {

bool read_event_index_from(const RocksHandle& store, std::uint64_t& first, std::string& error) {
  first = UINT64_MAX;
  if (!store.family(Family::event)) return true;
  return read_u64(store.db(), store.family(Family::meta), keys::kMetaEventIndexFrom, first, error);
}

}  // namespace dynaudit::storage

namespace dynaudit::storage {

bool read_store_id(const RocksHandle& store, std::string& id, std::string& error) {
  return read_text(store.db(), store.family(Family::meta), keys::kMetaStoreId, id, error);
}

bool check_store_files(const std::string& path, const std::string& log_folder, std::string& error) {
  rocksdb::Options options;
  options.max_open_files = -1;  // open every table now: footer, index and sizes checked
  options.info_log = make_info_log(log_folder);
  std::vector<std::string> names;
  auto status = rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(options), path, &names);
  if (!status.ok()) {
    error = "cannot open audit store " + path + ": " + status.ToString();
    return false;
  }
  // A running writer may remove a file (compaction, flush) between our
  // reading its list and opening it, which RocksDB reports as corruption
  // too; a few tries with growing pauses tell that race from damage, which
  // stays.
  auto pause = std::chrono::milliseconds(50);
  for (int attempt = 1;; ++attempt) {
    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
    for (const auto& name : names) descriptors.emplace_back(name, options);
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    status = rocksdb::DB::OpenForReadOnly(options, path, descriptors, &handles, &raw);
    if (status.ok()) {
      for (auto* handle : handles) raw->DestroyColumnFamilyHandle(handle);
      raw->Close().PermitUncheckedError();
      delete raw;
      return true;
    }
    if (attempt == 5) break;
    std::this_thread::sleep_for(pause);
    pause *= 2;
  }
  error = "audit store " + path + " is damaged: " + status.ToString();
  return false;
}

rocksdb::ReadOptions checked_read_options() {
  rocksdb::ReadOptions options;
  options.verify_checksums = true;
  return options;
}

}  // namespace dynaudit::storage
