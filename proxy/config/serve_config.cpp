// Loads and validates the `dynaudit serve` YAML configuration. Every problem
// is reported with file, line and key; all are collected before failing so
// that an operator fixes a file in one pass.
#include "proxy/config/serve_config.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "ddb/table_reference.hpp"
#include "proxy/config/analytics_config.hpp"
#include "proxy/config/audit_witness_config.hpp"
#include "proxy/config/yaml_reader.hpp"

namespace dynaudit::proxy {
namespace {

std::string resolve_path(const std::string& base_dir, const std::string& path) {
  if (path.empty() || base_dir.empty()) return path;
  std::filesystem::path p(path);
  if (p.is_absolute()) return path;
  return (std::filesystem::path(base_dir) / p).lexically_normal().string();
}

std::string env_or(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value && *value ? std::string(value) : fallback;
}

void read_listeners(YamlMap& root, ServeConfig& config, const std::string& base_dir) {
  auto node = root.child("listeners");
  if (!node) return;
  if (!node.IsSequence() || node.size() == 0) {
    root.errors().add(node, "listeners", "must be a non-empty list");
    return;
  }
  config.listeners.clear();
  std::set<std::string> names;
  for (std::size_t i = 0; i < node.size(); ++i) {
    const std::string path = "listeners[" + std::to_string(i) + "]";
    YamlMap map(node[i], path, root.errors());
    ListenerConfig listener;
    listener.name = "listener-" + std::to_string(i);
    map.read("name", listener.name);
    map.read("address", listener.address);
    map.read_port("port", listener.port);
    if (map.has("tls")) {
      YamlMap tls(map.child("tls"), path + ".tls", root.errors());
      TlsFiles files;
      tls.require("cert_file");
      tls.require("key_file");
      tls.read("cert_file", files.cert_file);
      tls.read("key_file", files.key_file);
      files.cert_file = resolve_path(base_dir, files.cert_file);
      files.key_file = resolve_path(base_dir, files.key_file);
      tls.finish();
      listener.tls = files;
    }
    map.finish();
    if (!names.insert(listener.name).second)
      root.errors().add(node[i], path + ".name", "duplicate listener name '" + listener.name + "'");
    config.listeners.push_back(std::move(listener));
  }
}

void read_credentials(YamlMap& parent, const std::string& path, UpstreamCredentialSettings& settings,
                      const std::string& base_dir) {
  YamlMap map(parent.child("credentials"), path, parent.errors());
  std::string source = "chain";
  map.read_choice("source", source, {"chain", "static", "environment", "profile", "ecs", "imds"});
  if (source == "chain") settings.source = CredentialSource::chain;
  else if (source == "static") settings.source = CredentialSource::static_keys;
  else if (source == "environment") settings.source = CredentialSource::environment;
  else if (source == "profile") settings.source = CredentialSource::profile;
  else if (source == "ecs") settings.source = CredentialSource::ecs;
  else settings.source = CredentialSource::imds;
  if (settings.source == CredentialSource::static_keys) {
    map.require("access_key_id");
    map.require("secret_access_key");
  }
  map.read("access_key_id", settings.static_credentials.access_key_id);
  map.read("secret_access_key", settings.static_credentials.secret_access_key);
  map.read("session_token", settings.static_credentials.session_token);
  map.read("profile", settings.profile);
  map.read("shared_credentials_file", settings.shared_credentials_file);
  settings.shared_credentials_file = resolve_path(base_dir, settings.shared_credentials_file);
  map.read("imds_endpoint", settings.imds_endpoint);
  std::chrono::milliseconds refresh = settings.refresh_before_expiry;
  map.read_duration("refresh_before_expiry", refresh);
  settings.refresh_before_expiry = std::chrono::duration_cast<std::chrono::seconds>(refresh);
  map.finish();
}

void read_upstream_credentials(YamlMap& upstream, UpstreamConfig& out, const std::string& base_dir) {
  if (!upstream.has("credentials")) return;
  read_credentials(upstream, "upstream.credentials", out.credentials, base_dir);
}

void read_fleet(YamlMap& root, FleetConfig& f, const std::string& base_dir) {
  if (!root.has("fleet")) return;
  YamlMap map(root.child("fleet"), "fleet", root.errors());
  map.read("enabled", f.enabled);
  map.read("proxy_id", f.proxy_id);
  map.read("endpoint", f.endpoint);
  map.read("region", f.region);
  map.read("table", f.table);
  // Calls name the table by name or ARN and are compared by name: so is this.
  if (auto name = ddb::table_name_from_name_or_arn(f.table)) f.table = std::string(*name);
  map.read("ca_file", f.ca_file);
  f.ca_file = resolve_path(base_dir, f.ca_file);
  if (map.has("credentials")) {
    f.own_credentials = true;
    read_credentials(map, "fleet.credentials", f.credentials, base_dir);
  }
  map.read_duration("request_timeout", f.request_timeout);
  map.read_count("round_records", f.round_records, 25, 100'000);
  map.read_count("parallel_batches", f.parallel_batches, 1, 32);
  map.read_duration("ship_interval", f.ship_interval);
  map.read_duration("heartbeat_interval", f.heartbeat_interval);
  map.read_duration("retry_initial", f.retry_initial);
  map.read_duration("retry_max", f.retry_max);
  map.read_duration("retention", f.retention);
  map.read("cursor_file", f.cursor_file);
  f.cursor_file = resolve_path(base_dir, f.cursor_file);
  if (map.has("rules")) {
    YamlMap rules(map.child("rules"), "fleet.rules", root.errors());
    rules.read("pull", f.rules.pull);
    rules.read("file", f.rules.file);
    rules.read("public_key_file", f.rules.public_key_file);
    rules.read_duration("poll_interval", f.rules.poll_interval);
    rules.finish();
    f.rules.file = resolve_path(base_dir, f.rules.file);
    f.rules.public_key_file = resolve_path(base_dir, f.rules.public_key_file);
  }
  map.finish();
  const auto positive = [&](const char* key, Millis value) {
    if (value.count() <= 0) root.errors().add_plain(root.errors().source() + ": fleet." + key + ": must be more than 0");
  };
  positive("request_timeout", f.request_timeout);
  positive("ship_interval", f.ship_interval);
  positive("heartbeat_interval", f.heartbeat_interval);
  positive("retry_initial", f.retry_initial);
  positive("rules.poll_interval", f.rules.poll_interval);
  if (f.retry_max < f.retry_initial)
    root.errors().add_plain(root.errors().source() + ": fleet.retry_max: must not be below retry_initial");
  if (f.enabled && f.endpoint.empty())
    root.errors().add_plain(root.errors().source() + ": fleet.endpoint: required when fleet.enabled is true");
  if (f.rules.pull && (f.rules.file.empty() || f.rules.public_key_file.empty()))
    root.errors().add_plain(root.errors().source() +
                            ": fleet.rules: pull needs file (one of rules.files) and public_key_file");
}

void read_rules(YamlMap& root, RulesConfig& out, const std::string& base_dir) {
  if (!root.has("rules")) return;
  YamlMap map(root.child("rules"), "rules", root.errors());
  map.read_list("files", out.files);
  for (auto& file : out.files) file = resolve_path(base_dir, file);
  std::string effect = "allow";
  map.read_choice("default_effect", effect, {"allow", "deny"});
  out.default_effect = effect == "deny" ? rules::Effect::deny : rules::Effect::allow;
  std::string level = "metadata";
  map.read_choice("default_audit", level, {"none", "metadata", "full"});
  out.default_audit_level = level == "none" ? rules::AuditLevel::none
                            : level == "full" ? rules::AuditLevel::full
                                              : rules::AuditLevel::metadata;
  if (out.default_effect == rules::Effect::deny && out.files.empty())
    map.errors().add(map.child("default_effect"), "rules.default_effect",
                     "deny needs rule files that allow something (rules.files is empty)");
  map.read("watch", out.watch);
  map.read_duration("watch_interval", out.watch_interval);
  if (out.watch_interval < Millis{100})
    map.errors().add(map.child("watch_interval"), "rules.watch_interval", "must be at least 100ms");
  map.finish();
}

alerts::ChannelKind channel_kind(const std::string& type) {
  if (type == "slack") return alerts::ChannelKind::slack;
  if (type == "teams") return alerts::ChannelKind::teams;
  if (type == "syslog-udp") return alerts::ChannelKind::syslog_udp;
  if (type == "syslog-tcp") return alerts::ChannelKind::syslog_tcp;
  if (type == "file") return alerts::ChannelKind::file;
  return alerts::ChannelKind::webhook;
}

bool is_http_url(const std::string& url) { return url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0; }

void read_alert_channel(const YAML::Node& node, const std::string& path, YamlErrors& errors,
                        const std::string& base_dir, alerts::ChannelConfig& channel) {
  YamlMap map(node, path, errors);
  map.require("name");
  map.require("type");
  map.read("name", channel.name);
  std::string type = "webhook";
  map.read_choice("type", type, {"webhook", "slack", "teams", "syslog-udp", "syslog-tcp", "file"});
  channel.kind = channel_kind(type);
  const bool http = type == "webhook" || type == "slack" || type == "teams";
  if (http) {
    map.require("url");
    map.read("url", channel.url);
    if (!channel.url.empty() && !is_http_url(channel.url))
      errors.add(map.child("url"), path + ".url", "must start with http:// or https://");
    map.read("ca_file", channel.ca_file);
    channel.ca_file = resolve_path(base_dir, channel.ca_file);
    if (map.has("headers")) {
      const YAML::Node headers = map.child("headers");
      if (!headers.IsMap()) {
        errors.add(headers, path + ".headers", "must be a mapping of header name to value");
      } else {
        for (const auto& entry : headers) {
          channel.headers.emplace_back(entry.first.as<std::string>(""), entry.second.as<std::string>(""));
        }
      }
    }
  } else if (type == "file") {
    map.require("path");
    map.read("path", channel.path);
    channel.path = resolve_path(base_dir, channel.path);
  } else {
    map.read("host", channel.host);
    map.read_port("port", channel.port);
    unsigned facility = static_cast<unsigned>(channel.facility);
    map.read_count("facility", facility, 0, 23);
    channel.facility = static_cast<int>(facility);
    map.read("app_name", channel.app_name);
  }
  map.read_duration("timeout", channel.timeout);
  map.read_count("max_attempts", channel.max_attempts, 1, 20);
  map.read_duration("initial_backoff", channel.initial_backoff);
  map.read_duration("max_backoff", channel.max_backoff);
  map.read_count("queue_capacity", channel.queue_capacity, 1, 1'000'000);
  map.finish();
}

void read_alerts(YamlMap& root, AlertsConfig& out, const std::string& base_dir) {
  if (!root.has("alerts")) return;
  YamlMap map(root.child("alerts"), "alerts", root.errors());
  const YAML::Node channels = map.child("channels");
  if (channels && !channels.IsSequence()) {
    root.errors().add(channels, "alerts.channels", "must be a list of channels");
  } else if (channels) {
    std::set<std::string> names;
    for (std::size_t i = 0; i < channels.size(); ++i) {
      const std::string path = "alerts.channels[" + std::to_string(i) + "]";
      alerts::ChannelConfig channel;
      read_alert_channel(channels[i], path, root.errors(), base_dir, channel);
      if (!channel.name.empty() && !names.insert(channel.name).second)
        root.errors().add(channels[i], path + ".name", "duplicate channel name '" + channel.name + "'");
      out.channels.push_back(std::move(channel));
    }
  }
  map.finish();
}

bool valid_endpoint(const std::string& endpoint) {
  auto scheme_end = endpoint.find("://");
  if (scheme_end == std::string::npos) return false;
  auto scheme = endpoint.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") return false;
  auto rest = endpoint.substr(scheme_end + 3);
  if (rest.empty() || rest.front() == '/' || rest.front() == ':') return false;
  auto slash = rest.find('/');
  return slash == std::string::npos || rest.substr(slash) == "/";
}

void read_document(const YAML::Node& doc, ServeConfig& config, YamlErrors& errors,
                   const std::string& base_dir) {
  YamlMap root(doc, "", errors);
  if (!root.valid()) return;
  read_listeners(root, config, base_dir);

  if (root.has("admin")) {
    YamlMap admin(root.child("admin"), "admin", errors);
    admin.read("enabled", config.admin.enabled);
    admin.read("address", config.admin.address);
    admin.read_port("port", config.admin.port);
    admin.finish();
  }
  if (root.has("metrics")) {
    YamlMap metrics(root.child("metrics"), "metrics", errors);
    metrics.read("enabled", config.metrics.enabled);
    metrics.read_count("max_tables", config.metrics.max_tables, 0, 10'000);
    metrics.read_list("tables", config.metrics.tables);
    metrics.read_list("principals", config.metrics.principals);
    metrics.finish();
  }
  root.read_count("workers", config.workers, 0, 256);

  if (root.has("limits")) {
    YamlMap limits(root.child("limits"), "limits", errors);
    auto& l = config.limits;
    limits.read_count("max_header_bytes", l.max_header_bytes, 1024, 1024 * 1024);
    limits.read_count("max_body_bytes", l.max_body_bytes, 1024, 256 * 1024 * 1024);
    limits.read_duration("header_timeout", l.header_timeout);
    limits.read_duration("body_timeout", l.body_timeout);
    limits.read_duration("idle_timeout", l.idle_timeout);
    limits.read_count("max_connections", l.max_connections, 1, 1'000'000);
    limits.read_duration("error_drain_timeout", l.error_drain_timeout);
    limits.read_count("error_drain_bytes", l.error_drain_bytes, 0, 1024 * 1024 * 1024);
    limits.finish();
  }

  if (root.has("auth")) {
    YamlMap auth(root.child("auth"), "auth", errors);
    std::string mode = "trust";
    auth.read_choice("mode", mode, {"trust", "verify"});
    config.auth.mode = mode == "verify" ? AuthMode::verify : AuthMode::trust;
    if (config.auth.mode == AuthMode::verify) auth.require("credentials_file");
    auth.read("credentials_file", config.auth.credentials_file);
    config.auth.credentials_file = resolve_path(base_dir, config.auth.credentials_file);
    auth.read_list("allowed_regions", config.auth.allowed_regions);
    std::chrono::milliseconds skew = config.auth.max_clock_skew;
    auth.read_duration("max_clock_skew", skew);
    config.auth.max_clock_skew = std::chrono::duration_cast<std::chrono::seconds>(skew);
    auth.finish();
  }

  if (root.has("upstream")) {
    YamlMap upstream(root.child("upstream"), "upstream", errors);
    auto& u = config.upstream;
    upstream.read("endpoint", u.endpoint);
    upstream.read("region", u.region);
    upstream.read("ca_file", u.ca_file);
    u.ca_file = resolve_path(base_dir, u.ca_file);
    upstream.read_duration("connect_timeout", u.connect_timeout);
    upstream.read_duration("response_timeout", u.response_timeout);
    upstream.read_count("max_idle_connections", u.max_idle_connections, 0, 100'000);
    upstream.read_duration("idle_connection_timeout", u.idle_connection_timeout);
    if (u.idle_connection_timeout.count() <= 0)
      upstream.errors().add(upstream.child("idle_connection_timeout"), "upstream.idle_connection_timeout",
                            "must be more than 0 (set max_idle_connections: 0 to keep no idle connection)");
    upstream.read_count("max_response_bytes", u.max_response_bytes, 1024, 1024ull * 1024 * 1024);
    upstream.read("forward_unknown_operations", u.forward_unknown_operations);
    read_upstream_credentials(upstream, u, base_dir);
    upstream.finish();
  }

  {
    // Read even when absent so the default path is resolved like a given one.
    YamlMap audit(root.child("audit"), "audit", errors);
    auto& a = config.audit;
    audit.read("enabled", a.enabled);
    audit.read("path", a.path);
    std::string durability = "sync";
    audit.read_choice("durability", durability, {"async", "sync", "write-ahead"});
    a.durability = durability == "async" ? AuditDurability::async
                   : durability == "write-ahead" ? AuditDurability::write_ahead
                                                 : AuditDurability::sync;
    std::string policy = "fail-closed";
    audit.read_choice("failure_policy", policy, {"fail-closed", "fail-open"});
    a.failure_policy = policy == "fail-open" ? AuditFailurePolicy::fail_open : AuditFailurePolicy::fail_closed;
    audit.read("account_id", a.account_id);
    audit.read("checkpoint_key_file", a.checkpoint_key_file);
    audit.read_duration("checkpoint_active_interval", a.checkpoint_active_interval);
    audit.read_duration("checkpoint_interval", a.checkpoint_interval);
    audit.read_count("checkpoint_every_records", a.checkpoint_every_records, 1, 1'000'000'000);
    audit.read("seal_key_file", a.seal_key_file);
    audit.read("seal_key_env", a.seal_key_env);
    a.seal_key_file = resolve_path(base_dir, a.seal_key_file);
    if (!a.seal_key_file.empty() && !a.seal_key_env.empty())
      audit.errors().add(audit.child("seal_key_env"), "audit.seal_key_env", "give seal_key_file or seal_key_env, not both");
    a.path = resolve_path(base_dir, a.path);
    a.checkpoint_key_file = resolve_path(base_dir, a.checkpoint_key_file);
    if (a.enabled && a.path.empty()) audit.errors().add(audit.child("path"), "audit.path", "must not be empty");
    read_checkpoint_cadence_and_witness(audit, a, base_dir);
    read_store_resilience(audit, a, base_dir);
    audit.finish();
  }

  read_rules(root, config.rules, base_dir);
  read_alerts(root, config.alerts, base_dir);
  check_witness_channel(root, config);
  read_analytics(root, config.analytics);
  if (root.has("discovery")) {
    YamlMap d(root.child("discovery"), "discovery", errors);
    d.read("enabled", config.discovery.enabled);
    d.read_duration("sample_interval", config.discovery.sample_interval);
    d.read_count("max_sample_bytes", config.discovery.max_sample_bytes, 1024, 16 * 1024 * 1024);
    d.read_duration("persist_interval", config.discovery.persist_interval);
    if (config.discovery.persist_interval < Millis(1'000))
      errors.add_plain(errors.source() + ": discovery.persist_interval: at least 1s");
    d.read_count("max_entries", config.discovery.max_entries, 1, 1'000'000);
    if (d.has("scan")) {
      YamlMap scan(d.child("scan"), "discovery.scan", errors);
      scan.read("enabled", config.discovery.scan_enabled);
      scan.read("token_file", config.discovery.scan_token_file);
      scan.read_count("max_items", config.discovery.scan_max_items, 1, 100'000);
      scan.finish();
      config.discovery.scan_token_file = resolve_path(base_dir, config.discovery.scan_token_file);
      if (config.discovery.scan_enabled && config.discovery.scan_token_file.empty())
        errors.add_plain(errors.source() + ": discovery.scan.token_file: required when discovery.scan.enabled is true");
    }
    d.finish();
  }
  if (root.has("console")) {
    YamlMap c(root.child("console"), "console", errors);
    c.read("address", config.console.address);
    c.read_port("port", config.console.port);
    c.read("users_file", config.console.users_file);
    config.console.users_file = resolve_path(base_dir, config.console.users_file);
    c.read("token_file", config.console.token_file);
    c.read("tls_cert_file", config.console.tls.cert_file);
    c.read("tls_key_file", config.console.tls.key_file);
    config.console.tls.cert_file = resolve_path(base_dir, config.console.tls.cert_file);
    config.console.tls.key_file = resolve_path(base_dir, config.console.tls.key_file);
    if (config.console.tls.cert_file.empty() != config.console.tls.key_file.empty())
      errors.add_plain(errors.source() + ": console: give tls_cert_file and tls_key_file together");
    config.console.token_file = resolve_path(base_dir, config.console.token_file);
    c.read_duration("session_lifetime", config.console.session_lifetime);
    c.read_count("max_login_failures", config.console.max_login_failures, 1, 1000);
    c.read_duration("login_window", config.console.login_window);
    c.finish();
  }
  read_fleet(root, config.fleet, base_dir);
  check_analytics_channels(root, config);
  if (root.has("masking")) {
    YamlMap masking(root.child("masking"), "masking", errors);
    masking.read("key_file", config.masking.key_file);
    masking.read("key_env", config.masking.key_env);
    config.masking.key_file = resolve_path(base_dir, config.masking.key_file);
    if (!config.masking.key_file.empty() && !config.masking.key_env.empty())
      errors.add(masking.child("key_env"), "masking.key_env", "give key_file or key_env, not both");
    masking.finish();
  }

  if (root.has("shutdown")) {
    YamlMap shutdown(root.child("shutdown"), "shutdown", errors);
    shutdown.read_duration("drain_timeout", config.drain_timeout);
    shutdown.finish();
  }
  if (root.has("logging")) {
    YamlMap logging(root.child("logging"), "logging", errors);
    logging.read("requests", config.log_requests);
    logging.finish();
  }
  root.finish();
}

// Fills what the file left out from the environment, the way the AWS SDKs
// find their endpoint and region, then checks the whole.
void complete_and_check(ServeConfig& config, YamlErrors& errors) {
  if (config.upstream.region.empty())
    config.upstream.region = env_or("AWS_REGION", env_or("AWS_DEFAULT_REGION", ""));
  if (config.upstream.endpoint.empty()) {
    config.upstream.endpoint = env_or("AWS_ENDPOINT_URL_DYNAMODB", "");
    if (config.upstream.endpoint.empty() && !config.upstream.region.empty())
      config.upstream.endpoint = "https://dynamodb." + config.upstream.region + ".amazonaws.com";
  }
  if (config.upstream.endpoint.empty())
    errors.add_plain(errors.source() +
                     ": upstream.endpoint: not set, and neither AWS_ENDPOINT_URL_DYNAMODB nor "
                     "AWS_REGION is in the environment");
  else if (!valid_endpoint(config.upstream.endpoint))
    errors.add_plain(errors.source() + ": upstream.endpoint: '" + config.upstream.endpoint +
                     "' must be http://host[:port] or https://host[:port]");
  if (config.upstream.region.empty())
    errors.add_plain(errors.source() +
                     ": upstream.region: not set, and neither AWS_REGION nor AWS_DEFAULT_REGION "
                     "is in the environment");
  if (config.listeners.empty()) config.listeners.push_back(ListenerConfig{"http", "127.0.0.1", 8000, {}});
  auto& fleet = config.fleet;
  if (fleet.region.empty()) fleet.region = config.upstream.region;
  if (fleet.cursor_file.empty() && !config.audit.path.empty()) fleet.cursor_file = config.audit.path + ".fleet-cursor";
  if (fleet.enabled) {
    if (!valid_endpoint(fleet.endpoint))
      errors.add_plain(errors.source() + ": fleet.endpoint: '" + fleet.endpoint +
                       "' must be http://host[:port] or https://host[:port]");
    if (!config.audit.enabled)
      errors.add_plain(errors.source() + ": fleet: shipping needs the audit store (audit.enabled)");
    if (fleet.rules.pull &&
        std::find(config.rules.files.begin(), config.rules.files.end(), fleet.rules.file) == config.rules.files.end())
      errors.add_plain(errors.source() + ": fleet.rules.file: must be one of rules.files (the proxy loads it)");
  }
}

}  // namespace

ConfigResult parse_serve_config(const std::string& text, const std::string& source,
                                const std::string& base_dir) {
  ConfigResult result;
  YamlErrors errors(source);
  ServeConfig config;
  config.source = source;
  try {
    const YAML::Node doc = YAML::Load(text);
    read_document(doc, config, errors, base_dir);
  } catch (const YAML::Exception& e) {
    // The loader throws on syntax errors; convert at the boundary.
    std::string where = source;
    if (e.mark.line >= 0) where += ":" + std::to_string(e.mark.line + 1);
    errors.add_plain(where + ": " + e.msg);
    result.errors = errors.list();
    return result;
  }
  complete_and_check(config, errors);
  result.errors = errors.list();
  if (result.errors.empty()) result.config = std::move(config);
  return result;
}

ConfigResult load_serve_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return ConfigResult{std::nullopt, {path + ": cannot be read"}};
  std::ostringstream text;
  text << in.rdbuf();
  auto base_dir = std::filesystem::absolute(path).parent_path().string();
  return parse_serve_config(text.str(), path, base_dir);
}

ConfigResult default_serve_config() {
  return parse_serve_config("{}", "<defaults>", std::filesystem::current_path().string());
}

}  // namespace dynaudit::proxy
