// The admin endpoint: /healthz (the process is up), /readyz (listeners
// bound and not draining), /rules (the running rule set and the outcome of
// the last reload), /alerts (delivery counters per channel) and
// /connections (open and refused connections, file descriptors) and
// /metrics (Prometheus text, or OpenMetrics when the scraper asks). It keeps
// answering during a drain (/readyz 503, /healthz 200). Bound to
// 127.0.0.1 by default; it answers GET and reveals no traffic, no secrets
// and no webhook addresses. Two POSTs need a token (admin_scan_request.hpp):
// /discovery/scan runs an active discovery scan and answers only counts,
// never a value; /audit/console-event records a console login, logout or
// reveal in the chain.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>

#include "proxy/net/asio.hpp"

namespace dynaudit::proxy {

struct AdminStatus {
  std::function<bool()> ready;
  std::function<std::string()> rules;   // JSON object
  std::function<std::string()> alerts;  // JSON object
  std::function<std::string()> connections;  // JSON object
  // The exposition and its Content-Type, for the request's Accept header;
  // empty when metrics are off.
  std::function<std::pair<std::string, std::string>(std::string_view accept)> metrics;
  // POST /discovery/scan: the HTTP status and JSON answer of a scan of up
  // to `sample` items (0: the configured maximum). Null when active
  // discovery is off.
  std::function<asio::awaitable<std::pair<unsigned, std::string>>(std::string table, std::size_t sample)> discovery_scan;
  std::string scan_token;  // discovery.scan.token_file's token
  // POST /audit/console-event: the body (a storage::ConsoleAction) recorded
  // in the chain; the HTTP status and JSON answer. Null without
  // console.token_file.
  std::function<asio::awaitable<std::pair<unsigned, std::string>>(std::string body)> console_event;
  std::string console_token;
};

asio::awaitable<void> run_admin_listener(tcp::acceptor& acceptor, AdminStatus status);

}  // namespace dynaudit::proxy
