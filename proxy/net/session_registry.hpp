// The sessions of one worker, so that a drain can close the idle ones at
// once while busy ones finish their request. Touched only on its worker's
// thread: no lock.
#pragma once

#include <atomic>
#include <cstddef>
#include <unordered_set>

#include "proxy/net/asio.hpp"

namespace dynaudit::proxy {

// State shared by all workers; only atomics.
struct ServerControl {
  std::atomic<bool> draining{false};
  std::atomic<std::size_t> connections{0};
  std::atomic<std::size_t> in_flight{0};
  std::atomic<std::size_t> rejected_connections{0};  // over limits.max_connections
  std::atomic<std::size_t> accept_failures{0};       // accept(2) failed: out of descriptors, mostly
  // For /metrics: once per connection, so shared atomics cost nothing that shows.
  std::atomic<std::uint64_t> accepted_connections{0};
  std::atomic<std::uint64_t> tls_handshakes{0};
  std::atomic<std::uint64_t> tls_handshake_failures{0};
};

struct SessionSlot {
  beast::tcp_stream* stream = nullptr;
  bool busy = false;  // between the first byte of a request and its response
};

class SessionRegistry {
 public:
  void add(SessionSlot* slot) { slots_.insert(slot); }
  void remove(SessionSlot* slot) { slots_.erase(slot); }
  // Closes every session waiting for its next request.
  void close_idle() {
    for (auto* slot : slots_)
      if (!slot->busy && slot->stream) slot->stream->cancel();
  }

 private:
  std::unordered_set<SessionSlot*> slots_;
};

}  // namespace dynaudit::proxy
