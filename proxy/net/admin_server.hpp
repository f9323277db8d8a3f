// The admin endpoint: /healthz (the process is up), /readyz (listeners
// bound and not draining), /rules (the running rule set and the outcome of
// the last reload), /alerts (delivery counters per channel) and
// /connections (open and refused connections, file descriptors). It keeps
// answering during a drain (/readyz 503, /healthz 200). Bound to
// 127.0.0.1 by default; it answers only GET and reveals no traffic, no
// secrets and no webhook addresses.
#pragma once

#include <functional>
#include <string>

#include "proxy/net/asio.hpp"

namespace dynaudit::proxy {

struct AdminStatus {
  std::function<bool()> ready;
  std::function<std::string()> rules;   // JSON object
  std::function<std::string()> alerts;  // JSON object
  std::function<std::string()> connections;  // JSON object
};

asio::awaitable<void> run_admin_listener(tcp::acceptor& acceptor, AdminStatus status);

}  // namespace dynaudit::proxy
