// The /metrics page: the workers' call metrics plus what the server knows
// at scrape time (connections, the audit store, rules reloads, alert
// channels, the process itself). Everything here is read when Prometheus
// asks, so none of it costs the request path anything.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "alerts/alert_dispatcher.hpp"
#include "analytics/analytics_service.hpp"
#include "discovery/discovery_service.hpp"
#include "aws/upstream_credentials.hpp"
#include "proxy/auth/aws_imports.hpp"
#include "metrics/exposition.hpp"
#include "proxy/pipeline/call_metrics.hpp"
#include "rules/rule_engine.hpp"
#include "storage/audit_store.hpp"

namespace dynaudit::proxy {

struct ServerSnapshot {
  bool ready = false;
  bool draining = false;
  std::size_t workers = 0;
  // connections
  std::size_t open_connections = 0;
  std::size_t in_flight = 0;
  std::size_t max_connections = 0;
  std::size_t refused_max_connections = 0;
  std::size_t refused_accept_failed = 0;
  std::uint64_t accepted_connections = 0;
  std::uint64_t tls_handshakes = 0;
  std::uint64_t tls_handshake_failures = 0;
  std::uint64_t open_files_limit = 0;
  // audit (no store: audit_enabled false)
  bool audit_enabled = false;
  storage::StoreStats store;
  std::uint64_t unrecorded_calls = 0;  // forwarded without a record (fail-open)
  bool refusing_calls = false;         // fail-closed and the store cannot write
  // upstream credentials (temporary ones are refreshed)
  std::string credential_source;
  CredentialRefreshStats credentials;
  // rules (nullopt: no rule files)
  std::optional<rules::ReloadStatus> rules;
  // alerts
  std::map<std::string, alerts::ChannelStats> alert_channels;
  // behaviour analytics (nullopt: not running)
  std::optional<analytics::AnalyticsServiceStats> analytics;
  // passive discovery (nullopt: not running)
  std::optional<discovery::DiscoveryStats> discovery;
  std::chrono::system_clock::time_point started{};
  // TLS listeners: name, certificate notAfter (seconds since the epoch).
  std::vector<std::pair<std::string, std::int64_t>> certificate_expiry;
};

// `extra`: families that companions of the server add (the fleet agent's).
std::string render_metrics(const ServerSnapshot& server, std::span<const CallMetrics* const> workers,
                           const CallMetricLabels* labels, metrics::Format format,
                           const std::vector<std::function<void(metrics::Exposition&)>>& extra = {});

}  // namespace dynaudit::proxy
