// Socket helpers of the alert sinks (see net.hpp).
#include "alerts/net.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

namespace dynaudit::alerts::net {
namespace {

int remaining_ms(Deadline deadline) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  if (left <= 0) return 0;
  return left > 1'000'000 ? 1'000'000 : static_cast<int>(left);
}

std::string errno_text(const char* what, int err) {
  return std::string(what) + ": " + std::strerror(err);
}

}  // namespace

CancelToken::CancelToken() : fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

CancelToken::~CancelToken() {
  if (fd_ >= 0) ::close(fd_);
}

void CancelToken::cancel() {
  if (fd_ < 0) return;
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto n = ::write(fd_, &one, sizeof one);
}

bool CancelToken::cancelled() const {
  if (fd_ < 0) return false;
  pollfd p{fd_, POLLIN, 0};
  return ::poll(&p, 1, 0) > 0;
}

Wait wait_fd(int fd, short events, Deadline deadline, int cancel_fd) {
  for (;;) {
    pollfd fds[2] = {{fd, events, 0}, {cancel_fd, POLLIN, 0}};
    const int rc = ::poll(fds, cancel_fd >= 0 ? 2 : 1, remaining_ms(deadline));
    if (rc < 0) {
      if (errno == EINTR) continue;
      return Wait::error;
    }
    if (cancel_fd >= 0 && (fds[1].revents & POLLIN)) return Wait::cancelled;
    if (rc == 0) {
      if (Clock::now() >= deadline) return Wait::timeout;
      continue;
    }
    // POLLERR/POLLHUP count as ready: the next call on the socket reports why.
    if (fds[0].revents != 0) return Wait::ready;
  }
}

int connect_tcp(const std::string& host, std::uint16_t port, Deadline deadline, int cancel_fd,
                std::string& error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_ADDRCONFIG;
  addrinfo* list = nullptr;
  const std::string service = std::to_string(port);
  // getaddrinfo has no timeout; channel hosts are usually literals or cached.
  const int gai = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &list);
  if (gai != 0) {
    error = std::string("resolve: ") + ::gai_strerror(gai);
    return -1;
  }
  error = "connect: no address";
  int fd = -1;
  for (addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
    fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      error = errno_text("socket", errno);
      continue;
    }
    int rc = ::connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      const Wait w = wait_fd(fd, POLLOUT, deadline, cancel_fd);
      if (w == Wait::ready) {
        int so_error = 0;
        socklen_t len = sizeof so_error;
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len);
        rc = so_error == 0 ? 0 : -1;
        errno = so_error;
      } else {
        ::close(fd);
        fd = -1;
        error = w == Wait::cancelled ? "connect: cancelled" : "connect: timed out";
        break;  // the deadline is shared: no time left for other addresses
      }
    }
    if (rc == 0) {
      const int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      break;
    }
    error = errno_text("connect", errno);
    ::close(fd);
    fd = -1;
  }
  ::freeaddrinfo(list);
  return fd;
}

bool send_all(int fd, std::string_view data, Deadline deadline, int cancel_fd,
              std::string& error) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      const Wait w = wait_fd(fd, POLLOUT, deadline, cancel_fd);
      if (w == Wait::ready) continue;
      error = w == Wait::cancelled ? "send: cancelled" : "send: timed out";
      return false;
    }
    error = errno_text("send", n < 0 ? errno : EPIPE);
    return false;
  }
  return true;
}

std::string host_port(const std::string& host, std::uint16_t port) {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

SigpipeGuard::SigpipeGuard() {
  sigset_t pipe_set;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  sigset_t pending;
  sigemptyset(&pending);
  ::sigpending(&pending);
  was_pending_ = sigismember(&pending, SIGPIPE) == 1;
  changed_mask_ = ::pthread_sigmask(SIG_BLOCK, &pipe_set, &old_mask_) == 0;
}

SigpipeGuard::~SigpipeGuard() {
  if (!changed_mask_) return;
  if (!was_pending_ && sigismember(&old_mask_, SIGPIPE) != 1) {
    sigset_t pending;
    sigemptyset(&pending);
    ::sigpending(&pending);
    if (sigismember(&pending, SIGPIPE) == 1) {
      sigset_t pipe_set;
      sigemptyset(&pipe_set);
      sigaddset(&pipe_set, SIGPIPE);
      const timespec zero{};
      ::sigtimedwait(&pipe_set, nullptr, &zero);
    }
  }
  ::pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
}

}  // namespace dynaudit::alerts::net
