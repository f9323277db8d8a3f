// audit_many_files: a test tool that makes an audit store with very many
// table files, the shape a large store has after years of records, in
// seconds: it appends RECORDS records through the real AuditStore (chain,
// indexes, checkpoints as dynaudit writes them), then rewrites every column
// family through RocksDB into files of one key each, on the last level (so
// that opening the store starts no compaction).
//
//   audit_many_files STORE RECORDS     prints the number of table files made
//   audit_many_files STORE count TEXT  prints how many records hold TEXT, read
//                                      with a bounded table cache (dynaudit's
//                                      readers keep every file open, which such
//                                      a store does not allow under a low limit)
//
// The fd test (tests/integration/test_resilience.py) starts `serve` on such
// a store under a low RLIMIT_NOFILE.
#include <charconv>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <rocksdb/db.h>
#include <rocksdb/table.h>

#include "storage/audit_store.hpp"

namespace {

dynaudit::storage::AuditEvent synthetic_record(std::uint64_t i) {
  dynaudit::storage::AuditEvent event;
  event.event_id = dynaudit::storage::new_event_id();
  event.event_time = std::chrono::system_clock::now();
  event.event_name = i % 3 == 0 ? "GetItem" : "PutItem";
  const std::string table = "table" + std::to_string(i % 50);
  event.tables = {table};
  event.user_identity.type = "IAMUser";
  event.user_identity.principal_id = "principal" + std::to_string(i % 20);
  event.user_identity.user_name = event.user_identity.principal_id;
  event.user_identity.access_key_id = "AKIDMANYFILES";
  event.request_parameters_json = "{\"tableName\":\"" + table + "\",\"key\":{\"pk\":{\"S\":\"k" + std::to_string(i) + "\"}}}";
  event.http_status = 200;
  event.outcome = "forwarded";
  event.decision = "allow";
  return event;
}

bool append_records(const std::string& path, std::uint64_t count) {
  dynaudit::storage::StoreOptions options;
  options.path = path;
  options.durability = dynaudit::storage::Durability::async;
  std::string error;
  auto store = dynaudit::storage::AuditStore::open(options, error);
  if (!store) {
    std::cerr << "audit_many_files: " << error << "\n";
    return false;
  }
  for (std::uint64_t i = 0; i < count; ++i) {
    // Wait now and then, so the queue never refuses a record.
    if (i % 1000 == 999) {
      if (!store->append_and_wait(synthetic_record(i)).ok) return false;
    } else {
      store->append(synthetic_record(i), nullptr);
    }
  }
  return store->append_and_wait(synthetic_record(count)).ok;
}

// Every family rewritten into one-key files on the last level.
bool split_into_files(const std::string& path) {
  std::vector<std::string> names;
  if (auto s = rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), path, &names); !s.ok()) {
    std::cerr << "audit_many_files: " << s.ToString() << "\n";
    return false;
  }
  rocksdb::ColumnFamilyOptions family_options;
  // A file is cut once it holds target_file_size_base bytes, checked as
  // each data block is finished: one-byte blocks and targets make one key
  // a file.
  family_options.target_file_size_base = 1;
  rocksdb::BlockBasedTableOptions table;
  table.block_size = 1;
  family_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  family_options.disable_auto_compactions = true;
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const auto& name : names) descriptors.emplace_back(name, family_options);
  rocksdb::DBOptions db_options;
  db_options.max_open_files = 512;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  if (auto s = rocksdb::DB::Open(db_options, path, descriptors, &handles, &raw); !s.ok()) {
    std::cerr << "audit_many_files: " << s.ToString() << "\n";
    return false;
  }
  std::unique_ptr<rocksdb::DB> db(raw);
  bool ok = true;
  for (auto* handle : handles) {
    rocksdb::CompactRangeOptions compact;
    compact.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
    compact.change_level = true;
    compact.target_level = 6;  // the last of RocksDB's default 7 levels: nothing to compact further
    if (auto s = db->CompactRange(compact, handle, nullptr, nullptr); !s.ok()) {
      std::cerr << "audit_many_files: " << s.ToString() << "\n";
      ok = false;
    }
  }
  for (auto* handle : handles) db->DestroyColumnFamilyHandle(handle);
  return db->Close().ok() && ok;
}

int count_records(const std::string& path, const std::string& text) {
  std::vector<std::string> names;
  if (!rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), path, &names).ok()) return -1;
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const auto& name : names) descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions());
  rocksdb::DBOptions options;
  options.max_open_files = 64;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  if (auto s = rocksdb::DB::OpenForReadOnly(options, path, descriptors, &handles, &raw); !s.ok()) {
    std::cerr << "audit_many_files: " << s.ToString() << "\n";
    return -1;
  }
  std::unique_ptr<rocksdb::DB> db(raw);
  int count = 0;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] != "records") continue;
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), handles[i]));
    for (it->SeekToFirst(); it->Valid(); it->Next())
      if (it->value().ToStringView().find(text) != std::string_view::npos) ++count;
    if (!it->status().ok()) count = -1;
  }
  for (auto* handle : handles) db->DestroyColumnFamilyHandle(handle);
  return count;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 4 && std::string_view(argv[2]) == "count") {
    const int count = count_records(argv[1], argv[3]);
    if (count < 0) return 1;
    std::cout << count << "\n";
    return 0;
  }
  std::uint64_t records = 0;
  if (argc != 3 || std::from_chars(argv[2], argv[2] + std::string_view(argv[2]).size(), records).ec != std::errc{}) {
    std::cerr << "usage: audit_many_files STORE RECORDS\n";
    return 2;
  }
  if (!append_records(argv[1], records) || !split_into_files(argv[1])) return 1;
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(argv[1]))
    if (entry.path().extension() == ".sst") ++files;
  std::cout << files << "\n";
  return 0;
}
