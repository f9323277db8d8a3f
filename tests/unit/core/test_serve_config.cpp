// The serve config: defaults, validation errors with line numbers, path
// resolution, and the environment fallbacks for the upstream.
#include <catch2/catch.hpp>

#include <cstdlib>

#include "proxy/config/duration.hpp"
#include "proxy/config/serve_config.hpp"

using namespace dynaudit::proxy;

namespace {

bool has_error(const ConfigResult& r, const std::string& needle) {
  for (const auto& e : r.errors)
    if (e.find(needle) != std::string::npos) return true;
  return false;
}

std::string all_errors(const ConfigResult& r) {
  std::string out;
  for (const auto& e : r.errors) out += e + "\n";
  return out;
}

}  // namespace

TEST_CASE("durations accept ms, s, m, h, d and nothing else") {
  CHECK(parse_duration("250ms") == std::chrono::milliseconds(250));
  CHECK(parse_duration("30s") == std::chrono::milliseconds(30'000));
  CHECK(parse_duration("5m") == std::chrono::milliseconds(300'000));
  CHECK(parse_duration("1h") == std::chrono::milliseconds(3'600'000));
  CHECK(parse_duration("7d") == std::chrono::milliseconds(7LL * 86'400'000));
  CHECK_FALSE(parse_duration("30"));
  CHECK_FALSE(parse_duration("s"));
  CHECK_FALSE(parse_duration("-1s"));
  CHECK_FALSE(parse_duration("1.5s"));
  CHECK_FALSE(parse_duration("10 s"));
  CHECK_FALSE(parse_duration("99999999999999999h"));
}

TEST_CASE("a full config is read into typed values") {
  const std::string text = R"(
listeners:
  - name: plain
    address: 127.0.0.1
    port: 8000
  - name: secure
    address: 127.0.0.1
    port: 8443
    tls: {cert_file: tls/server.crt, key_file: /abs/server.key}
admin: {address: 127.0.0.1, port: 9901}
workers: 3
limits: {max_header_bytes: 8192, max_body_bytes: 1048576, header_timeout: 2s, body_timeout: 4s, idle_timeout: 1m, max_connections: 50, error_drain_timeout: 750ms, error_drain_bytes: 0}
auth:
  mode: verify
  credentials_file: keys.yaml
  allowed_regions: [us-east-1, eu-west-1]
  max_clock_skew: 2m
upstream:
  endpoint: http://127.0.0.1:4567
  region: us-east-1
  connect_timeout: 1s
  response_timeout: 9s
  idle_connection_timeout: 1500ms
  credentials: {source: static, access_key_id: AKIDUP, secret_access_key: upsecret}
shutdown: {drain_timeout: 7s}
)";
  auto r = parse_serve_config(text, "test.yaml", "/etc/dynaudit");
  INFO(all_errors(r));
  REQUIRE(r.config);
  const auto& c = *r.config;
  REQUIRE(c.listeners.size() == 2);
  CHECK(c.listeners[0].name == "plain");
  CHECK_FALSE(c.listeners[0].tls);
  REQUIRE(c.listeners[1].tls);
  CHECK(c.listeners[1].tls->cert_file == "/etc/dynaudit/tls/server.crt");
  CHECK(c.listeners[1].tls->key_file == "/abs/server.key");
  CHECK(c.admin.port == 9901);
  CHECK(c.workers == 3);
  CHECK(c.limits.max_header_bytes == 8192);
  CHECK(c.limits.max_body_bytes == 1048576);
  CHECK(c.limits.header_timeout == std::chrono::seconds(2));
  CHECK(c.limits.idle_timeout == std::chrono::minutes(1));
  CHECK(c.limits.max_connections == 50);
  CHECK(c.limits.error_drain_timeout == std::chrono::milliseconds(750));
  CHECK(c.limits.error_drain_bytes == 0);
  CHECK(c.auth.mode == AuthMode::verify);
  CHECK(c.auth.credentials_file == "/etc/dynaudit/keys.yaml");
  CHECK(c.auth.allowed_regions == std::vector<std::string>{"us-east-1", "eu-west-1"});
  CHECK(c.auth.max_clock_skew == std::chrono::minutes(2));
  CHECK(c.upstream.endpoint == "http://127.0.0.1:4567");
  CHECK(c.upstream.response_timeout == std::chrono::seconds(9));
  CHECK(c.upstream.idle_connection_timeout == std::chrono::milliseconds(1500));
  CHECK(c.upstream.credentials.source == CredentialSource::static_keys);
  CHECK(c.upstream.credentials.static_credentials.access_key_id == "AKIDUP");
  CHECK(c.drain_timeout == std::chrono::seconds(7));
}

TEST_CASE("unknown and misspelt keys are errors naming the line and the key") {
  const std::string text =
      "upstream: {endpoint: 'http://127.0.0.1:1', region: us-east-1}\n"
      "limits:\n"
      "  max_body_byte: 10\n";
  auto r = parse_serve_config(text, "bad.yaml", "");
  CHECK_FALSE(r.config);
  CHECK(has_error(r, "bad.yaml:3: limits.max_body_byte: unknown key"));
}

TEST_CASE("bad values are reported together, each with its line") {
  const std::string text =
      "listeners:\n"
      "  - port: 99999\n"
      "auth:\n"
      "  mode: maybe\n"
      "limits:\n"
      "  idle_timeout: soon\n"
      "upstream: {endpoint: 'ftp://x', region: us-east-1}\n";
  auto r = parse_serve_config(text, "bad.yaml", "");
  CHECK_FALSE(r.config);
  CHECK(has_error(r, "bad.yaml:2: listeners[0].port: must be a port number"));
  CHECK(has_error(r, "bad.yaml:4: auth.mode: must be one of trust, verify, not 'maybe'"));
  CHECK(has_error(r, "bad.yaml:6: limits.idle_timeout: must be a duration"));
  CHECK(has_error(r, "upstream.endpoint: 'ftp://x' must be http://host[:port]"));
}

TEST_CASE("upstream idle connections: 4s unless set, and never 0") {
  auto defaults = parse_serve_config("upstream: {endpoint: 'http://127.0.0.1:1', region: r}\n", "x.yaml", "");
  REQUIRE(defaults.config);
  // Below Node's 5 s keep-alive timeout, so dynalite never closes one under us.
  CHECK(defaults.config->upstream.idle_connection_timeout == std::chrono::seconds(4));
  auto zero = parse_serve_config(
      "upstream:\n  endpoint: 'http://127.0.0.1:1'\n  region: r\n  idle_connection_timeout: 0s\n", "x.yaml", "");
  CHECK_FALSE(zero.config);
  CHECK(has_error(zero, "x.yaml:4: upstream.idle_connection_timeout: must be more than 0"));
}

TEST_CASE("the error drain has defaults and bounded values") {
  auto defaults = parse_serve_config("upstream: {endpoint: 'http://127.0.0.1:1', region: us-east-1}\n", "ok.yaml", "");
  REQUIRE(defaults.config);
  CHECK(defaults.config->limits.error_drain_timeout == std::chrono::seconds(5));
  CHECK(defaults.config->limits.error_drain_bytes == 32u * 1024 * 1024);
  auto r = parse_serve_config(
      "upstream: {endpoint: 'http://127.0.0.1:1', region: us-east-1}\n"
      "limits:\n"
      "  error_drain_timeout: later\n"
      "  error_drain_bytes: 2000000000\n",
      "bad.yaml", "");
  CHECK_FALSE(r.config);
  CHECK(has_error(r, "bad.yaml:3: limits.error_drain_timeout: must be a duration"));
  CHECK(has_error(r, "bad.yaml:4: limits.error_drain_bytes: must be a whole number from 0 to 1073741824"));
}

TEST_CASE("analytics and discovery: defaults, values, and routes that name real channels") {
  auto defaults = parse_serve_config("upstream: {endpoint: 'http://127.0.0.1:1', region: us-east-1}\n", "ok.yaml", "");
  REQUIRE(defaults.config);
  CHECK(defaults.config->analytics.enabled);
  CHECK(defaults.config->analytics.learning_period == std::chrono::hours(24 * 7));
  CHECK(defaults.config->analytics.alerts.empty());
  CHECK(defaults.config->discovery.enabled);
  CHECK(defaults.config->discovery.sample_interval == std::chrono::seconds(60));
  auto ok = parse_serve_config(
      "upstream: {endpoint: 'http://127.0.0.1:1', region: us-east-1}\n"
      "alerts: {channels: [{name: soc, type: file, path: /tmp/x.jsonl}]}\n"
      "analytics: {learning_period: 3d, suppress_for: 10m, max_principals: 10, alerts: [{channel: soc, min_severity: high}]}\n"
      "discovery: {enabled: false, sample_interval: 5s, max_entries: 7}\n",
      "ok.yaml", "");
  REQUIRE(ok.config);
  CHECK(ok.config->analytics.learning_period == std::chrono::hours(72));
  CHECK(ok.config->analytics.suppress_for == std::chrono::minutes(10));
  CHECK(ok.config->analytics.max_principals == 10);
  REQUIRE(ok.config->analytics.alerts.size() == 1);
  CHECK(ok.config->analytics.alerts[0].min_severity == "high");
  CHECK_FALSE(ok.config->discovery.enabled);
  CHECK(ok.config->discovery.max_entries == 7);
  auto bad = parse_serve_config(
      "upstream: {endpoint: 'http://127.0.0.1:1', region: us-east-1}\n"
      "analytics: {alerts: [{channel: nowhere, min_severity: extreme}], persist_interval: 10ms}\n"
      "discovery: {persist_interval: 1ms, colour: blue}\n",
      "bad.yaml", "");
  CHECK_FALSE(bad.config);
  INFO(all_errors(bad));
  CHECK(has_error(bad, "analytics.alerts[0].min_severity: must be one of low, medium, high, critical"));
  CHECK(has_error(bad, "analytics.alerts: no alert channel named 'nowhere'"));
  CHECK(has_error(bad, "analytics.persist_interval: at least 1s"));
  CHECK(has_error(bad, "discovery.persist_interval: at least 1s"));
  CHECK(has_error(bad, "discovery.colour"));
}

TEST_CASE("verify mode needs a credentials file; static upstream credentials need both keys") {
  auto r = parse_serve_config(
      "auth: {mode: verify}\nupstream: {endpoint: 'http://127.0.0.1:1', region: r, credentials: {source: static, "
      "access_key_id: A}}\n",
      "x.yaml", "");
  CHECK_FALSE(r.config);
  CHECK(has_error(r, "auth.credentials_file: is required"));
  CHECK(has_error(r, "upstream.credentials.secret_access_key: is required"));
}

TEST_CASE("YAML syntax errors carry the line") {
  auto r = parse_serve_config("listeners:\n  - port: [1, 2\n", "broken.yaml", "");
  CHECK_FALSE(r.config);
  REQUIRE_FALSE(r.errors.empty());
  CHECK(r.errors[0].rfind("broken.yaml:", 0) == 0);
}

TEST_CASE("without a file: loopback plain HTTP, trust mode, upstream from the environment") {
  ::setenv("AWS_REGION", "eu-central-1", 1);
  ::unsetenv("AWS_ENDPOINT_URL_DYNAMODB");
  auto r = default_serve_config();
  INFO(all_errors(r));
  REQUIRE(r.config);
  REQUIRE(r.config->listeners.size() == 1);
  CHECK(r.config->listeners[0].address == "127.0.0.1");
  CHECK(r.config->listeners[0].port == 8000);
  CHECK_FALSE(r.config->listeners[0].tls);
  CHECK(r.config->auth.mode == AuthMode::trust);
  CHECK(r.config->admin.address == "127.0.0.1");
  CHECK(r.config->upstream.endpoint == "https://dynamodb.eu-central-1.amazonaws.com");
  CHECK(r.config->limits.max_body_bytes == 16u * 1024 * 1024);

  ::setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:4567", 1);
  auto local = default_serve_config();
  REQUIRE(local.config);
  CHECK(local.config->upstream.endpoint == "http://127.0.0.1:4567");

  ::unsetenv("AWS_ENDPOINT_URL_DYNAMODB");
  ::unsetenv("AWS_REGION");
  ::unsetenv("AWS_DEFAULT_REGION");
  auto none = default_serve_config();
  CHECK_FALSE(none.config);
  CHECK(has_error(none, "upstream.endpoint: not set"));
}

TEST_CASE("the shipped example config validates") {
  ::setenv("AWS_REGION", "us-east-1", 1);
  auto r = load_serve_config(std::string(DYNAUDIT_SOURCE_DIR) + "/examples/dynaudit.yaml");
  INFO(all_errors(r));
  CHECK(r.config);
}

TEST_CASE("rules and alert channels are read, paths resolved against the config's folder") {
  const std::string text =
      "upstream: {endpoint: 'http://127.0.0.1:1', region: us-east-1}\n"
      "rules:\n"
      "  files: [rules/pci.yaml, /etc/dynaudit/base.yaml]\n"
      "  default_effect: deny\n"
      "  default_audit: full\n"
      "  watch: false\n"
      "  watch_interval: 500ms\n"
      "alerts:\n"
      "  channels:\n"
      "    - {name: sec, type: slack, url: 'https://hooks.example/T/B/x', timeout: 1s, max_attempts: 3}\n"
      "    - {name: soc, type: syslog-tcp, host: 127.0.0.1, port: 6514, facility: 10}\n"
      "    - {name: log, type: file, path: alerts.jsonl, queue_capacity: 50}\n"
      "    - name: hook\n"
      "      type: webhook\n"
      "      url: 'http://127.0.0.1:9/x'\n"
      "      headers: {X-Token: abc}\n";
  auto r = parse_serve_config(text, "c.yaml", "/srv/dynaudit");
  INFO(all_errors(r));
  REQUIRE(r.config);
  const auto& rules = r.config->rules;
  CHECK(rules.files == std::vector<std::string>{"/srv/dynaudit/rules/pci.yaml", "/etc/dynaudit/base.yaml"});
  CHECK(rules.default_effect == dynaudit::rules::Effect::deny);
  CHECK(rules.default_audit_level == dynaudit::rules::AuditLevel::full);
  CHECK_FALSE(rules.watch);
  CHECK(rules.watch_interval == std::chrono::milliseconds(500));
  const auto& channels = r.config->alerts.channels;
  REQUIRE(channels.size() == 4);
  CHECK(channels[0].kind == dynaudit::alerts::ChannelKind::slack);
  CHECK(channels[0].timeout == std::chrono::milliseconds(1000));
  CHECK(channels[0].max_attempts == 3);
  CHECK(channels[1].kind == dynaudit::alerts::ChannelKind::syslog_tcp);
  CHECK(channels[1].port == 6514);
  CHECK(channels[1].facility == 10);
  CHECK(channels[2].path == "/srv/dynaudit/alerts.jsonl");
  CHECK(channels[2].queue_capacity == 50);
  REQUIRE(channels[3].headers.size() == 1);
  CHECK(channels[3].headers[0].first == "X-Token");
}

TEST_CASE("bad rules and alerts settings are errors with their lines") {
  const std::string text =
      "upstream: {endpoint: 'http://127.0.0.1:1', region: us-east-1}\n"
      "rules:\n"
      "  default_effect: deny\n"
      "  default_audit: everything\n"
      "alerts:\n"
      "  channels:\n"
      "    - {name: a, type: pager}\n"
      "    - {name: b, type: webhook, url: 'ftp://x'}\n"
      "    - {name: b, type: file, path: x.jsonl}\n"
      "    - {name: c, type: webhook}\n";
  auto r = parse_serve_config(text, "bad.yaml", "");
  CHECK_FALSE(r.config);
  INFO(all_errors(r));
  CHECK(has_error(r, "bad.yaml:3: rules.default_effect: deny needs rule files"));
  CHECK(has_error(r, "bad.yaml:4: rules.default_audit: must be one of none, metadata, full"));
  CHECK(has_error(r, "bad.yaml:7: alerts.channels[0].type: must be one of webhook, slack, teams, syslog-udp, syslog-tcp, file"));
  CHECK(has_error(r, "bad.yaml:8: alerts.channels[1].url: must start with http:// or https://"));
  CHECK(has_error(r, "bad.yaml:9: alerts.channels[2].name: duplicate channel name 'b'"));
  CHECK(has_error(r, "alerts.channels[3].url"));
}

TEST_CASE("masking and audit seal keys: file or environment, never both") {
  auto r = parse_serve_config(
      "upstream: {endpoint: 'http://127.0.0.1:1', region: us-east-1}\n"
      "masking: {key_file: keys/masking.key}\n"
      "audit: {seal_key_env: DYNAUDIT_SEAL_KEY}\n",
      "c.yaml", "/srv");
  INFO(all_errors(r));
  REQUIRE(r.config);
  CHECK(r.config->masking.key_file == "/srv/keys/masking.key");
  CHECK(r.config->audit.seal_key_env == "DYNAUDIT_SEAL_KEY");
  auto both = parse_serve_config(
      "upstream: {endpoint: 'http://127.0.0.1:1', region: us-east-1}\n"
      "masking: {key_file: a, key_env: B}\n"
      "audit: {seal_key_file: c, seal_key_env: D}\n",
      "c.yaml", "");
  CHECK_FALSE(both.config);
  CHECK(has_error(both, "c.yaml:2: masking.key_env: give key_file or key_env, not both"));
  CHECK(has_error(both, "c.yaml:3: audit.seal_key_env: give seal_key_file or seal_key_env, not both"));
}

TEST_CASE("audit evidence: checkpoint cadence and a witness outside the store") {
  const std::string upstream = "upstream: {endpoint: 'http://127.0.0.1:1', region: us-east-1}\n";
  auto defaults = parse_serve_config(upstream, "c.yaml", "/srv");
  REQUIRE(defaults.config);
  CHECK(defaults.config->audit.checkpoint_active_interval == std::chrono::milliseconds(1'000));
  CHECK(defaults.config->audit.checkpoint_interval == std::chrono::milliseconds(60'000));
  CHECK(defaults.config->audit.witness.file.empty());
  CHECK_FALSE(defaults.config->audit.accept_witness_mismatch);

  auto r = parse_serve_config(upstream +
                                  "audit:\n"
                                  "  path: data/audit\n"
                                  "  checkpoint_active_interval: 250ms\n"
                                  "  witness: {file: ../witness/w.jsonl, channel: siem}\n"
                                  "alerts:\n"
                                  "  channels: [{name: siem, type: file, path: siem.jsonl}]\n",
                              "c.yaml", "/srv/conf");
  INFO(all_errors(r));
  REQUIRE(r.config);
  CHECK(r.config->audit.checkpoint_active_interval == std::chrono::milliseconds(250));
  CHECK(r.config->audit.witness.file == "/srv/witness/w.jsonl");
  CHECK(r.config->audit.witness.channel == "siem");

  // Whoever can rewrite the store could rewrite a witness kept in it.
  auto inside = parse_serve_config(upstream + "audit:\n  path: /var/lib/audit\n  witness: {file: /var/lib/audit/w.jsonl}\n",
                                   "c.yaml", "/srv");
  CHECK_FALSE(inside.config);
  CHECK(has_error(inside, "c.yaml:4: audit.witness.file: '/var/lib/audit/w.jsonl' is inside audit.path"));
  auto same = parse_serve_config(upstream + "audit:\n  path: /var/lib/audit\n  witness: {file: /var/lib/audit/}\n",
                                 "c.yaml", "/srv");
  CHECK_FALSE(same.config);
  auto dotted = parse_serve_config(upstream + "audit:\n  path: /var/lib/audit\n  witness: {file: /var/lib/x/../audit/sub/w}\n",
                                   "c.yaml", "/srv");
  CHECK_FALSE(dotted.config);
  auto sibling = parse_serve_config(upstream + "audit:\n  path: /var/lib/audit\n  witness: {file: /var/lib/audit-witness}\n",
                                    "c.yaml", "/srv");
  CHECK(sibling.config);  // a name that only starts like the store's is elsewhere

  auto bad = parse_serve_config(upstream +
                                    "audit:\n"
                                    "  checkpoint_active_interval: 10ms\n"
                                    "  witness: {channel: nowhere, color: red}\n",
                                "c.yaml", "/srv");
  CHECK_FALSE(bad.config);
  CHECK(has_error(bad, "audit.checkpoint_active_interval: must be at least 100ms"));
  CHECK(has_error(bad, "audit.witness.file"));  // required
  CHECK(has_error(bad, "audit.witness.color: unknown key"));
  CHECK(has_error(bad, "audit.witness.channel: no alert channel named 'nowhere'"));
  auto slower = parse_serve_config(upstream + "audit: {checkpoint_active_interval: 2m}\n", "c.yaml", "/srv");
  CHECK(has_error(slower, "must not be longer than audit.checkpoint_interval"));
}

TEST_CASE("audit resilience: the unrecorded-calls file outside the store, the table cache bound") {
  const std::string upstream = "upstream: {endpoint: 'http://127.0.0.1:1', region: us-east-1}\n";
  auto defaults = parse_serve_config(upstream, "c.yaml", "/srv");
  REQUIRE(defaults.config);
  CHECK(defaults.config->audit.unrecorded_file == "/srv/dynaudit-audit.unrecorded");
  CHECK(defaults.config->audit.max_open_files == 0);  // auto

  auto witnessed = parse_serve_config(upstream + "audit: {path: a, witness: {file: /mnt/w/w.jsonl}, max_open_files: 300}\n",
                                      "c.yaml", "/srv");
  INFO(all_errors(witnessed));
  REQUIRE(witnessed.config);
  CHECK(witnessed.config->audit.unrecorded_file == "/mnt/w/w.jsonl.unrecorded");
  CHECK(witnessed.config->audit.max_open_files == 300);

  auto given = parse_serve_config(upstream + "audit: {unrecorded_file: state/gap, max_open_files: auto}\n", "c.yaml",
                                  "/srv");
  REQUIRE(given.config);
  CHECK(given.config->audit.unrecorded_file == "/srv/state/gap");

  auto inside = parse_serve_config(upstream + "audit: {path: /var/lib/audit, unrecorded_file: /var/lib/audit/gap}\n",
                                   "c.yaml", "/srv");
  CHECK(has_error(inside, "audit.unrecorded_file: '/var/lib/audit/gap' is inside audit.path"));
  auto tiny = parse_serve_config(upstream + "audit: {max_open_files: 5}\n", "c.yaml", "/srv");
  CHECK(has_error(tiny, "audit.max_open_files: must be a whole number from 20"));
}

TEST_CASE("fleet: off by default, checked when on, paths and region filled in") {
  const std::string upstream = "upstream: {endpoint: \"http://127.0.0.1:8001\", region: eu-west-1}\n";
  auto defaults = parse_serve_config(upstream + "audit: {path: store}\n", "c.yaml", "/srv");
  INFO(all_errors(defaults));
  REQUIRE(defaults.config);
  CHECK_FALSE(defaults.config->fleet.enabled);
  CHECK(defaults.config->fleet.table == "dynaudit-fleet");
  CHECK(defaults.config->fleet.region == "eu-west-1");
  CHECK(defaults.config->fleet.cursor_file == "/srv/store.fleet-cursor");

  auto on = parse_serve_config(upstream +
                                   "audit: {path: store}\n"
                                   "rules: {files: [central.yaml, local.yaml]}\n"
                                   "fleet:\n  enabled: true\n  endpoint: \"https://dynamodb.us-east-1.amazonaws.com\"\n"
                                   "  region: us-east-1\n  credentials: {source: profile, profile: central}\n"
                                   "  retention: 90d\n"
                                   "  rules: {pull: true, file: central.yaml, public_key_file: keys/rules.pub, "
                                   "poll_interval: 10s}\n",
                               "c.yaml", "/srv");
  INFO(all_errors(on));
  REQUIRE(on.config);
  const auto& f = on.config->fleet;
  CHECK(f.enabled);
  CHECK(f.region == "us-east-1");
  CHECK(f.own_credentials);
  CHECK(f.credentials.profile == "central");
  CHECK(f.retention == std::chrono::milliseconds(90LL * 86'400'000));
  CHECK(f.rules.pull);
  CHECK(f.rules.file == "/srv/central.yaml");
  CHECK(f.rules.public_key_file == "/srv/keys/rules.pub");
  CHECK(f.rules.poll_interval == std::chrono::milliseconds(10'000));

  auto no_endpoint = parse_serve_config(upstream + "fleet: {enabled: true}\n", "c.yaml", "/srv");
  CHECK(has_error(no_endpoint, "fleet.endpoint: required"));
  auto bad_endpoint = parse_serve_config(upstream + "fleet: {enabled: true, endpoint: \"ftp://x\"}\n", "c.yaml", "/srv");
  CHECK(has_error(bad_endpoint, "fleet.endpoint: 'ftp://x' must be"));
  auto no_store = parse_serve_config(
      upstream + "audit: {enabled: false}\nfleet: {enabled: true, endpoint: \"http://127.0.0.1:9\"}\n", "c.yaml", "/srv");
  CHECK(has_error(no_store, "fleet: shipping needs the audit store"));
  auto pull_without_key = parse_serve_config(
      upstream + "rules: {files: [c.yaml]}\nfleet: {enabled: true, endpoint: \"http://127.0.0.1:9\", rules: {pull: true, file: c.yaml}}\n",
      "c.yaml", "/srv");
  CHECK(has_error(pull_without_key, "fleet.rules: pull needs file"));
  auto not_loaded = parse_serve_config(
      upstream + "rules: {files: [other.yaml]}\nfleet: {enabled: true, endpoint: \"http://127.0.0.1:9\", "
                 "rules: {pull: true, file: central.yaml, public_key_file: k.pub}}\n",
      "c.yaml", "/srv");
  CHECK(has_error(not_loaded, "fleet.rules.file: must be one of rules.files"));
  auto zero = parse_serve_config(upstream + "fleet: {heartbeat_interval: 0ms, retry_initial: 5s, retry_max: 1s}\n",
                                 "c.yaml", "/srv");
  CHECK(has_error(zero, "fleet.heartbeat_interval: must be more than 0"));
  CHECK(has_error(zero, "fleet.retry_max: must not be below retry_initial"));
  auto typo = parse_serve_config(upstream + "fleet: {enabeld: true}\n", "c.yaml", "/srv");
  CHECK(has_error(typo, "enabeld"));
}
