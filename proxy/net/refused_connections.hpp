// Connections the proxy could not take: over limits.max_connections, or
// accept(2) failing (out of file descriptors, EMFILE/ENFILE, mostly). Each
// is counted (ServerControl; GET /connections on the admin endpoint) and
// logged at most once a second with the count since the last line, so an
// overload shows without flooding the log. When descriptors run out, a spare
// one kept for that moment is given up to accept and close the waiting
// connection, so the client hears a close at once instead of waiting in the
// backlog for its own timeout.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace dynaudit::proxy {

// Shared by the workers: atomics only.
class RefusalLog {
 public:
  // One refusal for `reason`; `total` is the running count for the line.
  void note(std::string_view reason, std::uint64_t total);

 private:
  std::atomic<std::int64_t> next_line_ms_{0};
  std::atomic<std::uint64_t> unlogged_{0};
};

// One per worker (touched by its thread only).
class SpareDescriptor {
 public:
  SpareDescriptor();
  ~SpareDescriptor();
  SpareDescriptor(const SpareDescriptor&) = delete;
  SpareDescriptor& operator=(const SpareDescriptor&) = delete;
  // Out of descriptors: frees the spare, accepts the connections waiting on
  // `listening_fd` (up to 256) and closes each, takes the spare again.
  // Returns how many were closed so.
  std::size_t shed(int listening_fd);

 private:
  int fd_;
};

}  // namespace dynaudit::proxy
