// The analyser beside serve (analytics_service.hpp).
#include "analytics/analytics_service.hpp"

#include "analytics/anomaly_record.hpp"
#include "analytics/profile_codec.hpp"

namespace dynaudit::analytics {

AnalyticsService::AnalyticsService(AnalyticsServiceOptions options, storage::AuditStore* store,
                                   alerts::AlertDispatcher* alerts, LogFn log)
    : options_(std::move(options)), store_(store), alerts_(alerts), log_(std::move(log)), analyser_(options_.analyser) {}

AnalyticsService::~AnalyticsService() { stop(); }

bool AnalyticsService::start(std::string& error) {
  std::uint64_t loaded = 0, rejected = 0;
  const bool read = store_->read_side_state(
      storage::SideState::baselines,
      [&](std::string_view principal, std::string_view state) {
        if (auto profile = decode_profile(state)) {
          analyser_.load_profile(std::string(principal), std::move(profile));
          ++loaded;
        } else {
          ++rejected;
        }
      },
      error);
  if (!read) return false;
  loaded_ = loaded;
  rejected_ = rejected;
  principals_ = analyser_.stats().principals;
  if (log_ && (loaded || rejected))
    log_(rejected > 0, "behaviour analytics: loaded the baselines of " + std::to_string(loaded) + " principals" +
                           (rejected ? "; " + std::to_string(rejected) + " stored states did not read back and are relearned" : ""));
  thread_ = std::thread([this] { run(); });
  return true;
}

void AnalyticsService::offer(const storage::AuditEvent& record) {
  ++offered_;
  auto observation = observe(record);
  if (!observation) return;
  std::unique_lock lock(mutex_);
  if (stopping_ || queue_.size() >= options_.max_queue) {
    ++dropped_;
    return;
  }
  const bool was_empty = queue_.empty();
  queue_.push_back(std::move(*observation));
  lock.unlock();
  if (was_empty) wake_.notify_one();
}

void AnalyticsService::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

AnalyticsServiceStats AnalyticsService::stats() const {
  AnalyticsServiceStats s;
  s.offered = offered_;
  s.dropped = dropped_;
  s.observed = observed_;
  s.anomalies = anomalies_;
  s.suppressed = suppressed_;
  s.records_failed = records_failed_;
  s.alerts_submitted = alerts_submitted_;
  s.loaded_profiles = loaded_;
  s.rejected_profiles = rejected_;
  s.saved_profiles = saved_;
  s.save_failures = save_failures_;
  s.principals = principals_;
  {
    std::lock_guard lock(mutex_);
    s.queue_depth = queue_.size();
  }
  return s;
}

void AnalyticsService::run() {
  std::vector<Observation> batch;
  std::vector<Anomaly> found;
  auto next_save = std::chrono::steady_clock::now() + options_.persist_interval;
  for (;;) {
    bool stopping = false;
    {
      std::unique_lock lock(mutex_);
      wake_.wait_until(lock, next_save, [&] { return stopping_ || !queue_.empty(); });
      batch.swap(queue_);
      stopping = stopping_;
    }
    for (const auto& call : batch) {
      touched_.insert(call.principal);
      found.clear();
      analyser_.observe(call, found);
      if (!found.empty()) handle(found);
    }
    observed_ += batch.size();
    batch.clear();
    const auto s = analyser_.stats();
    principals_ = s.principals;
    suppressed_ = s.suppressed;
    if (stopping || std::chrono::steady_clock::now() >= next_save) {
      save_touched();
      next_save = std::chrono::steady_clock::now() + options_.persist_interval;
    }
    if (stopping) return;
  }
}

void AnalyticsService::handle(std::vector<Anomaly>& found) {
  for (auto& anomaly : found) {
    ++anomalies_;
    storage::AuditEvent record = make_anomaly_record(anomaly);
    const std::string event_id = record.event_id;
    store_->append(std::move(record), [this](const storage::AppendResult& r) {
      if (!r.ok) ++records_failed_;
    });
    if (!alerts_) continue;
    for (const auto& route : options_.routes) {
      if (anomaly.severity < route.min_severity) continue;
      alerts::Alert alert;
      alert.rule_id = "anomaly:" + anomaly.feature;
      alert.channel = route.channel;
      alert.severity = std::string(to_string(anomaly.severity));
      alert.message = "Anomaly (" + anomaly.feature + ") for " + anomaly.principal + ": " + anomaly.explanation;
      alert.time = anomaly.time;
      alert.event_id = event_id;
      alert.principal = anomaly.principal;
      alert.operation = std::string(kAnomalyEventName);
      alert.tables = anomaly.tables;
      alert.decision = "allow";
      alert.tags = {"anomaly", "anomaly:" + anomaly.feature};
      if (alerts_->submit(std::move(alert))) ++alerts_submitted_;
    }
  }
}

void AnalyticsService::save_touched() {
  if (touched_.empty()) return;
  storage::SideEntries entries;
  entries.reserve(touched_.size());
  for (const auto& principal : touched_)
    if (const auto* profile = analyser_.profile(principal)) entries.emplace_back(principal, encode_profile(*profile));
  std::string error;
  if (store_->write_side_state(storage::SideState::baselines, entries, error)) {
    saved_ += entries.size();
    touched_.clear();
    return;
  }
  // Kept for the next save; the analyser goes on learning in memory.
  if (save_failures_++ == 0 && log_) log_(true, "behaviour analytics: " + error);
}

}  // namespace dynaudit::analytics
