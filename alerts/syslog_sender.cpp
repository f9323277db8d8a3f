// Syslog over UDP and TCP (see syslog_sender.hpp).
#include "alerts/syslog_sender.hpp"

#include <netdb.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "alerts/net.hpp"

namespace dynaudit::alerts {
namespace {

// Largest UDP payload over IPv4; longer messages are truncated (RFC 5426 3.2).
constexpr std::size_t kMaxDatagram = 65'507;

DeliveryResult fail(std::string error) {
  DeliveryResult r;
  r.retryable = true;
  r.error = std::move(error);
  return r;
}

}  // namespace

std::string octet_counted(std::string_view message) {
  std::string out = std::to_string(message.size());
  out += ' ';
  out += message;
  return out;
}

SyslogSender::SyslogSender(SyslogTransport transport, std::string host, std::uint16_t port,
                           std::chrono::milliseconds timeout)
    : transport_(transport), host_(std::move(host)), port_(port), timeout_(timeout) {}

SyslogSender::~SyslogSender() { close_fd(); }

void SyslogSender::close_fd() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

std::string SyslogSender::endpoint() const {
  return std::string(transport_ == SyslogTransport::udp ? "udp://" : "tcp://") +
         net::host_port(host_, port_);
}

DeliveryResult SyslogSender::send(std::string_view message, int cancel_fd) {
  return transport_ == SyslogTransport::udp ? send_udp(message) : send_tcp(message, cancel_fd);
}

DeliveryResult SyslogSender::send_udp(std::string_view message) {
  if (fd_ < 0) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    addrinfo* list = nullptr;
    const int gai = ::getaddrinfo(host_.c_str(), std::to_string(port_).c_str(), &hints, &list);
    if (gai != 0) return fail(std::string("resolve: ") + ::gai_strerror(gai));
    fd_ = ::socket(list->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd_ >= 0) {
      std::memcpy(&udp_addr_, list->ai_addr, list->ai_addrlen);
      udp_addr_len_ = list->ai_addrlen;
    }
    ::freeaddrinfo(list);
    if (fd_ < 0) return fail(std::string("socket: ") + std::strerror(errno));
  }
  if (message.size() > kMaxDatagram) message = message.substr(0, kMaxDatagram);
  for (;;) {
    const ssize_t n = ::sendto(fd_, message.data(), message.size(), MSG_NOSIGNAL,
                               reinterpret_cast<const sockaddr*>(&udp_addr_), udp_addr_len_);
    if (n >= 0) return DeliveryResult{true, false, 0, {}};
    if (errno == EINTR) continue;
    const int err = errno;
    close_fd();  // resolve again next time: the address may have changed
    return fail(std::string("sendto: ") + std::strerror(err));
  }
}

bool SyslogSender::tcp_peer_closed() const {
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, 0) <= 0) return false;
  if (p.revents & (POLLERR | POLLHUP)) return true;
  // Syslog receivers do not talk back: readable means end of stream or
  // an error; anything else is discarded.
  char buf[512];
  for (;;) {
    const ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
    if (n == 0) return true;
    if (n < 0) return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
  }
}

DeliveryResult SyslogSender::send_tcp(std::string_view message, int cancel_fd) {
  const auto deadline = net::Clock::now() + timeout_;
  const std::string frame = octet_counted(message);
  std::string error;
  // A connection the peer closed still accepts one send into the void;
  // check first, then retry once on a fresh connection if sending fails.
  if (fd_ >= 0 && tcp_peer_closed()) close_fd();
  for (int attempt = 0; attempt < 2; ++attempt) {
    const bool fresh = fd_ < 0;
    if (fresh) {
      fd_ = net::connect_tcp(host_, port_, deadline, cancel_fd, error);
      if (fd_ < 0) return fail(error);
    }
    if (net::send_all(fd_, frame, deadline, cancel_fd, error))
      return DeliveryResult{true, false, 0, {}};
    close_fd();
    if (fresh) break;
  }
  return fail(error);
}

}  // namespace dynaudit::alerts
