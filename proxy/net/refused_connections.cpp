// Counting, logging and shedding refused connections; see refused_connections.hpp.
#include "proxy/net/refused_connections.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "proxy/log/request_log.hpp"

namespace dynaudit::proxy {

void RefusalLog::note(std::string_view reason, std::uint64_t total) {
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::steady_clock::now().time_since_epoch())
                       .count();
  unlogged_.fetch_add(1);
  auto next = next_line_ms_.load();
  if (now < next || !next_line_ms_.compare_exchange_strong(next, now + 1000)) return;
  const auto count = unlogged_.exchange(0);
  write_log_line(format_log_line("warn", "connections refused",
                                 "\"reason\":\"" + std::string(reason) + "\",\"refused_since_last_line\":" +
                                     std::to_string(count) + ",\"refused_total\":" + std::to_string(total)));
}

SpareDescriptor::SpareDescriptor() : fd_(::open("/dev/null", O_RDONLY | O_CLOEXEC)) {}

SpareDescriptor::~SpareDescriptor() {
  if (fd_ >= 0) ::close(fd_);
}

std::size_t SpareDescriptor::shed(int listening_fd) {
  if (fd_ < 0) fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) return 0;
  ::close(fd_);
  // The listening socket is non-blocking (Asio's async accept made it so):
  // nothing waiting means EAGAIN, not a wait.
  // Everything waiting, within reason: each would get EMFILE too.
  std::size_t closed = 0;
  for (; closed < 256; ++closed) {
    const int connection = ::accept4(listening_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (connection < 0) break;
    ::close(connection);
  }
  fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  return closed;
}

}  // namespace dynaudit::proxy
