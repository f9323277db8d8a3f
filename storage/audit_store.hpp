// AuditStore: the append-only, hash-chained audit log in RocksDB. One writer
// thread takes records from a multi-producer queue, assigns sequence numbers,
// computes the hash chain and commits everything queued as one WriteBatch
// with one sync (group commit). Records, indexes and checkpoints live in
// their own column families. A store that cannot write is a state
// (`healthy() == false`), never a crash.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/latency_histogram.hpp"
#include "storage/audit_event.hpp"
#include "storage/side_state.hpp"

namespace rocksdb {
class Env;
}

namespace dynaudit::storage {

struct AuditQuery;  // audit_reader.hpp
struct Checkpoint;  // checkpoint.hpp

enum class Durability {
  async,        // batched; the caller does not wait; a crash may lose the last batch
  sync,         // the caller's completion runs after the record is synced to disk
  write_ahead,  // like sync, and the proxy writes an intent record before forwarding
};

enum class FailurePolicy { fail_closed, fail_open };

struct StoreOptions {
  std::string path;
  Durability durability = Durability::sync;
  FailurePolicy failure_policy = FailurePolicy::fail_closed;
  std::size_t max_batch = 1024;       // records per WriteBatch at most
  std::size_t max_queue = 100'000;    // producers get an error beyond this (never block forever)
  // Async only: after the first record of a batch arrives, the writer waits
  // this long for more before committing. A busy proxy then pays one RocksDB
  // write and one writer wake-up per interval instead of per record; the
  // records are in memory either way until the WAL is synced. 0: no wait.
  std::chrono::microseconds async_linger{2'000};
  std::string checkpoint_key_file;    // PEM Ed25519 private key; empty: no signed checkpoints
  // Checkpoints (signed with the key, witnessed with the witness; with
  // neither, none are written): within checkpoint_active_interval of new
  // records, at least every checkpoint_interval when none come (a silence
  // is provable too), and after checkpoint_every_records records.
  std::chrono::milliseconds checkpoint_active_interval{1'000};
  std::chrono::milliseconds checkpoint_interval{60'000};
  std::uint64_t checkpoint_every_records = 10'000;
  // The witness: every checkpoint is also appended to this file, outside
  // the store (witness_file.hpp). open() refuses a store that lacks or
  // contradicts the newest witnessed entry, unless accept_witness_mismatch:
  // then it appends an AuditWitnessMismatchAccepted record saying what was
  // accepted, and an acceptance line to the witness.
  std::string witness_file;
  bool accept_witness_mismatch = false;
  // After each witness line is durable (on the witness thread): e.g. to
  // send it to an alert channel too.
  std::function<void(std::string_view line)> on_witnessed;
  // The store's own notes (witness failures, an accepted mismatch); null:
  // lines on stderr.
  std::function<void(bool is_error, const std::string& message)> log;
  // Table files RocksDB keeps open at most; 0: default_max_open_files().
  int max_open_files = 0;
  // RocksDB environment; null for the real file system. Tests inject one
  // whose writes fail on demand to exercise the unhealthy state.
  std::shared_ptr<rocksdb::Env> env;
};

struct AppendResult {
  bool ok = false;
  std::uint64_t sequence = 0;
  std::string hash;
  std::string error;  // why the record could not be written
  // The record itself, valid only while the callback runs (so that a
  // fail-open failure can log it without every append keeping a copy).
  const AuditEvent* event = nullptr;
};

using AppendCallback = std::function<void(const AppendResult&)>;

struct StoreStats {
  std::uint64_t records = 0;
  std::uint64_t first_sequence = 0;
  std::uint64_t last_sequence = 0;
  std::uint64_t checkpoints = 0;
  std::uint64_t failed_appends = 0;   // records that could not be written (fail-open counts them)
  std::uint64_t batches = 0;
  std::uint64_t committed_records = 0;  // records written since open (batches: how many commits)
  std::size_t queue_depth = 0;          // records waiting for the writer
  std::uint64_t sst_bytes = 0;          // the store's table files (RocksDB total-sst-files-size)
  metrics::HistogramTotals commit_latency;  // one RocksDB write (and sync) per group commit
  bool healthy = true;
  bool witness_healthy = true;         // the newest witness write worked (or there is no witness)
  bool witness_configured = false;
  std::uint64_t witness_written = 0;          // checkpoint lines made durable in the witness file
  std::uint64_t witness_failed_attempts = 0;  // writes that failed (each is retried)
  std::uint64_t witness_dropped = 0;          // lines dropped because its queue was full
  std::string problem;                 // a reader's: why the store could not be read
};

class AuditStore {
 public:
  static std::unique_ptr<AuditStore> open(const StoreOptions& options, std::string& error);
  ~AuditStore();  // drains the queue, writes, closes

  // Queues `event`; `done` runs on the writer thread once it is committed
  // (synced, unless durability is async) or has failed. Never blocks: when
  // max_queue records wait already, or the store is closing, `done` runs at
  // once on the caller's thread with the error. While the store is unhealthy
  // records fail fast (a probe write retries every 500 ms).
  void append(AuditEvent event, AppendCallback done);
  // Convenience for tools and tests: append and wait.
  AppendResult append_and_wait(AuditEvent event);

  // Records can be written, and (under fail-closed) witnessed: with
  // fail-closed, records the witness cannot vouch for are refused like
  // records the store cannot hold.
  bool healthy() const;
  StoreStats stats() const;

  // State derived from the chain (side_state.hpp: the analyser's baselines,
  // the sensitive-data inventory), from any thread: outside the chain and
  // the writer's queue.
  bool write_side_state(SideState kind, const SideEntries& entries, std::string& error);
  bool read_side_state(SideState kind, const SideVisitor& visit, std::string& error) const;
  const StoreOptions& options() const;

  // Reading committed records and checkpoints in the writing process itself
  // (the fleet shipper): the writer's own database, so nothing is replayed
  // as a read-only secondary would. Safe from any thread.
  bool query(const AuditQuery& query, const std::function<bool(const AuditEvent&)>& each, std::string& error) const;
  bool checkpoints_from(std::uint64_t sequence, std::uint64_t after_number,
                        const std::function<bool(const Checkpoint&)>& each, std::string& error) const;

 private:
  struct Impl;
  explicit AuditStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace dynaudit::storage
