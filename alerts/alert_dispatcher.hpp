// AlertDispatcher: delivers alerts to their channels off the request path.
// submit() never blocks and never fails loudly: each channel has a bounded
// queue and its own delivery thread with retries and exponential backoff; a
// full queue drops the alert, a per-rule throttle suppresses floods, and both
// are counted and logged (JSON lines on stderr), never silently lost.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "alerts/alert.hpp"
#include "alerts/channel_config.hpp"

namespace dynaudit::alerts {

struct ChannelStats {
  std::uint64_t submitted = 0;  // submit() calls naming the channel
  std::uint64_t delivered = 0;
  std::uint64_t retried = 0;     // attempts after the first
  std::uint64_t failed = 0;      // gave up after max_attempts
  std::uint64_t dropped = 0;     // queue full, submitted after stop(), or undelivered at stop()
  std::uint64_t suppressed = 0;  // rule throttle
};

// Receives each diagnostic line (one JSON object, no newline). The default
// writes it to stderr with a single write(2).
using AlertLogFn = std::function<void(std::string_view line)>;

class AlertDispatcher {
 public:
  explicit AlertDispatcher(std::vector<ChannelConfig> channels, AlertLogFn log = {});
  ~AlertDispatcher();  // stop(): delivers what is queued within a short grace, then quits
  AlertDispatcher(const AlertDispatcher&) = delete;
  AlertDispatcher& operator=(const AlertDispatcher&) = delete;

  // Queues the alert on its channel. Returns false when it was dropped,
  // suppressed, or names an unknown channel. Thread-safe, never blocks on
  // I/O (at most one rate-limited log line). An alert without a time gets
  // the current time.
  bool submit(Alert alert);
  bool has_channel(const std::string& name) const;
  std::map<std::string, ChannelStats> stats() const;
  // Waits (up to `grace`) for queues to empty, then stops the threads,
  // interrupting deliveries in progress; what is left counts as dropped.
  // Later submit() calls return false. Idempotent.
  void stop(std::chrono::milliseconds grace = std::chrono::milliseconds{2'000});

 private:
  struct Channel;
  Channel* find(const std::string& name) const;
  void run(Channel& channel);
  AlertLogFn log_;
  std::vector<std::unique_ptr<Channel>> channels_;
};

}  // namespace dynaudit::alerts
