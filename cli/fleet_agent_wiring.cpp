// Wiring the fleet agent into serve (see fleet_agent_wiring.hpp).
#include "cli/fleet_agent_wiring.hpp"

#include <unistd.h>

#include <algorithm>
#include <memory>

#include "proxy/config/rule_channels.hpp"
#include "proxy/log/request_log.hpp"
#include "proxy/net/http_fetch.hpp"
#include "storage/checkpoint_signing.hpp"
#include "storage/json_text.hpp"

namespace dynaudit::cli {

std::string default_proxy_id() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "dynaudit";
  return name;
}

std::unique_ptr<fleet::FleetAgent> start_fleet_agent(const proxy::ServeConfig& config, proxy::Server& server,
                                                     std::string& error) {
  error.clear();
  const auto& f = config.fleet;
  if (!f.enabled) return nullptr;
  fleet::AgentOptions options;
  options.proxy_id = f.proxy_id.empty() ? default_proxy_id() : f.proxy_id;
  if (options.proxy_id.find('#') != std::string::npos) {
    error = "fleet.proxy_id: must not contain '#' (the table's keys use it)";
    return nullptr;
  }
  options.build = "dynaudit 0.1.0";
  options.table = f.table;
  options.endpoint = fleet::DynamoDbEndpoint{f.endpoint, f.region, f.ca_file, f.request_timeout};
  if (f.own_credentials) {
    // Kept alive by the supplier: the central table may be in another account.
    std::shared_ptr<proxy::UpstreamCredentialProvider> provider =
        proxy::make_upstream_credential_provider(f.credentials, proxy::blocking_http_fetch, error);
    if (!provider) {
      error = "fleet.credentials: " + error;
      return nullptr;
    }
    options.credentials = [provider] { return provider->current(); };
  } else {
    auto* provider = &server.upstream_credentials();
    options.credentials = [provider] { return provider->current(); };
  }
  options.shipper.store = server.audit_store();  // serve's own: read without replaying its log
  options.shipper.store_path = config.audit.path;
  options.shipper.cursor_file = f.cursor_file;
  options.shipper.round_records = f.round_records;
  options.shipper.retention = std::chrono::duration_cast<std::chrono::seconds>(f.retention);
  options.shipper.backoff = fleet::Backoff{f.retry_initial, f.retry_max};
  options.ship_interval = f.ship_interval;
  options.parallel_batches = f.parallel_batches;
  options.heartbeat_interval = f.heartbeat_interval;
  if (!config.audit.checkpoint_key_file.empty()) {
    std::string key_error;
    if (auto key = storage::load_private_key_file(config.audit.checkpoint_key_file, key_error))
      options.checkpoint_key_id = storage::checkpoint_key_id(key.get());
  }
  if (const auto* store = server.audit_store())
    options.committed_sequence = [store] { return store->stats().last_sequence; };
  auto* engine = server.rule_engine();
  if (engine) options.rules.fingerprint = [engine] { return engine->current()->fingerprint(); };
  options.rules.local_files = static_cast<std::size_t>(std::count_if(
      config.rules.files.begin(), config.rules.files.end(),
      [&](const std::string& file) { return file != f.rules.file; }));
  // With pull off but the central file named, the proxy is held on the set
  // it last applied: its heartbeat still says which (and drifts from newer).
  options.rules.file = f.rules.file;
  if (f.rules.pull) {
    options.rules.pull = true;
    options.rules.public_key_file = f.rules.public_key_file;
    options.rules.poll_interval = f.rules.poll_interval;
    const auto settings = proxy::engine_settings(config.rules);
    const auto alerts = config.alerts;
    options.rules.validate = [settings, alerts](const std::string& text) -> std::string {
      const auto loaded = rules::RuleSnapshot::load_text(text, "central rule set", settings);
      if (!loaded.snapshot) return loaded.errors.empty() ? "does not load" : rules::format(loaded.errors.front());
      return proxy::unknown_alert_channel(*loaded.snapshot, alerts);
    };
    options.rules.apply = [engine] { return engine != nullptr && engine->reload("fleet"); };
  }
  options.log = [](const std::string& level, const std::string& message) {
    proxy::write_log_line(proxy::format_log_line(level, message));
  };
  auto agent = fleet::FleetAgent::start(std::move(options), error);
  if (!agent) {
    error = "fleet: " + error;
    return nullptr;
  }
  server.add_metrics([a = agent.get()](metrics::Exposition& out) { a->write_metrics(out); });
  // It reads serve's own store: it must stop before run() closes the store.
  server.on_stop([a = agent.get()] { a->stop(); });
  return agent;
}

}  // namespace dynaudit::cli
