// The audit store's RocksDB with its column families, opened in one of the
// three ways the store and its readers need, and the chain state kept in
// the "meta" family.
#pragma once

#include <rocksdb/db.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "storage/index_entries.hpp"

namespace dynaudit::storage {

// `event`, `baselines` and `inventory` came later: a store opened read-only or
// exclusively that was written before them lacks them, and family() is null.
enum class Family : std::size_t {
  records, time, principal, table, operation, outcome, checkpoints, meta, event, baselines, inventory };
inline constexpr std::size_t kFamilyCount = 11;

enum class OpenMode {
  writer,     // the one process that appends; creates the store if missing
  secondary,  // reads while a writer runs; sees new writes after catch_up()
  exclusive,  // an existing store, for maintenance (fails while a writer runs)
};

struct OpenSpec {
  std::string path;
  OpenMode mode = OpenMode::writer;
  std::shared_ptr<rocksdb::Env> env;  // null: RocksDB's default
  std::string secondary_path;         // secondary mode: a private folder for its own files
  // Writer and exclusive modes: table files kept open at most (RocksDB's
  // table cache); 0: auto, see default_max_open_files(). A secondary keeps
  // every file open (RocksDB requires it).
  int max_open_files = 0;
};

// A quarter of the process's soft RLIMIT_NOFILE, between 64 and 1024: the
// rest is for connections, the WAL and the witness. Without a bound RocksDB
// keeps every table file of the store open, so descriptors grow with it.
int default_max_open_files();

class RocksHandle {
 public:
  static std::unique_ptr<RocksHandle> open(const OpenSpec& spec, std::string& error);
  ~RocksHandle();
  RocksHandle(const RocksHandle&) = delete;
  RocksHandle& operator=(const RocksHandle&) = delete;

  rocksdb::DB* db() const { return db_.get(); }
  rocksdb::ColumnFamilyHandle* family(Family f) const { return families_[static_cast<std::size_t>(f)]; }
  // Null for IndexFamily::event on a store without that family (see Family).
  rocksdb::ColumnFamilyHandle* index_family(IndexFamily f) const;
  OpenMode mode() const { return mode_; }
  // Writes every memtable to table files (so the WAL need not be replayed).
  rocksdb::Status flush_all();
  // Secondary mode: read what the writer wrote since. Other modes: no-op.
  rocksdb::Status catch_up();

 private:
  RocksHandle() = default;
  std::unique_ptr<rocksdb::DB> db_;
  std::array<rocksdb::ColumnFamilyHandle*, kFamilyCount> families_{};
  std::shared_ptr<rocksdb::Env> env_;  // must outlive db_
  OpenMode mode_ = OpenMode::writer;
};

// What "meta" says about the chain.
struct ChainMeta {
  std::uint64_t last_sequence = 0;    // 0: nothing appended yet
  std::string last_hash;              // hash of last_sequence, "" if none
  std::uint64_t anchor_sequence = 1;  // first sequence the chain starts at (after prunes)
  std::string anchor_previous_hash;   // previousHash of anchor_sequence
  std::uint64_t checkpoint_count = 0;
};

bool read_chain_meta(const RocksHandle& store, ChainMeta& meta, std::string& error);

// The first sequence idx_event covers: records before it are not in that
// index (written before it existed). Meta's event_index_from, which a writer
// sets when it opens a store without it; UINT64_MAX (nothing covered) when
// the store has no idx_event or no such entry. False only on a read error.
bool read_event_index_from(const RocksHandle& store, std::uint64_t& first, std::string& error);

// The store's random id from meta ("" for a store no writer has opened since
// ids exist). A writer's open gives a store without one a new id.
bool read_store_id(const RocksHandle& store, std::string& id, std::string& error);

// Opens the store read-only the strict way and closes it again: every table
// file the store lists must be there, whole, with a sound footer and index.
// Readers need this first because RocksDB's secondary instance recovers "to
// the last point in time it can", leaving out a table file it cannot open:
// its family then reads as an older, shorter one, without an error.
// `log_folder` receives RocksDB's diagnostics (not the store's folder).
bool check_store_files(const std::string& path, const std::string& log_folder, std::string& error);

// ReadOptions for the readers: every block's checksum is checked, and a
// failed check is an error the caller must report, never fewer results.
rocksdb::ReadOptions checked_read_options();

}  // namespace dynaudit::storage
