// AuditSink: the pipeline's side of the audit store. Appends records in the
// configured durability mode (waiting in a coroutine for the group commit in
// sync and write-ahead modes, without blocking the worker thread), applies the
// failure policy, and records the store's outage once it recovers. The count
// of calls an outage left unrecorded is kept in a file outside the store
// (storage::UnrecordedCallsFile), so a restart cannot lose it either. Keeps
// the calls that wait for the upstream (ForwardedCalls), so that a drain
// deadline cannot leave one without a record. Shared by all workers.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>

#include "proxy/config/serve_config.hpp"
#include "proxy/net/asio.hpp"
#include "proxy/pipeline/forwarded_calls.hpp"
#include "storage/audit_store.hpp"
#include "storage/unrecorded_calls.hpp"

namespace dynaudit::proxy {

class AuditSink {
 public:
  // `unrecorded_file` may be null (no store, or tests): the count then lives
  // in memory only.
  AuditSink(storage::AuditStore* store, const AuditConfig& config,
            std::unique_ptr<storage::UnrecordedCallsFile> unrecorded_file = nullptr);

  bool enabled() const { return store_ != nullptr; }
  const AuditConfig& config() const { return config_; }
  // fail-closed and the store cannot write: calls must not be forwarded.
  bool refuses_calls() const;
  bool healthy() const { return !store_ || store_->healthy(); }

  // At start: calls a previous run forwarded while the store could not write
  // (the file's count) go into the chain now, as an AuditStoreRecovered
  // record. Waits for it; false (and the count kept) if it cannot be written.
  bool record_previous_outage();

  // Appends and waits for the commit. Never throws; result.ok says.
  asio::awaitable<storage::AppendResult> record(storage::AuditEvent event);
  // Appends without waiting (async mode, and answers the session sends alone).
  void record_detached(storage::AuditEvent event);

  // Where the handler registers a call while the upstream has it; null when
  // the call will get no record anyway.
  ForwardedCalls* forwarded_calls(bool recorded) { return recorded && store_ ? &forwarded_ : nullptr; }
  // At shutdown, once the workers have stopped and before the store closes:
  // records every call still waiting for the upstream, outcome unknown.
  // Returns how many.
  std::size_t record_cut_short_calls();

  // Called on the store's writer thread with each record once it is
  // committed: the behaviour analyser's feed. Set before traffic starts;
  // must not block.
  void set_committed_observer(std::function<void(const storage::AuditEvent&)> observer) {
    observer_ = std::move(observer);
  }

  // Calls unrecorded since the last AuditStoreRecovered record.
  std::uint64_t unrecorded() const { return unrecorded_.load(); }

 private:
  void note_result(const storage::AppendResult& result, const storage::AuditEvent* lost);
  void count_unrecorded(std::uint64_t calls, std::int64_t first_ms, std::int64_t last_ms);
  // How the file's write is synced: at once (a gap begins, or a record of it
  // is durable), at most one fdatasync per kFileSyncInterval (a gap grows),
  // or not now (a record of it is committed but not yet on disk).
  enum class FileSync { now, paced, later };
  void persist_locked(FileSync when);
  void record_outage_if_any();
  // In async mode a committed record is not yet on disk (its WAL is synced
  // later), so the count it took out of the file is not synced away either:
  // after a power loss the file counts those calls again rather than nothing
  // counting them.
  FileSync sync_after_commit() const {
    return config_.durability == AuditDurability::async ? FileSync::later : FileSync::now;
  }
  storage::AuditEvent outage_event(const storage::UnrecordedCalls& missed, bool before_restart) const;

  storage::AuditStore* store_;
  AuditConfig config_;
  std::function<void(const storage::AuditEvent&)> observer_;
  ForwardedCalls forwarded_;
  std::unique_ptr<storage::UnrecordedCallsFile> file_;
  std::mutex gap_mutex_;           // guards gap_ and the file's writes
  storage::UnrecordedCalls gap_;        // not yet in an AuditStoreRecovered record
  storage::UnrecordedCalls recording_;  // in one that is on its way to the store
  bool file_failing_ = false;      // the last write of the file failed (logged once)
  std::chrono::steady_clock::time_point file_synced_at_{};  // the last fdatasync of the file
  std::atomic<std::uint64_t> unrecorded_{0};  // gap_.count, read without the lock
};

}  // namespace dynaudit::proxy
