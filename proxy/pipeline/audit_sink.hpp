// AuditSink: the pipeline's side of the audit store. Appends records in the
// configured durability mode (waiting in a coroutine for the group commit in
// sync and write-ahead modes, without blocking the worker thread), applies the
// failure policy, and records the store's outage once it recovers. Shared by
// all workers; only atomics inside.
#pragma once

#include <atomic>
#include <cstdint>

#include "proxy/config/serve_config.hpp"
#include "proxy/net/asio.hpp"
#include "storage/audit_store.hpp"

namespace dynaudit::proxy {

class AuditSink {
 public:
  AuditSink(storage::AuditStore* store, const AuditConfig& config) : store_(store), config_(config) {}

  bool enabled() const { return store_ != nullptr; }
  const AuditConfig& config() const { return config_; }
  // fail-closed and the store cannot write: calls must not be forwarded.
  bool refuses_calls() const;
  bool healthy() const { return !store_ || store_->healthy(); }

  // Appends and waits for the commit. Never throws; result.ok says.
  asio::awaitable<storage::AppendResult> record(storage::AuditEvent event);
  // Appends without waiting (async mode, and answers the session sends alone).
  void record_detached(storage::AuditEvent event);

  std::uint64_t unrecorded() const { return unrecorded_.load(); }

 private:
  void note_result(const storage::AppendResult& result, const storage::AuditEvent* lost);
  void record_outage_if_any();

  storage::AuditStore* store_;
  AuditConfig config_;
  std::atomic<std::uint64_t> unrecorded_{0};       // since the last write that worked
  std::atomic<std::uint64_t> unrecorded_total_{0};
};

}  // namespace dynaudit::proxy
