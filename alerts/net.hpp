// Blocking socket helpers with one overall deadline and a cancel token,
// shared by the HTTP client and the syslog transports. POSIX only; errors
// are values (an fd of -1 and a message), never exceptions.
#pragma once

#include <signal.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace dynaudit::alerts::net {

using Clock = std::chrono::steady_clock;
using Deadline = Clock::time_point;

// An eventfd that, once cancelled, stays readable: every wait that includes
// it returns at once. The dispatcher cancels a channel's token in stop() so
// a delivery stuck on a silent peer does not outlive the grace period.
class CancelToken {
 public:
  CancelToken();
  ~CancelToken();
  CancelToken(const CancelToken&) = delete;
  CancelToken& operator=(const CancelToken&) = delete;
  void cancel();
  bool cancelled() const;
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
};

enum class Wait { ready, timeout, cancelled, error };

// Waits until `fd` has one of `events` (POLLIN/POLLOUT), the deadline passes
// or `cancel_fd` (may be -1) becomes readable.
Wait wait_fd(int fd, short events, Deadline deadline, int cancel_fd);

// Resolves host (names or IPv4/IPv6 literals) and connects to the first
// address that answers, non-blocking connect + poll. Returns a connected
// non-blocking socket, or -1 with `error` set.
int connect_tcp(const std::string& host, std::uint16_t port, Deadline deadline, int cancel_fd,
                std::string& error);

// Sends all of `data` (MSG_NOSIGNAL). False with `error` set on failure.
bool send_all(int fd, std::string_view data, Deadline deadline, int cancel_fd,
              std::string& error);

// "host:port", with brackets around IPv6 literals.
std::string host_port(const std::string& host, std::uint16_t port);

// Blocks SIGPIPE in the calling thread for the guard's lifetime and
// discards one raised meanwhile (OpenSSL writes with write(2), which cannot
// be told MSG_NOSIGNAL). The technique libpq uses.
class SigpipeGuard {
 public:
  SigpipeGuard();
  ~SigpipeGuard();
  SigpipeGuard(const SigpipeGuard&) = delete;
  SigpipeGuard& operator=(const SigpipeGuard&) = delete;

 private:
  bool was_pending_ = false;
  bool changed_mask_ = false;
  sigset_t old_mask_{};
};

}  // namespace dynaudit::alerts::net
