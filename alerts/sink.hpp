// Sink: how one channel delivers one alert (format + transport). The
// dispatcher owns one per channel and calls it from that channel's thread
// only, so sinks need no locking.
#pragma once

#include <memory>
#include <string>

#include "alerts/alert.hpp"
#include "alerts/channel_config.hpp"

namespace dynaudit::alerts {

struct DeliveryResult {
  bool ok = false;
  bool retryable = false;  // try again after a backoff
  int status = 0;          // HTTP status when there was one
  std::string error;       // never contains secrets (URL path, query, headers)
};

class Sink {
 public:
  virtual ~Sink() = default;
  // `cancel_fd` (may be -1) aborts blocking I/O once readable.
  virtual DeliveryResult deliver(const Alert& alert, int cancel_fd) = 0;
  // Where it delivers, safe to log: "https://host:port", "udp://host:port",
  // "tcp://host:port", "file:///path".
  virtual std::string endpoint() const = 0;
};

// The sink for a channel. A configuration that cannot work (a bad URL)
// still yields a sink, one that fails every delivery without retrying, so
// the failure is counted and logged where operators look.
std::unique_ptr<Sink> make_sink(const ChannelConfig& config);

}  // namespace dynaudit::alerts
