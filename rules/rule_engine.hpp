// RuleEngine: holds the current RuleSnapshot and replaces it on reload
// (SIGHUP, or a rule file changing on disk). A reload that fails validation
// keeps the old snapshot running and is reported in the log and by status().
// Readers take the snapshot with current() — one atomic load — and keep it
// for the whole call.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "rules/rule_snapshot.hpp"

namespace dynaudit::rules {

struct ReloadStatus {
  std::chrono::system_clock::time_point loaded_at{};   // when the running snapshot was loaded
  std::size_t rule_count = 0;
  std::chrono::system_clock::time_point last_attempt{};
  bool last_attempt_ok = true;
  std::vector<LoadError> last_errors;  // of the last failed attempt (the old rules kept running)
  std::uint64_t reloads = 0;           // successful reloads since start
  std::uint64_t failed_reloads = 0;
};

// One load or reload of the rule files, as the audit log records it.
struct RuleLoadAttempt {
  std::chrono::system_clock::time_point time{};
  std::string trigger;       // "start", "signal" (SIGHUP) or "file change"
  bool ok = true;            // false: refused, the previous rules kept running
  std::size_t rules = 0;     // rules in force afterwards
  std::string fingerprint;   // of the rules in force afterwards (rule_fingerprint.hpp)
  std::vector<std::string> files;
  std::vector<std::string> errors;  // why a refused reload was refused
};

class RuleEngine {
 public:
  // Loads the files once; fails (errors) when they do not validate.
  static std::pair<std::unique_ptr<RuleEngine>, std::vector<LoadError>> create(std::vector<std::string> files,
                                                                                EngineSettings settings);
  ~RuleEngine();  // stops the watcher

  std::shared_ptr<const RuleSnapshot> current() const;
  RateState& rates() { return rates_; }

  // A check every reloaded snapshot must pass besides validation: returns ""
  // or the problem (which then fails the reload). Set before watch().
  void set_validator(std::function<std::string(const RuleSnapshot&)> validator) { validator_ = std::move(validator); }

  // Told of every reload attempt, on the thread that made it (the watcher's
  // or the signal handler's). Set before watch().
  void set_reload_observer(std::function<void(const RuleLoadAttempt&)> observer) {
    observer_ = std::move(observer);
  }
  // The start, as an attempt: the rules create() loaded.
  RuleLoadAttempt start_attempt() const;

  // Reloads now; returns true when the new rules replaced the old ones.
  // Logs one JSON line either way. `trigger` is for the observer.
  bool reload(std::string_view trigger = "signal");
  // Starts a thread that reloads when a file's mtime or size changes,
  // checking every `interval`.
  void watch(std::chrono::milliseconds interval);
  ReloadStatus status() const;
  // The status as a JSON object, for the admin endpoint.
  std::string status_json() const;

 private:
  RuleEngine(std::vector<std::string> files, EngineSettings settings, std::shared_ptr<const RuleSnapshot> first);
  struct Watcher;
  struct FileStamp;
  static FileStamp stamp_of(const std::string& path);
  std::vector<std::string> files_;
  // The files' state just before the running rules were first read, so that
  // watch() also notices a change made between create() and watch().
  std::vector<FileStamp> loaded_stamps_;
  EngineSettings settings_;
  std::shared_ptr<const RuleSnapshot> current_;  // accessed with std::atomic_load/atomic_store
  RateState rates_;
  mutable std::mutex status_mutex_;
  ReloadStatus status_;
  std::mutex reload_mutex_;  // one reload at a time
  std::unique_ptr<Watcher> watcher_;
  std::function<std::string(const RuleSnapshot&)> validator_;
  std::function<void(const RuleLoadAttempt&)> observer_;
};

}  // namespace dynaudit::rules
