// Passive discovery beside serve (discovery_service.hpp).
#include "discovery/discovery_service.hpp"
#include "storage/time_format.hpp"

#include "discovery/detectors.hpp"

namespace dynaudit::discovery {
namespace {

// The attribute's own name: the last word of its path, without [*].
std::string_view last_name(std::string_view path) {
  while (path.size() >= 3 && path.substr(path.size() - 3) == "[*]") path.remove_suffix(3);
  const auto dot = path.rfind('.');
  return dot == std::string_view::npos ? path : path.substr(dot + 1);
}

}  // namespace

bool SampleClock::due(std::string_view table, std::chrono::steady_clock::time_point now) {
  auto it = next_.find(table);
  if (it == next_.end()) {
    if (next_.size() >= max_tables_) return false;  // a flood of table names is not sampled
    next_.emplace(std::string(table), now + interval_);
    return true;
  }
  if (now < it->second) return false;
  it->second = now + interval_;
  return true;
}

std::string covering_rule(std::string_view path, const std::vector<std::pair<std::string, std::string>>& masked) {
  for (const auto& [mask_path, rule] : masked) {
    if (path == mask_path) return rule;
    if (path.size() > mask_path.size() && path.substr(0, mask_path.size()) == mask_path &&
        (path[mask_path.size()] == '.' || path[mask_path.size()] == '['))
      return rule;
  }
  return {};
}

DiscoveryService::DiscoveryService(DiscoveryOptions options, storage::AuditStore* store, LogFn log)
    : options_(std::move(options)), store_(store), log_(std::move(log)), inventory_(options_.max_entries) {}

DiscoveryService::~DiscoveryService() { stop(); }

bool DiscoveryService::start(std::string& error) {
  std::size_t rejected = 0;
  const bool read = store_->read_side_state(
      storage::SideState::inventory,
      [&](std::string_view, std::string_view state) {
        InventoryEntry entry;
        if (decode_entry(state, entry)) inventory_.put(std::move(entry));
        else ++rejected;
      },
      error);
  if (!read) return false;
  entries_ = inventory_.size();
  if (log_ && rejected) log_(true, "discovery: " + std::to_string(rejected) + " stored inventory entries did not read back");
  thread_ = std::thread([this] { run(); });
  return true;
}

bool DiscoveryService::offer(DiscoverySample sample) {
  std::unique_lock lock(mutex_);
  if (stopping_ || queue_.size() >= options_.max_queue || sample.body.size() > options_.max_sample_bytes) {
    ++dropped_;
    return false;
  }
  queue_.push_back(std::move(sample));
  lock.unlock();
  wake_.notify_one();
  return true;
}

void DiscoveryService::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

DiscoveryStats DiscoveryService::stats() const {
  DiscoveryStats s;
  s.samples = samples_;
  s.dropped = dropped_;
  s.values = values_;
  s.detections = detections_;
  s.save_failures = save_failures_;
  s.entries = entries_;
  return s;
}

void DiscoveryService::walk(const DiscoverySample& sample) {
  const std::int64_t now = storage::unix_ms(sample.time);
  std::uint64_t values = 0, found = 0;
  walk_reply_items(
      sample.operation, sample.table, sample.body,
      [&](std::string_view table, std::string_view path, std::string_view value) {
        ++values;
        const auto detection = classify(last_name(path), value);
        if (!detection) return;
        ++found;
        const std::string rule = covering_rule(path, sample.masked_paths);
        if (inventory_.record(table, path, *detection, sample.principal, rule, now)) {
          InventoryEntry key;
          key.table = std::string(table);
          key.path = std::string(path);
          key.data_class = detection->data_class;
          touched_.insert(entry_key(key));
        }
      },
      options_.limits);
  ++samples_;
  values_ += values;
  detections_ += found;
  entries_ = inventory_.size();
}

std::uint64_t DiscoveryService::save_soon() {
  std::uint64_t number = 0;
  {
    std::lock_guard lock(mutex_);
    save_requested_ = true;
    number = swaps_ + 1;  // the next batch holds everything queued now
  }
  wake_.notify_one();
  return number;
}

void DiscoveryService::run() {
  auto next_save = std::chrono::steady_clock::now() + options_.persist_interval;
  for (;;) {
    std::deque<DiscoverySample> batch;
    bool stopping = false, save_now = false;
    std::uint64_t number = 0;
    {
      std::unique_lock lock(mutex_);
      wake_.wait_until(lock, next_save, [&] { return stopping_ || save_requested_ || !queue_.empty(); });
      batch.swap(queue_);
      stopping = stopping_;
      save_now = save_requested_;
      save_requested_ = false;
      number = ++swaps_;
    }
    for (const auto& sample : batch) walk(sample);
    batch.clear();  // the copies of replies go now
    if (stopping || save_now || std::chrono::steady_clock::now() >= next_save) {
      save_touched();
      next_save = std::chrono::steady_clock::now() + options_.persist_interval;
      saves_ = number;
    }
    if (stopping) return;
  }
}

void DiscoveryService::save_touched() {
  if (touched_.empty()) return;
  storage::SideEntries entries;
  for (const auto& e : inventory_.entries()) {
    std::string key = entry_key(e);
    if (touched_.count(key)) entries.emplace_back(std::move(key), encode_entry(e));
  }
  std::string error;
  if (store_->write_side_state(storage::SideState::inventory, entries, error)) {
    touched_.clear();
    return;
  }
  if (save_failures_++ == 0 && log_) log_(true, "discovery: " + error);
}

}  // namespace dynaudit::discovery
