// AnalyticsService: the analyser running beside `dynaudit serve`, off the
// request path. The audit sink offers each committed record (offer() parses
// it and queues the observation, never blocks, drops and counts when the
// queue is full); one thread feeds the analyser, appends an Anomaly record
// per anomaly, sends alerts to the configured channels by severity, and
// saves the principals it touched to the store's baselines family every
// persist_interval and at stop, so learning survives restarts.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "alerts/alert_dispatcher.hpp"
#include "analytics/analyser.hpp"
#include "storage/audit_store.hpp"

namespace dynaudit::analytics {

struct AnalyticsRoute {
  std::string channel;
  Severity min_severity = Severity::medium;
};

struct AnalyticsServiceOptions {
  AnalyserConfig analyser;
  std::vector<AnalyticsRoute> routes;
  std::size_t max_queue = 100'000;
  std::chrono::milliseconds persist_interval{60'000};
};

struct AnalyticsServiceStats {
  std::uint64_t offered = 0;         // committed records offered
  std::uint64_t dropped = 0;         // not analysed: the queue was full
  std::uint64_t observed = 0;        // calls the analyser took in
  std::uint64_t anomalies = 0;       // reported (records appended)
  std::uint64_t suppressed = 0;      // found inside a principal's quiet period
  std::uint64_t records_failed = 0;  // Anomaly records the store refused
  std::uint64_t alerts_submitted = 0;
  std::uint64_t loaded_profiles = 0;    // read from the store at start
  std::uint64_t rejected_profiles = 0;  // stored states that did not read back (relearned)
  std::uint64_t saved_profiles = 0;
  std::uint64_t save_failures = 0;
  std::size_t principals = 0;
  std::size_t queue_depth = 0;
};

class AnalyticsService {
 public:
  using LogFn = std::function<void(bool is_error, const std::string& message)>;
  // `alerts` may be null (no channels); `store` must outlive the service.
  AnalyticsService(AnalyticsServiceOptions options, storage::AuditStore* store, alerts::AlertDispatcher* alerts,
                   LogFn log);
  ~AnalyticsService();
  AnalyticsService(const AnalyticsService&) = delete;
  AnalyticsService& operator=(const AnalyticsService&) = delete;

  // Loads the stored baselines and starts the thread.
  bool start(std::string& error);
  // Any thread (the store's writer, in serve).
  void offer(const storage::AuditEvent& record);
  // Analyses what is queued, saves, stops the thread. Idempotent.
  void stop();
  AnalyticsServiceStats stats() const;

 private:
  void run();
  void handle(std::vector<Anomaly>& found);
  void save_touched();

  AnalyticsServiceOptions options_;
  storage::AuditStore* store_;
  alerts::AlertDispatcher* alerts_;
  LogFn log_;
  Analyser analyser_;  // the thread's only (and before start, load's)

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<Observation> queue_;
  bool stopping_ = false;
  std::thread thread_;
  std::set<std::string> touched_;  // the thread's: principals to save

  std::atomic<std::uint64_t> offered_{0}, dropped_{0}, observed_{0}, anomalies_{0}, suppressed_{0},
      records_failed_{0}, alerts_submitted_{0}, loaded_{0}, rejected_{0}, saved_{0}, save_failures_{0};
  std::atomic<std::size_t> principals_{0};
};

}  // namespace dynaudit::analytics
