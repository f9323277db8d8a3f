// AlertDispatcher: delivers alerts to their channels off the request path.
// submit() never blocks and never fails loudly: each channel has a bounded
// queue and its own delivery thread with retries and exponential backoff; a
// full queue drops the alert, a per-rule throttle suppresses floods, and both
// are counted and logged (JSON lines on stderr), never silently lost.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "alerts/alert.hpp"
#include "alerts/channel_config.hpp"

namespace dynaudit::alerts {

struct ChannelStats {
  std::uint64_t submitted = 0;
  std::uint64_t delivered = 0;
  std::uint64_t retried = 0;     // attempts after the first
  std::uint64_t failed = 0;      // gave up after max_attempts
  std::uint64_t dropped = 0;     // queue full
  std::uint64_t suppressed = 0;  // rule throttle
};

class AlertDispatcher {
 public:
  explicit AlertDispatcher(std::vector<ChannelConfig> channels);
  ~AlertDispatcher();  // stop(): delivers what is queued within a short grace, then quits
  AlertDispatcher(const AlertDispatcher&) = delete;
  AlertDispatcher& operator=(const AlertDispatcher&) = delete;

  // Queues the alert on its channel. Returns false when it was dropped,
  // suppressed, or names an unknown channel. Thread-safe, never blocks.
  bool submit(Alert alert);
  bool has_channel(const std::string& name) const;
  std::map<std::string, ChannelStats> stats() const;
  // Waits (up to `grace`) for queues to empty, then stops the threads.
  void stop(std::chrono::milliseconds grace = std::chrono::milliseconds{2'000});

 private:
  struct Channel;
  std::vector<std::unique_ptr<Channel>> channels_;
};

}  // namespace dynaudit::alerts
