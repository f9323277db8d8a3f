// Syslog transports for RFC 5424 messages: UDP (RFC 5426, one datagram per
// message) and TCP with octet-counting framing (RFC 6587 3.4.1, "LEN SP
// MSG"). The TCP connection stays open between messages and is re-made
// when the peer closed it or a send fails.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "alerts/sink.hpp"

namespace dynaudit::alerts {

enum class SyslogTransport { udp, tcp };

// "LEN SP MSG" (RFC 6587 octet counting).
std::string octet_counted(std::string_view message);

class SyslogSender {
 public:
  SyslogSender(SyslogTransport transport, std::string host, std::uint16_t port,
               std::chrono::milliseconds timeout);
  ~SyslogSender();
  SyslogSender(const SyslogSender&) = delete;
  SyslogSender& operator=(const SyslogSender&) = delete;

  // Sends one message (framed for TCP). Failures are retryable.
  DeliveryResult send(std::string_view message, int cancel_fd = -1);
  std::string endpoint() const;  // "udp://host:port" / "tcp://host:port"

 private:
  DeliveryResult send_udp(std::string_view message);
  DeliveryResult send_tcp(std::string_view message, int cancel_fd);
  bool tcp_peer_closed() const;
  void close_fd();

  SyslogTransport transport_;
  std::string host_;
  std::uint16_t port_;
  std::chrono::milliseconds timeout_;
  int fd_ = -1;
  sockaddr_storage udp_addr_{};
  socklen_t udp_addr_len_ = 0;
};

}  // namespace dynaudit::alerts
