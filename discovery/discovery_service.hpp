// DiscoveryService: passive sensitive-data discovery beside `dynaudit serve`.
// Workers hand it a copy of a reply now and then (SampleClock: at most one
// per table per sample_interval per worker, bodies up to max_sample_bytes);
// its own thread walks the items, classifies each value (detectors.hpp),
// records what it found in the inventory — which rule masked it for that
// caller, or that the caller read it in clear — and saves the entries it
// touched to the store's inventory family. The copies live only until their
// turn; values are never kept.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "discovery/inventory.hpp"
#include "discovery/item_walker.hpp"
#include "storage/audit_store.hpp"

namespace dynaudit::discovery {

struct DiscoverySample {
  std::string operation;
  std::string table;
  std::string principal;  // "" for dynaudit's own scan (Inventory::record)
  std::string body;
  // The caller's mask paths, each with the rule it came from.
  std::vector<std::pair<std::string, std::string>> masked_paths;
  std::chrono::system_clock::time_point time;
};

struct DiscoveryOptions {
  std::chrono::milliseconds sample_interval{60'000};
  std::size_t max_sample_bytes = 256 * 1024;
  std::size_t max_queue = 64;
  std::chrono::milliseconds persist_interval{60'000};
  std::size_t max_entries = 10'000;
  WalkLimits limits;
};

struct DiscoveryStats {
  std::uint64_t samples = 0;     // replies walked
  std::uint64_t dropped = 0;     // offered while the queue was full
  std::uint64_t values = 0;      // values classified
  std::uint64_t detections = 0;  // values found sensitive
  std::uint64_t save_failures = 0;
  std::size_t entries = 0;       // inventory entries
};

// Per worker, no lock: is it time to sample this table again?
class SampleClock {
 public:
  SampleClock(std::chrono::milliseconds interval, std::size_t max_tables = 1024)
      : interval_(interval), max_tables_(max_tables) {}
  bool due(std::string_view table, std::chrono::steady_clock::time_point now);

 private:
  std::chrono::milliseconds interval_;
  std::size_t max_tables_;
  // Looked up by string_view: the request path asks once per item read and
  // must not allocate a key to do it.
  struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, std::chrono::steady_clock::time_point, NameHash, std::equal_to<>> next_;
};

// Whether `path` is under one of the mask paths (the path itself, or inside
// a masked map or list); the rule that masks it, or "".
std::string covering_rule(std::string_view path, const std::vector<std::pair<std::string, std::string>>& masked);

class DiscoveryService {
 public:
  using LogFn = std::function<void(bool is_error, const std::string& message)>;
  DiscoveryService(DiscoveryOptions options, storage::AuditStore* store, LogFn log);
  ~DiscoveryService();
  DiscoveryService(const DiscoveryService&) = delete;
  DiscoveryService& operator=(const DiscoveryService&) = delete;

  const DiscoveryOptions& options() const { return options_; }
  bool start(std::string& error);  // loads the stored inventory, starts the thread
  bool offer(DiscoverySample sample);  // any thread; never blocks; false: dropped (queue full, too large)
  void stop();                         // walks what is queued, saves, stops
  // Asks for what is queued now to be walked and saved at once, not at the
  // next persist interval; returns the save to wait for (saves() >= it).
  std::uint64_t save_soon();
  std::uint64_t saves() const { return saves_; }
  DiscoveryStats stats() const;

 private:
  void run();
  void walk(const DiscoverySample& sample);
  void save_touched();

  DiscoveryOptions options_;
  storage::AuditStore* store_;
  LogFn log_;
  Inventory inventory_;  // the thread's
  std::set<std::string> touched_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<DiscoverySample> queue_;
  bool stopping_ = false;
  bool save_requested_ = false;
  std::uint64_t swaps_ = 0;  // batches taken from the queue
  // The last batch whose walk has been saved (and every one before it).
  std::atomic<std::uint64_t> saves_{0};
  std::thread thread_;
  std::atomic<std::uint64_t> samples_{0}, dropped_{0}, values_{0}, detections_{0}, save_failures_{0};
  std::atomic<std::size_t> entries_{0};
};

}  // namespace dynaudit::discovery
