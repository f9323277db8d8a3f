// The admin endpoint: /healthz (the process is up) and /readyz (listeners
// bound and not draining). Bound to 127.0.0.1 by default; it answers only
// GET and reveals nothing about traffic or configuration.
#pragma once

#include <functional>

#include "proxy/net/asio.hpp"

namespace dynaudit::proxy {

struct AdminStatus {
  std::function<bool()> ready;
};

asio::awaitable<void> run_admin_listener(tcp::acceptor& acceptor, AdminStatus status);

}  // namespace dynaudit::proxy
