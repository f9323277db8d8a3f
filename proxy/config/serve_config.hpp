// The typed configuration of `dynaudit serve`: plain structs with safe
// defaults, produced by load_serve_config() after full validation. Nothing
// downstream re-validates; a ServeConfig that exists is a usable one.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "alerts/channel_config.hpp"
#include "proxy/auth/principal.hpp"
#include "aws/upstream_credentials.hpp"
#include "proxy/auth/aws_imports.hpp"
#include "rules/rule.hpp"

namespace dynaudit::proxy {

using Millis = std::chrono::milliseconds;

struct TlsFiles {
  std::string cert_file;  // PEM chain
  std::string key_file;   // PEM private key
};

struct ListenerConfig {
  std::string name;
  std::string address = "127.0.0.1";
  std::uint16_t port = 8000;  // 0: an ephemeral port (tests)
  std::optional<TlsFiles> tls;
};

struct AdminConfig {
  bool enabled = true;
  std::string address = "127.0.0.1";  // loopback unless the operator says otherwise
  std::uint16_t port = 9901;
};

// /metrics on the admin listener. Table names come from callers, so only
// `max_tables` of them get their own series (those listed in `tables`
// first); the rest are counted as table="_other".
struct MetricsConfig {
  bool enabled = true;
  std::size_t max_tables = 64;
  std::vector<std::string> tables;
  // Principals that get their own series in dynaudit_principal_requests_total;
  // nobody else is named in /metrics (the audit log says who called).
  std::vector<std::string> principals;
};

struct LimitsConfig {
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_body_bytes = 16 * 1024 * 1024;  // DynamoDB's own request limit
  Millis header_timeout{10'000};
  Millis body_timeout{30'000};
  Millis idle_timeout{60'000};
  std::size_t max_connections = 10'000;
  // After an error answer that closes the connection (413, malformed HTTP)
  // the client may still be sending the request it started; the proxy reads
  // and discards up to this much, for up to this long, so that its answer
  // is read instead of lost to a reset. 0 bytes: close at once.
  Millis error_drain_timeout{5'000};
  std::size_t error_drain_bytes = 32 * 1024 * 1024;  // twice DynamoDB's request limit
};

struct AuthConfig {
  AuthMode mode = AuthMode::trust;
  std::string credentials_file;  // required in verify mode
  std::vector<std::string> allowed_regions;
  std::chrono::seconds max_clock_skew{300};
};

struct UpstreamConfig {
  std::string endpoint;  // scheme://host[:port]
  std::string region;
  std::string ca_file;   // extra trust anchors for an https upstream
  Millis connect_timeout{3'000};
  Millis response_timeout{30'000};
  std::size_t max_idle_connections = 64;  // per worker
  // An idle connection is not reused after this long. Below the upstream's
  // own idle limit (Node servers close after 5 s), so that a request is not
  // written into a connection the upstream is closing at that moment.
  Millis idle_connection_timeout{4'000};
  std::size_t max_response_bytes = 64 * 1024 * 1024;
  // The operation catalog is the allowlist: a target that is not
  // DynamoDB_20120810.<Op> / DynamoDBStreams_20120810.<Op> of a cataloged
  // operation is answered UnknownOperationException by the proxy. True
  // forwards such calls; rules then see operation class `unknown`.
  bool forward_unknown_operations = false;
  UpstreamCredentialSettings credentials;
};

enum class AuditDurability { async, sync, write_ahead };
enum class AuditFailurePolicy { fail_closed, fail_open };

struct AuditConfig {
  bool enabled = true;
  std::string path = "dynaudit-audit";  // resolved against the config file's folder
  AuditDurability durability = AuditDurability::sync;
  AuditFailurePolicy failure_policy = AuditFailurePolicy::fail_closed;
  std::string account_id = "000000000000";  // for resource ARNs in records
  std::string checkpoint_key_file;
  Millis checkpoint_active_interval{1'000};  // a checkpoint this soon after new records
  Millis checkpoint_interval{60'000};        // and at least this often without any
  std::size_t checkpoint_every_records = 10'000;
  // Checkpoints leave the store: appended to a file outside audit.path and,
  // with `channel`, sent to that alert channel too (docs/audit-log.md).
  struct Witness {
    std::string file;     // empty: no witness
    std::string channel;  // an alerts.channels name, or empty
  } witness;
  // The count of calls forwarded while the store could not write, kept
  // outside the store so that a restart cannot lose it
  // (storage/unrecorded_calls.hpp). Not set in the file: beside the witness
  // file, else beside the store folder (`<audit.path>.unrecorded`).
  std::string unrecorded_file;
  // RocksDB keeps at most this many table files open (its table cache), so
  // that the store's descriptors do not grow with it. 0 (`auto`): a quarter
  // of the process's open-file limit, between 64 and 1024.
  std::size_t max_open_files = 0;
  // `serve --accept-witness-mismatch`, never read from the file: start on a
  // store that lacks what its witness vouched for, and record that it did.
  bool accept_witness_mismatch = false;
  // AES-256-GCM key that seals the clear values the audit mask plan replaced,
  // for `dynaudit audit show --reveal`. Neither set: masked values are not kept.
  std::string seal_key_file;
  std::string seal_key_env;  // name of an environment variable holding the key
};

struct MaskingConfig {
  // The secret behind `hash` tokens and sealed pagination keys. Neither set:
  // a random secret per process (hash tokens then change at each restart).
  std::string key_file;
  std::string key_env;
};

struct RulesConfig {
  std::vector<std::string> files;  // rule files, evaluated in this order; none: every call allowed
  rules::Effect default_effect = rules::Effect::allow;  // when no rule with an effect matches
  rules::AuditLevel default_audit_level = rules::AuditLevel::metadata;
  bool watch = true;  // reload when a file changes (SIGHUP always reloads)
  Millis watch_interval{2'000};
};

struct AlertsConfig {
  std::vector<alerts::ChannelConfig> channels;
};

// Behaviour analytics (docs/anomalies.md): the analyser beside serve, fed
// from committed records. Anomalies are always recorded in the chain; each
// route also sends those of at least min_severity to an alert channel.
struct AnalyticsRouteConfig {
  std::string channel;
  std::string min_severity = "medium";  // low | medium | high | critical
};
// Passive sensitive-data discovery (docs/discovery.md): now and then a
// reply is copied, off the request path its values are classified, and the
// inventory in the store says where sensitive data lives.
struct DiscoveryConfig {
  bool enabled = true;  // needs the audit store
  Millis sample_interval{60'000};  // per table and worker
  std::size_t max_sample_bytes = 256 * 1024;
  Millis persist_interval{60'000};
  std::size_t max_entries = 10'000;
  // Active discovery (`dynaudit discover scan`): dynaudit reads a sample of
  // a table with its own upstream credentials when the admin endpoint is
  // asked to. Off unless enabled, and then only for a caller that presents
  // the token in token_file: an application sharing the admin listener's
  // loopback must not be able to make the proxy read what it may not.
  bool scan_enabled = false;
  std::string scan_token_file;  // required when scan_enabled; private (0600)
  std::size_t scan_max_items = 1'000;
};

// `dynaudit console` (docs/console.md): the investigators' web console,
// a process of its own reading the audit store. HTTPS with tls files;
// plain HTTP only on loopback.
struct ConsoleConfig {
  std::string address = "127.0.0.1";
  TlsFiles tls;  // both set: HTTPS, and then any address; else plain HTTP on loopback only
  std::uint16_t port = 9902;
  std::string users_file;  // required to start the console; 0600
  // Shared by serve and the console (0600): the console presents it to
  // serve's admin listener to have its logins and reveals recorded in the
  // chain. Required for the console; with it set, serve answers
  // POST /audit/console-event.
  std::string token_file;
  Millis session_lifetime{8LL * 3'600'000};
  unsigned max_login_failures = 5;
  Millis login_window{15LL * 60'000};
};

struct AnalyticsConfig {
  bool enabled = true;  // needs the audit store
  Millis learning_period{7LL * 24 * 3'600'000};
  Millis suppress_for{3'600'000};
  std::size_t max_principals = 5'000;
  Millis persist_interval{60'000};
  std::size_t max_queue = 100'000;
  std::vector<AnalyticsRouteConfig> alerts;
};

// The fleet (docs/fleet.md): ship committed records to a central DynamoDB
// table, heartbeat, and optionally pull signed central rule sets. Off
// unless enabled; the cli wires the agent (fleet/), this is its settings.
struct FleetConfig {
  bool enabled = false;
  std::string proxy_id;   // default: the host name
  std::string endpoint;   // the central table's DynamoDB endpoint (required)
  std::string region;     // default: upstream.region
  std::string table = "dynaudit-fleet";
  std::string ca_file;
  // Own credentials for the central table (another account); unset: the
  // upstream's provider signs these calls too.
  bool own_credentials = false;
  UpstreamCredentialSettings credentials;
  Millis request_timeout{10'000};
  std::size_t round_records = 500;
  std::size_t parallel_batches = 4;  // BatchWriteItem calls in flight at once
  Millis ship_interval{1'000};
  Millis heartbeat_interval{30'000};
  Millis retry_initial{100};
  Millis retry_max{30'000};
  Millis retention{0};  // TTL on shipped records; 0: kept
  std::string cursor_file;  // default: <audit.path>.fleet-cursor
  struct Rules {
    bool pull = false;
    std::string file;             // must be one of rules.files
    std::string public_key_file;  // required when pull
    Millis poll_interval{30'000};
  } rules;
};

struct ServeConfig {
  std::string source;  // the file it came from, or "<defaults>"
  std::vector<ListenerConfig> listeners;
  AdminConfig admin;
  MetricsConfig metrics;
  unsigned workers = 0;  // 0: one per core
  LimitsConfig limits;
  AuthConfig auth;
  UpstreamConfig upstream;
  AuditConfig audit;
  RulesConfig rules;
  AlertsConfig alerts;
  AnalyticsConfig analytics;
  DiscoveryConfig discovery;
  ConsoleConfig console;
  FleetConfig fleet;
  MaskingConfig masking;
  Millis drain_timeout{20'000};
  bool log_requests = true;
};

struct ConfigResult {
  std::optional<ServeConfig> config;
  std::vector<std::string> errors;  // "file:line: key: problem"
};

// Reads and validates a YAML config file. Relative paths in it are resolved
// against the file's folder.
ConfigResult load_serve_config(const std::string& path);
// Same, from text (`source` names it in errors; `base_dir` resolves paths).
ConfigResult parse_serve_config(const std::string& text, const std::string& source,
                                const std::string& base_dir);
// The configuration used without a file: 127.0.0.1:8000 plain HTTP, trust
// mode, upstream from AWS_ENDPOINT_URL_DYNAMODB or the region's endpoint.
ConfigResult default_serve_config();

}  // namespace dynaudit::proxy
