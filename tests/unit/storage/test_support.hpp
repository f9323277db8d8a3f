// Shared by the storage unit tests: temporary folders that remove
// themselves, events with every field set, and direct RocksDB access to a
// store (the "tool that opens RocksDB directly" of the tamper tests).
#pragma once

#include <rocksdb/db.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "storage/audit_event.hpp"

namespace storage_test {

namespace fs = std::filesystem;
using dynaudit::storage::AuditEvent;

class TempDir {
 public:
  explicit TempDir(const std::string& name) {
    static std::atomic<unsigned> counter{0};
    path_ = fs::temp_directory_path() /
            ("dynaudit-storage-test-" + name + "-" + std::to_string(::getpid()) + "-" +
             std::to_string(counter++) + "-" + std::to_string(std::random_device()()));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string path() const { return path_.string(); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

// 2026-11-29T16:00:00.123Z plus `offset_ms`.
inline std::chrono::system_clock::time_point test_time(std::int64_t offset_ms = 0) {
  return std::chrono::system_clock::time_point(std::chrono::milliseconds(1'795'968'000'123 + offset_ms));
}

inline AuditEvent sample_event(const std::string& principal = "alice", const std::string& table = "orders",
                               const std::string& operation = "PutItem") {
  AuditEvent e;
  e.event_id = "0b7f6c52-8d1e-4c55-9a3b-1f2e3d4c5b6a";
  e.event_time = test_time();
  e.event_name = operation;
  e.aws_region = "us-east-1";
  e.source_ip = "192.0.2.10";
  e.user_agent = "aws-cli/2.9.19 Python/3.11";
  e.user_identity = {"IAMUser", principal, "AKIDEXAMPLE", principal};
  e.request_parameters_json = R"({"tableName":")" + table + R"(","key":{"pk":{"S":"p-1"}}})";
  e.response_elements_json = "null";
  e.request_id = "REQ-1";
  e.read_only = false;
  e.tables = {table};
  e.account_id = "123456789012";
  e.auth_mode = "verify";
  e.signature_verified = true;
  e.outcome = "forwarded";
  e.http_status = 200;
  e.request_items = 1;
  e.request_bytes = 120;
  e.response_bytes = 2;
  e.proxy_latency_us = 350;
  e.upstream_latency_us = 1200;
  e.listener = "main";
  return e;
}

// Opens a store's RocksDB with all its column families, by name.
class RawStore {
 public:
  explicit RawStore(const std::string& path) {
    std::vector<std::string> names;
    rocksdb::Status status = rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), path, &names);
    if (!status.ok()) throw std::runtime_error(status.ToString());
    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
    for (const auto& name : names) descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    status = rocksdb::DB::Open(rocksdb::DBOptions(), path, descriptors, &handles, &db);
    if (!status.ok()) throw std::runtime_error(status.ToString());
    db_.reset(db);
    for (std::size_t i = 0; i < names.size(); ++i) families_[names[i]] = handles[i];
  }
  ~RawStore() {
    for (auto& [name, handle] : families_) db_->DestroyColumnFamilyHandle(handle);
    db_->Close().PermitUncheckedError();
  }

  rocksdb::DB* db() { return db_.get(); }
  rocksdb::ColumnFamilyHandle* family(const std::string& name) { return families_.at(name); }

  std::string get(const std::string& family_name, const std::string& key) {
    std::string value;
    const auto status = db_->Get(rocksdb::ReadOptions(), family(family_name), key, &value);
    if (!status.ok()) throw std::runtime_error(status.ToString());
    return value;
  }
  void put(const std::string& family_name, const std::string& key, const std::string& value) {
    const auto status = db_->Put(rocksdb::WriteOptions(), family(family_name), key, value);
    if (!status.ok()) throw std::runtime_error(status.ToString());
  }
  void remove(const std::string& family_name, const std::string& key) {
    const auto status = db_->Delete(rocksdb::WriteOptions(), family(family_name), key);
    if (!status.ok()) throw std::runtime_error(status.ToString());
  }
  std::vector<std::pair<std::string, std::string>> all(const std::string& family_name) {
    std::vector<std::pair<std::string, std::string>> entries;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), family(family_name)));
    for (it->SeekToFirst(); it->Valid(); it->Next()) entries.emplace_back(it->key().ToString(), it->value().ToString());
    return entries;
  }

 private:
  std::unique_ptr<rocksdb::DB> db_;
  std::map<std::string, rocksdb::ColumnFamilyHandle*> families_;
};

}  // namespace storage_test
