// The serve process; see server.hpp.
#include "proxy/net/server.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iterator>

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <filesystem>
#include <fstream>
#include <thread>

#include <boost/asio/signal_set.hpp>

#include "alerts/alert_dispatcher.hpp"
#include "proxy/auth/credential_store.hpp"
#include "discovery/discovery_service.hpp"
#include "proxy/config/analytics_config.hpp"
#include "proxy/config/rule_channels.hpp"
#include "proxy/pipeline/mask_stage.hpp"
#include "proxy/log/request_log.hpp"
#include "proxy/net/admin_server.hpp"
#include "proxy/net/admin_scan_request.hpp"
#include "proxy/net/client_session.hpp"
#include "proxy/net/fd_limit.hpp"
#include "proxy/net/http_fetch.hpp"
#include "proxy/net/listen_port.hpp"
#include "proxy/net/refused_connections.hpp"
#include "proxy/net/server_metrics.hpp"
#include "proxy/net/session_registry.hpp"
#include "proxy/net/start_check.hpp"
#include "proxy/net/tls_contexts.hpp"
#include "proxy/net/upstream_endpoint.hpp"
#include "proxy/pipeline/audit_sink.hpp"
#include "proxy/pipeline/request_handler.hpp"
#include "rules/rule_engine.hpp"
#include "storage/console_record.hpp"
#include "storage/rules_change_record.hpp"
#include "storage/audit_store.hpp"
#include "storage/value_seal.hpp"

// The false -Wmismatched-new-delete of g++ 12 on Asio coroutine frames
// awaited inside another (see proxy/pipeline/request_handler.cpp).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace dynaudit::proxy {
namespace {

struct BoundListener {
  const ListenerConfig* config = nullptr;
  std::shared_ptr<asio::ssl::context> tls;
  std::uint16_t port = 0;  // the bound port (differs from config when 0)
};

// Member order is destruction order, reversed: the handler's upstream
// sockets must go while the io_context lives, and the session frames that
// the io_context destroys still touch the registry.
struct Worker {
  SessionRegistry sessions;
  SpareDescriptor spare;  // given up for a moment when accept(2) runs out of descriptors
  asio::io_context ioc{1};
  std::unique_ptr<RequestHandler> handler;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
  std::thread thread;
};

std::string json_string(std::string_view text) {
  std::string out = "\"";
  ddb::append_json_escaped(out, text);
  return out + "\"";
}

asio::awaitable<void> accept_loop(tcp::acceptor& acceptor, const BoundListener& listener, Worker& worker,
                                  ServerControl& control, const LimitsConfig& limits, RefusalLog& refusals) {
  for (;;) {
    error_code ec;
    auto socket = co_await acceptor.async_accept(await_into(ec));
    if (!acceptor.is_open() || ec == asio::error::operation_aborted) co_return;
    if (ec) {
      // EMFILE and friends: the connection waits in the backlog. Close it
      // with the spare descriptor (the client hears it at once), say so,
      // and back off briefly instead of spinning.
      const bool out_of_descriptors = ec == asio::error::no_descriptors || ec.value() == ENFILE;
      const std::size_t shed = out_of_descriptors ? worker.spare.shed(acceptor.native_handle()) : 0;
      // The connection that met EMFILE is among those shed; count it once.
      const std::size_t refused = std::max<std::size_t>(shed, 1);
      const auto failures = control.accept_failures.fetch_add(refused) + refused;
      refusals.note(out_of_descriptors ? "out of file descriptors (accept: " + ec.message() + ")"
                                       : "accept failed: " + ec.message(),
                    failures + control.rejected_connections.load());
      asio::steady_timer pause(acceptor.get_executor(), std::chrono::milliseconds(50));
      co_await pause.async_wait(await_into(ec));
      continue;
    }
    if (control.connections.fetch_add(1) >= limits.max_connections) {
      control.connections.fetch_sub(1);
      const auto rejected = control.rejected_connections.fetch_add(1) + 1;
      socket.close(ec);  // SDKs retry a refused connection; a queue would only hide overload
      refusals.note("limits.max_connections (" + std::to_string(limits.max_connections) + ") reached",
                    rejected + control.accept_failures.load());
      continue;
    }
    control.accepted_connections.fetch_add(1, std::memory_order_relaxed);
    socket.set_option(tcp::no_delay(true), ec);
    ConnectionInfo info;
    info.listener = listener.config->name;
    SessionEnv env{*worker.handler, control, worker.sessions, limits};
    if (listener.tls)
      asio::co_spawn(worker.ioc, run_tls_session(std::move(socket), listener.tls, info, env), asio::detached);
    else
      asio::co_spawn(worker.ioc, run_plain_session(std::move(socket), info, env), asio::detached);
  }
}

// The witness's lines go to the log when they fail, and to an alert
// channel (when configured) once each is durable: a SIEM then holds a copy
// of every checkpoint too. An accepted mismatch is critical.
void add_witness_options(const AuditConfig& audit, alerts::AlertDispatcher* dispatcher,
                         storage::StoreOptions& options) {
  options.witness_file = audit.witness.file;
  options.accept_witness_mismatch = audit.accept_witness_mismatch;
  options.log = [](bool is_error, const std::string& message) {
    write_log_line(format_log_line(is_error ? "error" : "info", "audit store", "\"detail\":" + json_string(message)));
  };
  if (audit.witness.channel.empty() || !dispatcher) return;
  options.on_witnessed = [dispatcher, channel = audit.witness.channel](std::string_view line) {
    const bool acceptance = line.find("\"type\":\"acceptance\"") != std::string_view::npos;
    alerts::Alert alert;
    alert.rule_id = "audit-witness";
    alert.channel = channel;
    alert.severity = acceptance ? "critical" : "info";
    alert.message = std::string(line);  // the witness line itself, byte for byte
    alert.operation = acceptance ? "AuditWitnessMismatchAccepted" : "AuditCheckpoint";
    alert.decision = "allow";
    alert.throttle_max = 0;  // one a second while records flow: never throttled
    dispatcher->submit(std::move(alert));
  };
}

}  // namespace

struct Server::Impl {
  ServeConfig config;
  PipelineShared shared;
  std::unique_ptr<UpstreamCredentialProvider> upstream_credentials;
  // The sink outlives the store: the store's destructor drains its queue and
  // runs completions that report to the sink.
  std::unique_ptr<AuditSink> audit_sink;
  std::unique_ptr<storage::AuditStore> audit_store;
  // Rules and alerts outlive the workers whose handlers point at them.
  std::unique_ptr<rules::RuleEngine> rule_engine;
  // Set before run() (Server::add_metrics); read by the admin thread.
  std::vector<std::function<void(metrics::Exposition&)>> extra_metrics;
  std::vector<std::function<void()>> stop_hooks;  // Server::on_stop
  std::unique_ptr<alerts::AlertDispatcher> alert_dispatcher;
  // Fed by the sink from the store's writer thread; stopped (its last
  // anomalies appended, its baselines saved) before the store closes.
  std::unique_ptr<analytics::AnalyticsService> analytics;
  // Handed copies of replies by the workers; stopped with the analytics.
  std::unique_ptr<discovery::DiscoveryService> discovery;
  std::string scan_token;  // discovery.scan.token_file's; "" when active discovery is off
  std::atomic<bool> scan_running{false};  // one active scan at a time
  std::string console_token;  // console.token_file's; "" when console events are off
  std::optional<storage::SealKey> seal_key;
  // Streams iterators live 15 minutes at AWS; 100k entries is ~20 MB at most.
  StreamIteratorTables stream_tables{100'000, std::chrono::minutes(15)};
  // Key schemas change rarely (a new index); five minutes bounds how long a
  // dropped index's key still counts as a key.
  KeySchemaCache key_schemas{10'000, std::chrono::minutes(5)};
  std::unique_ptr<CallMetricLabels> metric_labels;  // nullptr: metrics off
  const std::chrono::system_clock::time_point started = std::chrono::system_clock::now();
  std::vector<BoundListener> listeners;
  ServerControl control;  // outlives the workers: session frames count down on it
  RefusalLog refusals;
  OpenFileLimit file_limit;
  std::vector<std::unique_ptr<Worker>> workers;
  asio::io_context main_ioc{1};
  std::unique_ptr<tcp::acceptor> admin_acceptor;
  std::uint16_t admin_port = 0;
  std::atomic<bool> ready{false};

  // The store first: closing it writes a last checkpoint whose witness line
  // may go to the alert dispatcher, which must still be there.
  ~Impl() {
    if (analytics) analytics->stop();
    if (discovery) discovery->stop();
    audit_store.reset();
  }

  bool start_rules_and_alerts(std::string& error);
  bool open_audit(std::string& error);
  bool bind_all(std::string& error);
  bool bind_listener(BoundListener& listener, std::string& error);
  std::string connections_json() const;
  // An active discovery scan on the first worker, then its pages saved to
  // the inventory; the admin listener's answer (status, JSON).
  asio::awaitable<std::pair<unsigned, std::string>> discovery_scan(std::string table, std::size_t sample);
  // A console login, logout or reveal, recorded and committed before the
  // answer (the console does not go on without it).
  asio::awaitable<std::pair<unsigned, std::string>> console_event(std::string body);
  std::pair<std::string, std::string> metrics_page(std::string_view accept) const;
  void write_ready_file(const std::string& path);
  void start_drain();
};

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::~Server() = default;

rules::RuleEngine* Server::rule_engine() { return impl_->rule_engine.get(); }
UpstreamCredentialProvider& Server::upstream_credentials() { return *impl_->upstream_credentials; }
const storage::AuditStore* Server::audit_store() const { return impl_->audit_store.get(); }
void Server::add_metrics(std::function<void(metrics::Exposition&)> writer) {
  impl_->extra_metrics.push_back(std::move(writer));
}
void Server::on_stop(std::function<void()> stop) { impl_->stop_hooks.push_back(std::move(stop)); }

std::unique_ptr<Server> Server::create(ServeConfig config, std::string& error) {
  auto impl = std::make_unique<Impl>();
  impl->config = std::move(config);
  auto& cfg = impl->config;
  // Before the store opens: its table cache is sized from the limit.
  impl->file_limit = raise_open_file_limit();
  if (cfg.workers == 0) cfg.workers = std::max(1u, std::thread::hardware_concurrency());

  auto endpoint = parse_upstream_endpoint(cfg.upstream.endpoint);
  if (!endpoint) {
    error = "upstream.endpoint: cannot use '" + cfg.upstream.endpoint + "'";
    return nullptr;
  }
  impl->shared.config = &impl->config;
  impl->shared.endpoint = *endpoint;
  if (endpoint->tls) {
    impl->shared.upstream_tls = make_upstream_tls_context(cfg.upstream.ca_file, error);
    if (!impl->shared.upstream_tls) return nullptr;
  }
  if (cfg.auth.mode == AuthMode::verify) {
    impl->shared.credential_store = CredentialStore::load_file(cfg.auth.credentials_file, error);
    if (!impl->shared.credential_store) return nullptr;
  }
  impl->upstream_credentials = make_upstream_credential_provider(cfg.upstream.credentials, blocking_http_fetch, error);
  if (!impl->upstream_credentials) {
    error = "upstream.credentials: " + error;
    return nullptr;
  }
  impl->shared.upstream_credentials = impl->upstream_credentials.get();

  // Alerts before the store: its witness may send every checkpoint, the
  // first one at open included, to an alert channel.
  if (!cfg.alerts.channels.empty()) {
    impl->alert_dispatcher = std::make_unique<alerts::AlertDispatcher>(cfg.alerts.channels);
    impl->shared.alerts = impl->alert_dispatcher.get();
  }
  if (!impl->open_audit(error)) return nullptr;
  if (cfg.analytics.enabled && impl->audit_store) {
    impl->analytics = std::make_unique<analytics::AnalyticsService>(
        analytics_service_options(cfg.analytics), impl->audit_store.get(), impl->alert_dispatcher.get(),
        [](bool is_error, const std::string& message) {
          write_log_line(format_log_line(is_error ? "error" : "info", message));
        });
    if (!impl->analytics->start(error)) {
      error = "analytics: " + error;
      return nullptr;
    }
    impl->audit_sink->set_committed_observer(
        [service = impl->analytics.get()](const storage::AuditEvent& record) { service->offer(record); });
  }
  if (cfg.discovery.enabled && impl->audit_store) {
    discovery::DiscoveryOptions options;
    options.sample_interval = cfg.discovery.sample_interval;
    options.max_sample_bytes = cfg.discovery.max_sample_bytes;
    options.persist_interval = cfg.discovery.persist_interval;
    options.max_entries = cfg.discovery.max_entries;
    impl->discovery = std::make_unique<discovery::DiscoveryService>(
        options, impl->audit_store.get(), [](bool is_error, const std::string& message) {
          write_log_line(format_log_line(is_error ? "error" : "info", message));
        });
    if (!impl->discovery->start(error)) {
      error = "discovery: " + error;
      return nullptr;
    }
    impl->shared.discovery = impl->discovery.get();
    if (cfg.discovery.scan_enabled && !load_admin_token(cfg.discovery.scan_token_file, impl->scan_token, error)) {
      error = "discovery.scan.token_file: " + error;
      return nullptr;
    }
  }
  if (!cfg.console.token_file.empty() && impl->audit_store &&
      !load_admin_token(cfg.console.token_file, impl->console_token, error)) {
    error = "console.token_file: " + error;
    return nullptr;
  }
  if (cfg.metrics.enabled && cfg.admin.enabled) {
    impl->metric_labels =
        std::make_unique<CallMetricLabels>(cfg.metrics.max_tables, cfg.metrics.tables, cfg.metrics.principals);
    impl->shared.metric_labels = impl->metric_labels.get();
  }
  impl->shared.stream_tables = &impl->stream_tables;
  impl->shared.key_schemas = &impl->key_schemas;
  impl->shared.audit = impl->audit_sink.get();
  if (!impl->start_rules_and_alerts(error)) return nullptr;
  if (!load_masking_secret(cfg.masking, impl->shared.mask_keys, error)) return nullptr;
  if (!cfg.audit.seal_key_file.empty() || !cfg.audit.seal_key_env.empty()) {
    std::string warning;
    if (!cfg.audit.seal_key_file.empty()) {
      impl->seal_key = storage::load_seal_key_file(cfg.audit.seal_key_file, error, &warning);
    } else if (const char* text = std::getenv(cfg.audit.seal_key_env.c_str()); text && *text) {
      impl->seal_key = storage::load_seal_key_text(text, error);
    } else {
      error = "the environment variable " + cfg.audit.seal_key_env + " is not set";
    }
    if (!impl->seal_key) {
      error = "audit seal key: " + error;
      return nullptr;
    }
    if (!warning.empty()) write_log_line(format_log_line("warn", "audit seal key", "\"warning\":" + json_string(warning)));
    impl->shared.seal_key = &*impl->seal_key;
  }

  for (const auto& listener : cfg.listeners) {
    BoundListener bound;
    bound.config = &listener;
    if (listener.tls) {
      bound.tls = make_server_tls_context(*listener.tls, error);
      if (!bound.tls) {
        error = "listener '" + listener.name + "': " + error;
        return nullptr;
      }
    }
    impl->listeners.push_back(std::move(bound));
  }
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

// The store, the file that keeps the count of unrecorded calls beside it,
// and the sink over both. A count a previous run left (it stopped while the
// store could not write) goes into the chain now, before any call.
bool Server::Impl::open_audit(std::string& error) {
  const auto& cfg = config;
  std::unique_ptr<storage::UnrecordedCallsFile> unrecorded;
  if (cfg.audit.enabled) {
    storage::StoreOptions options;
    options.path = cfg.audit.path;
    options.durability = cfg.audit.durability == AuditDurability::async       ? storage::Durability::async
                         : cfg.audit.durability == AuditDurability::write_ahead ? storage::Durability::write_ahead
                                                                                : storage::Durability::sync;
    options.failure_policy = cfg.audit.failure_policy == AuditFailurePolicy::fail_open
                                 ? storage::FailurePolicy::fail_open
                                 : storage::FailurePolicy::fail_closed;
    options.checkpoint_key_file = cfg.audit.checkpoint_key_file;
    options.checkpoint_active_interval = cfg.audit.checkpoint_active_interval;
    options.checkpoint_interval = cfg.audit.checkpoint_interval;
    options.checkpoint_every_records = cfg.audit.checkpoint_every_records;
    options.max_open_files = static_cast<int>(cfg.audit.max_open_files);
    add_witness_options(cfg.audit, alert_dispatcher.get(), options);
    audit_store = storage::AuditStore::open(options, error);
    if (!audit_store) {
      error = "audit store " + cfg.audit.path + ": " + error;
      return false;
    }
    unrecorded = storage::UnrecordedCallsFile::open(cfg.audit.unrecorded_file, error);
    if (!unrecorded) {
      error = "audit.unrecorded_file: " + error;
      return false;
    }
  }
  const auto previous = unrecorded ? unrecorded->at_open() : storage::UnrecordedCalls{};
  audit_sink = std::make_unique<AuditSink>(audit_store.get(), cfg.audit, std::move(unrecorded));
  if (previous.count > 0) {
    const bool written = audit_sink->record_previous_outage();
    write_log_line(format_log_line(
        written ? "warn" : "error",
        written ? "recorded the calls a previous run forwarded without a record"
                : "could not record the calls a previous run forwarded without a record; the count is kept",
        "\"unrecorded_calls\":" + std::to_string(previous.count) + ",\"file\":" + json_string(cfg.audit.unrecorded_file)));
  }
  return true;
}

asio::awaitable<std::pair<unsigned, std::string>> Server::Impl::discovery_scan(std::string table,
                                                                               std::size_t sample) {
  if (scan_running.exchange(true)) co_return std::pair<unsigned, std::string>{409, "{\"error\":\"a scan is running\"}"};
  const std::size_t limit = config.discovery.scan_max_items;
  const std::size_t items = sample == 0 ? limit : std::min(sample, limit);
  Worker& worker = *workers.front();
  auto result = co_await asio::co_spawn(worker.ioc, worker.handler->discovery_scan(std::move(table), items),
                                        asio::use_awaitable);
  // The pages are queued for the discovery thread: walked and saved now, so
  // that `discover list` right after shows them (bounded: a store that
  // cannot write does not hold the answer).
  bool saved = result.pages_sampled == 0;
  if (!saved) {
    const std::uint64_t wanted = discovery->save_soon();
    asio::steady_timer pause(main_ioc);
    for (int i = 0; i < 500 && !saved; ++i) {
      saved = discovery->saves() >= wanted;
      if (saved) break;
      pause.expires_after(std::chrono::milliseconds(20));
      error_code ec;
      co_await pause.async_wait(await_into(ec));
    }
  }
  scan_running = false;
  co_return std::pair<unsigned, std::string>{result.status, to_json(result, items, saved)};
}

asio::awaitable<std::pair<unsigned, std::string>> Server::Impl::console_event(std::string body) {
  const auto action = storage::console_action_from_json(body);
  auto record = action ? storage::make_console_record(*action) : std::nullopt;
  if (!record) co_return std::pair<unsigned, std::string>{400, "{\"error\":\"not a console action\"}"};
  const std::string event_id = record->event_id;
  const auto result = co_await audit_sink->record(std::move(*record));
  if (!result.ok) co_return std::pair<unsigned, std::string>{503, "{\"error\":\"the audit store could not record it\"}"};
  co_return std::pair<unsigned, std::string>{200, "{\"eventID\":\"" + event_id + "\",\"sequence\":" +
                                                      std::to_string(result.sequence) + "}"};
}

std::string Server::Impl::connections_json() const {
  const auto rejected = control.rejected_connections.load();
  const auto failed = control.accept_failures.load();
  return "{\"open\":" + std::to_string(control.connections.load()) +
         ",\"in_flight\":" + std::to_string(control.in_flight.load()) +
         ",\"refused_total\":" + std::to_string(rejected + failed) +
         ",\"refused_max_connections\":" + std::to_string(rejected) +
         ",\"refused_accept_failed\":" + std::to_string(failed) +
         ",\"max_connections\":" + std::to_string(config.limits.max_connections) +
         ",\"open_files\":" + std::to_string(open_file_count()) +
         ",\"open_files_limit\":" + std::to_string(file_limit.soft) + "}";
}

std::pair<std::string, std::string> Server::Impl::metrics_page(std::string_view accept) const {
  ServerSnapshot snapshot;
  snapshot.ready = ready && !control.draining && !audit_sink->refuses_calls();
  snapshot.draining = control.draining;
  snapshot.workers = workers.size();
  snapshot.open_connections = control.connections.load();
  snapshot.in_flight = control.in_flight.load();
  snapshot.max_connections = config.limits.max_connections;
  snapshot.refused_max_connections = control.rejected_connections.load();
  snapshot.refused_accept_failed = control.accept_failures.load();
  snapshot.accepted_connections = control.accepted_connections.load();
  snapshot.tls_handshakes = control.tls_handshakes.load();
  snapshot.tls_handshake_failures = control.tls_handshake_failures.load();
  snapshot.open_files_limit = file_limit.soft;
  snapshot.audit_enabled = audit_store != nullptr;
  if (audit_store) snapshot.store = audit_store->stats();
  snapshot.unrecorded_calls = audit_sink->unrecorded();
  snapshot.refusing_calls = audit_sink->refuses_calls();
  if (rule_engine) snapshot.rules = rule_engine->status();
  if (upstream_credentials) {
    snapshot.credential_source = upstream_credentials->describe();
    snapshot.credentials = upstream_credentials->refresh_stats();
  }
  if (alert_dispatcher) snapshot.alert_channels = alert_dispatcher->stats();
  if (analytics) snapshot.analytics = analytics->stats();
  if (discovery) snapshot.discovery = discovery->stats();
  snapshot.started = started;
  for (const auto& listener : listeners)
    if (listener.tls)
      if (auto not_after = certificate_not_after(*listener.tls))
        snapshot.certificate_expiry.emplace_back(listener.config->name, *not_after);
  std::vector<const CallMetrics*> per_worker;
  for (const auto& worker : workers)
    if (const auto* m = worker->handler->metrics()) per_worker.push_back(m);
  const auto format = metrics::format_for_accept(accept);
  return {render_metrics(snapshot, per_worker, metric_labels.get(), format, extra_metrics),
          std::string(metrics::content_type(format))};
}

// Rule files must validate and every alert they raise must name a
// configured channel, or the proxy does not start: a policy that silently
// does less than it says is worse than none.
bool Server::Impl::start_rules_and_alerts(std::string& error) {
  auto& impl = *this;
  const auto& cfg = impl.config;
  if (cfg.rules.files.empty()) return true;
  auto [engine, errors] = rules::RuleEngine::create(cfg.rules.files, engine_settings(cfg.rules));
  if (!engine) {
    error = "rules:";
    for (const auto& e : errors) error += "\n  " + rules::format(e);
    return false;
  }
  if (auto problem = unknown_alert_channel(*engine->current(), cfg.alerts); !problem.empty()) {
    error = "rules: " + problem;
    return false;
  }
  // A reload must not introduce a rule that alerts nowhere either.
  engine->set_validator([&cfg](const rules::RuleSnapshot& snapshot) { return unknown_alert_channel(snapshot, cfg.alerts); });
  // Every load and reload goes into the chain: which rules were in force
  // when is evidence, not a log line that rotates away.
  if (impl.audit_sink->enabled()) {
    const auto record = [sink = impl.audit_sink.get()](const rules::RuleLoadAttempt& attempt) {
      storage::RulesChange change;
      change.time = attempt.time;
      change.trigger = attempt.trigger;
      change.applied = attempt.ok;
      change.rules = attempt.rules;
      change.fingerprint = attempt.fingerprint;
      change.files = attempt.files;
      change.errors = attempt.errors;
      sink->record_detached(storage::make_rules_change_record(change));
    };
    record(engine->start_attempt());
    engine->set_reload_observer(record);
  }
  if (cfg.rules.watch) engine->watch(cfg.rules.watch_interval);
  impl.rule_engine = std::move(engine);
  impl.shared.rules = impl.rule_engine.get();
  return true;
}

std::string alerts_status_json(const alerts::AlertDispatcher* dispatcher) {
  std::string json = "{\"channels\":{";
  if (dispatcher) {
    bool first = true;
    for (const auto& [name, st] : dispatcher->stats()) {
      if (!first) json += ',';
      first = false;
      json += json_string(name) + ":{\"submitted\":" + std::to_string(st.submitted) +
              ",\"delivered\":" + std::to_string(st.delivered) + ",\"retried\":" + std::to_string(st.retried) +
              ",\"failed\":" + std::to_string(st.failed) + ",\"dropped\":" + std::to_string(st.dropped) +
              ",\"suppressed\":" + std::to_string(st.suppressed) + "}";
    }
  }
  return json + "}}";
}

// The masking secret: from a file or an environment variable (at least 32
// bytes of it), else random for this process only — hash tokens then
// change at every restart and pagination tokens die with the process,
// which the start-up log says.
bool load_masking_secret(const MaskingConfig& config, masking::MaskKeys& keys, std::string& error) {
  std::string secret;
  if (!config.key_file.empty()) {
    std::ifstream in(config.key_file, std::ios::binary);
    if (!in) {
      error = "masking.key_file " + config.key_file + ": cannot be read";
      return false;
    }
    secret.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  } else if (!config.key_env.empty()) {
    const char* value = std::getenv(config.key_env.c_str());
    if (!value || !*value) {
      error = "masking.key_env: the environment variable " + config.key_env + " is not set";
      return false;
    }
    secret = value;
  }
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
  if (!config.key_file.empty() || !config.key_env.empty()) {
    if (secret.size() < 32) {
      error = "masking: the key must be at least 32 bytes (e.g. `openssl rand -hex 32`)";
      return false;
    }
  } else {
    secret.resize(32);
    RAND_bytes(reinterpret_cast<unsigned char*>(secret.data()), static_cast<int>(secret.size()));
  }
  keys = derive_mask_keys(secret);
  OPENSSL_cleanse(secret.data(), secret.size());
  return true;
}

bool Server::Impl::bind_all(std::string& error) {
  for (unsigned i = 0; i < config.workers; ++i) {
    auto worker = std::make_unique<Worker>();
    worker->handler = std::make_unique<RequestHandler>(shared, worker->ioc.get_executor());
    workers.push_back(std::move(worker));
  }
  for (auto& listener : listeners) {
    if (!bind_listener(listener, error)) {
      error = "listener '" + listener.config->name + "': " + error;
      return false;
    }
  }
  if (config.admin.enabled) {
    error_code ec;
    auto address = asio::ip::make_address(config.admin.address, ec);
    if (ec) {
      error = "admin.address '" + config.admin.address + "': " + ec.message();
      return false;
    }
    admin_acceptor = std::make_unique<tcp::acceptor>(main_ioc);
    if (!open_acceptor(*admin_acceptor, tcp::endpoint(address, config.admin.port), false, error)) {
      error = "admin: " + error;
      return false;
    }
    admin_port = admin_acceptor->local_endpoint().port();
  }
  return true;
}

// The port is claimed for this process first (a bind without SO_REUSEPORT
// fails while anyone holds it), then each worker binds its own acceptor to
// it with SO_REUSEPORT, and /proc/net/tcp must then show no other process
// on it: the kernel would otherwise split the calls between two proxies and
// two audit logs.
bool Server::Impl::bind_listener(BoundListener& listener, std::string& error) {
  error_code ec;
  const auto address = asio::ip::make_address(listener.config->address, ec);
  if (ec) {
    error = "address '" + listener.config->address + "': " + ec.message();
    return false;
  }
  listener.port = claim_port(tcp::endpoint(address, listener.config->port), error);
  if (listener.port == 0) return false;
  const tcp::endpoint endpoint(address, listener.port);
  for (auto& worker : workers) {
    auto acceptor = std::make_unique<tcp::acceptor>(worker->ioc);
    if (!open_acceptor(*acceptor, endpoint, true, error)) return false;
    worker->acceptors.push_back(std::move(acceptor));
  }
  return port_held_only_by_us(endpoint, error);
}

void Server::Impl::write_ready_file(const std::string& path) {
  if (path.empty()) return;
  std::string json = "{\"listeners\":[";
  for (std::size_t i = 0; i < listeners.size(); ++i) {
    const auto& l = listeners[i];
    if (i) json += ',';
    json += "{\"name\":" + json_string(l.config->name) + ",\"address\":" + json_string(l.config->address) +
            ",\"port\":" + std::to_string(l.port) + ",\"tls\":" + (l.tls ? "true" : "false") + "}";
  }
  json += "]";
  if (admin_acceptor)
    json += ",\"admin\":{\"address\":" + json_string(config.admin.address) + ",\"port\":" + std::to_string(admin_port) + "}";
  json += ",\"pid\":" + std::to_string(::getpid()) + "}\n";
  // Written to a temporary name and renamed, so a reader never sees half.
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << json;
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
}

void Server::Impl::start_drain() {
  if (control.draining.exchange(true)) return;
  write_log_line(format_log_line("info", "draining", "\"in_flight\":" + std::to_string(control.in_flight.load()) +
                                                        ",\"connections\":" + std::to_string(control.connections.load())));
  // The admin endpoint stays open: /readyz answers 503 (so load balancers
  // stop sending) and /healthz 200 until the process exits.
  for (auto& worker : workers) {
    asio::post(worker->ioc, [w = worker.get()] {
      for (auto& acceptor : w->acceptors) {
        error_code ignored;
        acceptor->close(ignored);
      }
      w->sessions.close_idle();
    });
  }
}

int Server::run(const ServeOptions& options) {
  auto& s = *impl_;
  std::string error;
  if (!s.bind_all(error)) {
    write_log_line(format_log_line("error", "cannot listen", "\"error\":" + json_string(error)));
    return 1;
  }
  for (auto& worker : s.workers) {
    for (std::size_t i = 0; i < worker->acceptors.size(); ++i)
      asio::co_spawn(worker->ioc,
                     accept_loop(*worker->acceptors[i], s.listeners[i], *worker, s.control, s.config.limits,
                                 s.refusals),
                     asio::detached);
  }
  if (s.admin_acceptor)
    asio::co_spawn(s.main_ioc,
                   run_admin_listener(*s.admin_acceptor,
                                      AdminStatus{[&s] {
                                                    // Not ready while fail-closed refuses calls: route traffic elsewhere.
                                                    return s.ready && !s.control.draining && !s.audit_sink->refuses_calls();
                                                  },
                                                  [&s] {
                                                    return s.rule_engine ? s.rule_engine->status_json()
                                                                         : std::string("{\"rules\":0,\"files\":[]}");
                                                  },
                                                  [&s] { return alerts_status_json(s.alert_dispatcher.get()); },
                                                  [&s] { return s.connections_json(); },
                                                  s.metric_labels ? std::function<std::pair<std::string, std::string>(
                                                                        std::string_view)>(
                                                                        [&s](std::string_view accept) {
                                                                          return s.metrics_page(accept);
                                                                        })
                                                                  : nullptr,
                                                  s.scan_token.empty()
                                                      ? nullptr
                                                      : std::function<asio::awaitable<std::pair<unsigned, std::string>>(
                                                            std::string, std::size_t)>(
                                                            [&s](std::string table, std::size_t sample) {
                                                              return s.discovery_scan(std::move(table), sample);
                                                            }),
                                                  s.scan_token,
                                                  s.console_token.empty()
                                                      ? nullptr
                                                      : std::function<asio::awaitable<std::pair<unsigned, std::string>>(
                                                            std::string)>([&s](std::string body) {
                                                          return s.console_event(std::move(body));
                                                        }),
                                                  s.console_token}),
                   asio::detached);

  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
  for (auto& worker : s.workers) {
    guards.emplace_back(worker->ioc.get_executor());
    worker->thread = std::thread([w = worker.get()] { w->ioc.run(); });
  }

  // Drain on SIGTERM/SIGINT: poll until nothing is in flight or the deadline.
  asio::signal_set signals(s.main_ioc, SIGTERM, SIGINT);
  asio::steady_timer drain_timer(s.main_ioc);
  std::chrono::steady_clock::time_point drain_deadline{};
  std::function<void()> poll_drain = [&] {
    const bool idle = s.control.connections.load() == 0 && s.control.in_flight.load() == 0;
    if (idle || std::chrono::steady_clock::now() >= drain_deadline) {
      if (!idle)
        write_log_line(format_log_line("warn", "drain deadline reached",
                                       "\"in_flight\":" + std::to_string(s.control.in_flight.load())));
      s.main_ioc.stop();
      return;
    }
    // Idle keep-alive sessions that finished a request since the last look.
    for (auto& worker : s.workers) asio::post(worker->ioc, [w = worker.get()] { w->sessions.close_idle(); });
    drain_timer.expires_after(std::chrono::milliseconds(20));
    drain_timer.async_wait([&](const error_code&) { poll_drain(); });
  };
  // SIGHUP reloads the rules; a file that fails validation keeps the old
  // rules running (RuleEngine logs which and why).
  asio::signal_set hangup(s.main_ioc, SIGHUP);
  std::function<void()> await_hangup = [&] {
    hangup.async_wait([&](const error_code& ec, int) {
      if (ec) return;
      if (s.rule_engine) s.rule_engine->reload();
      else write_log_line(format_log_line("info", "SIGHUP: no rule files configured"));
      await_hangup();
    });
  };
  await_hangup();
  signals.async_wait([&](const error_code& ec, int) {
    if (ec) return;
    hangup.cancel();
    drain_deadline = std::chrono::steady_clock::now() + s.config.drain_timeout;
    s.start_drain();
    poll_drain();
  });

  s.ready = true;
  s.write_ready_file(options.ready_file);
  std::string fields = "\"listeners\":[";
  for (std::size_t i = 0; i < s.listeners.size(); ++i) {
    if (i) fields += ',';
    fields += json_string(std::string(s.listeners[i].tls ? "https://" : "http://") + s.listeners[i].config->address +
                          ":" + std::to_string(s.listeners[i].port));
  }
  fields += "],\"admin_port\":" + std::to_string(s.admin_port) + ",\"workers\":" + std::to_string(s.workers.size()) +
            ",\"auth\":\"" + (s.config.auth.mode == AuthMode::verify ? "verify" : "trust") +
            "\",\"upstream\":" + json_string(s.config.upstream.endpoint) +
            ",\"upstream_credentials\":" + json_string(s.upstream_credentials->describe()) +
            ",\"audit\":" + json_string(s.audit_store ? s.config.audit.path : "disabled") +
            ",\"audit_witness\":" + json_string(s.config.audit.witness.file.empty() ? "none" : s.config.audit.witness.file) +
            ",\"open_files_limit\":" + std::to_string(s.file_limit.soft) +
            (s.file_limit.error.empty() ? std::string() : ",\"open_files_limit_error\":" + json_string(s.file_limit.error)) +
            ",\"rules\":" + std::to_string(s.rule_engine ? s.rule_engine->current()->rules().size() : 0) +
            ",\"alert_channels\":" + std::to_string(s.config.alerts.channels.size()) +
            ",\"masking_key\":\"" +
            (s.config.masking.key_file.empty() && s.config.masking.key_env.empty() ? "random per process" : "configured") +
            "\",\"audit_seal_key\":" + json_string(s.seal_key ? s.seal_key->id : "none");
  write_log_line(format_log_line("info", "dynaudit serving", fields));

  s.main_ioc.run();

  for (auto& worker : s.workers) {
    asio::post(worker->ioc, [w = worker.get()] { w->handler->close_idle_upstreams(); });
  }
  guards.clear();
  for (auto& worker : s.workers) {
    worker->ioc.stop();
    if (worker->thread.joinable()) worker->thread.join();
  }
  // Calls the drain deadline cut short while the upstream had them: each
  // gets its record now, outcome unknown (their frames are still there:
  // the workers' io_contexts are stopped, not destroyed).
  if (const auto cut_short = s.audit_sink->record_cut_short_calls())
    write_log_line(format_log_line("warn", "recorded calls the drain deadline cut short",
                                   "\"calls\":" + std::to_string(cut_short) + ",\"outcome\":\"unknown\""));
  // Companions that read the store (the fleet agent) stop before it closes.
  for (const auto& stop : s.stop_hooks) stop();
  // The analyser's last anomalies and baselines go into the store before it
  // closes (records still in the store's queue are committed but no longer
  // analysed: counted as dropped).
  if (s.analytics) s.analytics->stop();
  if (s.discovery) s.discovery->stop();
  // Close the store while the workers' io_contexts still exist: draining its
  // queue completes appends whose continuations are posted to them.
  s.audit_store.reset();
  write_log_line(format_log_line("info", "stopped", "\"in_flight\":" + std::to_string(s.control.in_flight.load())));
  return 0;
}

}  // namespace dynaudit::proxy
