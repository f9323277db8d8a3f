// The count of calls that went unrecorded while the audit store could not
// write, kept in a small file outside the store so that a stop or a crash
// during the outage cannot lose it: the next `serve` that opens the store
// writes it into the chain (an AuditStoreRecovered record). The file has a
// fixed size and is overwritten in place (pwrite + fdatasync), so once made
// it needs no new disk space and keeps working on the full disk that made
// the store fail.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace dynaudit::storage {

struct UnrecordedCalls {
  std::uint64_t count = 0;
  std::int64_t first_ms = 0;  // unix ms of the first of them; 0 when count is 0
  std::int64_t last_ms = 0;   // and of the last
};

// Where the file lives unless configured: beside the witness when there is
// one (another disk, ideally), else beside the store's folder (never in it:
// RocksDB owns that folder).
std::string default_unrecorded_file(const std::string& store_path, const std::string& witness_file);

// Reads the file without creating it: a count of 0 when it does not exist;
// nullopt with `error` when it exists but cannot be read or does not parse.
std::optional<UnrecordedCalls> read_unrecorded_file(const std::string& path, std::string& error);

class UnrecordedCallsFile {
 public:
  // Opens the file, creating it (mode 0600, holding a count of 0, synced
  // with its folder) when missing. Fails when it cannot be made, or when it
  // holds something that is not a count: a count that cannot be read is a
  // gap that could vanish, so the operator decides (look at the log, then
  // remove the file).
  static std::unique_ptr<UnrecordedCallsFile> open(const std::string& path, std::string& error);
  ~UnrecordedCallsFile();
  UnrecordedCallsFile(const UnrecordedCallsFile&) = delete;
  UnrecordedCallsFile& operator=(const UnrecordedCallsFile&) = delete;

  // What the file said when it was opened (a previous run's gap).
  const UnrecordedCalls& at_open() const { return at_open_; }
  // Replaces the content in place and, with `sync`, syncs it. Unsynced, it
  // survives the process (a crash, a kill -9) but not the machine.
  bool write(const UnrecordedCalls& calls, std::string& error, bool sync = true);
  const std::string& path() const { return path_; }

 private:
  UnrecordedCallsFile(int fd, std::string path, UnrecordedCalls at_open)
      : fd_(fd), path_(std::move(path)), at_open_(at_open) {}
  int fd_;
  std::string path_;
  UnrecordedCalls at_open_;
};

}  // namespace dynaudit::storage
