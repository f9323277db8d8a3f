// The /metrics page; see server_metrics.hpp.
#include "proxy/net/server_metrics.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <fstream>

#include "proxy/net/fd_limit.hpp"

#ifndef DYNAUDIT_VERSION
#define DYNAUDIT_VERSION "0.1.0"
#endif

namespace dynaudit::proxy {
namespace {

using metrics::Type;

double seconds_since_epoch(std::chrono::system_clock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

// Resident set size from /proc/self/statm (pages).
std::uint64_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::uint64_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

double cpu_seconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

void gauge(metrics::Exposition& out, std::string_view name, std::string_view help, double value) {
  out.family(name, Type::gauge, help);
  out.sample({}, value);
}

void counter(metrics::Exposition& out, std::string_view name, std::string_view help, std::uint64_t value) {
  out.family(name, Type::counter, help);
  out.sample({}, value);
}

void write_connections(metrics::Exposition& out, const ServerSnapshot& s) {
  gauge(out, "dynaudit_connections_open", "Client connections open now.", static_cast<double>(s.open_connections));
  gauge(out, "dynaudit_requests_in_flight", "Calls read and not yet answered.", static_cast<double>(s.in_flight));
  gauge(out, "dynaudit_connections_max", "limits.max_connections.", static_cast<double>(s.max_connections));
  counter(out, "dynaudit_connections_accepted", "Client connections accepted (within limits.max_connections).",
          s.accepted_connections);
  out.family("dynaudit_tls_handshakes", Type::counter, "TLS handshakes on the client listeners, by result.");
  out.sample({{"result", "ok"}}, s.tls_handshakes);
  out.sample({{"result", "failed"}}, s.tls_handshake_failures);
  out.family("dynaudit_connections_refused", Type::counter, "Client connections closed at accept, by reason.");
  out.sample({{"reason", "max_connections"}}, static_cast<std::uint64_t>(s.refused_max_connections));
  out.sample({{"reason", "accept_failed"}}, static_cast<std::uint64_t>(s.refused_accept_failed));
  out.family("dynaudit_tls_certificate_expiry_timestamp_seconds", Type::gauge,
             "When each TLS listener's certificate expires (notAfter), in seconds since the epoch.");
  for (const auto& [listener, not_after] : s.certificate_expiry)
    out.sample({{"listener", listener}}, static_cast<double>(not_after));
}

void write_audit(metrics::Exposition& out, const ServerSnapshot& s) {
  gauge(out, "dynaudit_audit_enabled", "1 when calls are recorded in an audit store.", s.audit_enabled ? 1 : 0);
  if (!s.audit_enabled) return;
  gauge(out, "dynaudit_audit_store_healthy", "1 when the audit store can write (and, fail-closed, witness) records.",
        s.store.healthy ? 1 : 0);
  gauge(out, "dynaudit_audit_witness_healthy", "1 when the newest witness write worked (or there is no witness).",
        s.store.witness_healthy ? 1 : 0);
  gauge(out, "dynaudit_audit_refusing_calls", "1 while fail-closed refuses calls because records cannot be written.",
        s.refusing_calls ? 1 : 0);
  gauge(out, "dynaudit_audit_last_sequence", "Sequence number of the newest record in the chain.",
        static_cast<double>(s.store.last_sequence));
  counter(out, "dynaudit_audit_group_commits", "Batches of records committed together (one sync each in sync modes).",
          s.store.batches);
  counter(out, "dynaudit_audit_records_committed",
          "Records committed since start; divided by group commits, the mean group-commit size.",
          s.store.committed_records);
  gauge(out, "dynaudit_audit_queue_depth", "Records waiting for the audit writer.", static_cast<double>(s.store.queue_depth));
  gauge(out, "dynaudit_audit_store_sst_bytes", "Size of the store's table files (refreshed every 5 s while it writes).",
        static_cast<double>(s.store.sst_bytes));
  if (s.store.witness_configured) {
    out.family("dynaudit_audit_witness_writes", Type::counter,
               "Checkpoint lines for the witness file: written (durable), failed (attempts, each retried), dropped.");
    out.sample({{"result", "written"}}, s.store.witness_written);
    out.sample({{"result", "failed"}}, s.store.witness_failed_attempts);
    out.sample({{"result", "dropped"}}, s.store.witness_dropped);
  }
  out.family("dynaudit_audit_commit_duration_seconds", Type::histogram,
             "One group commit's RocksDB write (and, in sync modes, its fdatasync).");
  out.histogram({}, s.store.commit_latency);
  counter(out, "dynaudit_audit_failed_appends", "Records that could not be written.", s.store.failed_appends);
  counter(out, "dynaudit_audit_checkpoints", "Signed checkpoints written.", s.store.checkpoints);
  counter(out, "dynaudit_audit_unrecorded_calls",
          "Calls forwarded without a record while the store could not write (fail-open gaps).", s.unrecorded_calls);
}

void write_rules(metrics::Exposition& out, const ServerSnapshot& s) {
  gauge(out, "dynaudit_rules_loaded", "Rules in force (0 without rule files).",
        s.rules ? static_cast<double>(s.rules->rule_count) : 0);
  if (!s.rules) return;
  counter(out, "dynaudit_rules_reloads", "Rule reloads that replaced the rules in force.", s.rules->reloads);
  counter(out, "dynaudit_rules_reload_failures", "Rule reloads refused (the old rules kept running).",
          s.rules->failed_reloads);
  gauge(out, "dynaudit_rules_last_reload_ok", "1 when the last reload attempt (or the start) succeeded.",
        s.rules->last_attempt_ok ? 1 : 0);
  gauge(out, "dynaudit_rules_loaded_timestamp_seconds", "When the rules in force were loaded.",
        seconds_since_epoch(s.rules->loaded_at));
}

void write_credentials(metrics::Exposition& out, const ServerSnapshot& s) {
  out.family("dynaudit_upstream_credential_refreshes", Type::counter,
             "Refreshes of temporary upstream credentials (ECS, IMDS, profiles with a session), by result.");
  out.sample({{"source", s.credential_source}, {"result", "ok"}}, s.credentials.refreshed);
  out.sample({{"source", s.credential_source}, {"result", "failed"}}, s.credentials.failed);
  if (s.credentials.expires_at > 0)
    gauge(out, "dynaudit_upstream_credentials_expiry_timestamp_seconds",
          "When the upstream credentials in use expire, in seconds since the epoch.",
          static_cast<double>(s.credentials.expires_at));
}

void write_alerts(metrics::Exposition& out, const ServerSnapshot& s) {
  out.family("dynaudit_alerts", Type::counter,
             "Alerts per channel and result: submitted, delivered, retried (attempts after the first), "
             "failed, dropped, suppressed (rule throttle).");
  for (const auto& [channel, st] : s.alert_channels) {
    const std::pair<std::string_view, std::uint64_t> results[] = {
        {"submitted", st.submitted}, {"delivered", st.delivered}, {"retried", st.retried},
        {"failed", st.failed},       {"dropped", st.dropped},     {"suppressed", st.suppressed}};
    for (const auto& [result, value] : results) out.sample({{"channel", channel}, {"result", result}}, value);
  }
}

void write_analytics(metrics::Exposition& out, const ServerSnapshot& s) {
  if (!s.analytics) return;
  const auto& a = *s.analytics;
  counter(out, "dynaudit_analytics_records", "Committed call records the behaviour analyser took in.", a.observed);
  counter(out, "dynaudit_analytics_dropped", "Committed records not analysed because the analyser's queue was full.",
          a.dropped);
  counter(out, "dynaudit_anomalies", "Anomalies reported (each an Anomaly record in the chain).", a.anomalies);
  counter(out, "dynaudit_anomalies_suppressed", "Anomalies found inside a principal's quiet period after an alert.",
          a.suppressed);
  counter(out, "dynaudit_analytics_baseline_save_failures", "Saves of the analyser's baselines to the store that failed.",
          a.save_failures);
  gauge(out, "dynaudit_analytics_principals", "Principals the analyser keeps a profile of.",
        static_cast<double>(a.principals));
  gauge(out, "dynaudit_analytics_queue_depth", "Records waiting for the analyser.", static_cast<double>(a.queue_depth));
}

void write_discovery(metrics::Exposition& out, const ServerSnapshot& s) {
  if (!s.discovery) return;
  const auto& d = *s.discovery;
  counter(out, "dynaudit_discovery_samples", "Replies the discovery thread walked.", d.samples);
  counter(out, "dynaudit_discovery_samples_dropped", "Reply copies dropped because the discovery queue was full.",
          d.dropped);
  counter(out, "dynaudit_discovery_values", "Attribute values classified.", d.values);
  counter(out, "dynaudit_discovery_detections", "Attribute values found sensitive.", d.detections);
  counter(out, "dynaudit_discovery_save_failures", "Saves of the inventory to the store that failed.", d.save_failures);
  gauge(out, "dynaudit_discovery_inventory_entries", "Table, attribute path and class entries in the inventory.",
        static_cast<double>(d.entries));
}

void write_process(metrics::Exposition& out, const ServerSnapshot& s) {
  out.family("dynaudit_build_info", Type::gauge, "Always 1; the labels name the build.");
  out.sample({{"version", DYNAUDIT_VERSION}}, std::uint64_t{1});
  gauge(out, "dynaudit_up", "1 when ready for traffic (listeners bound, not draining, not refusing calls).",
        s.ready ? 1 : 0);
  gauge(out, "dynaudit_draining", "1 after SIGTERM, while in-flight calls finish.", s.draining ? 1 : 0);
  gauge(out, "dynaudit_workers", "Worker threads.", static_cast<double>(s.workers));
  // The standard process_* names, so existing dashboards work.
  gauge(out, "process_resident_memory_bytes", "Resident memory size in bytes.", static_cast<double>(resident_bytes()));
  out.family("process_cpu_seconds", Type::counter, "User and system CPU time spent in seconds.");
  out.sample({}, cpu_seconds());
  gauge(out, "process_open_fds", "Number of open file descriptors.", static_cast<double>(open_file_count()));
  gauge(out, "process_max_fds", "Maximum number of open file descriptors.", static_cast<double>(s.open_files_limit));
  gauge(out, "process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
        seconds_since_epoch(s.started));
}

}  // namespace

std::string render_metrics(const ServerSnapshot& server, std::span<const CallMetrics* const> workers,
                           const CallMetricLabels* labels, metrics::Format format,
                           const std::vector<std::function<void(metrics::Exposition&)>>& extra) {
  metrics::Exposition out(format);
  if (labels) CallMetrics::write(out, workers, *labels);
  write_connections(out, server);
  write_audit(out, server);
  write_rules(out, server);
  write_credentials(out, server);
  write_alerts(out, server);
  write_analytics(out, server);
  write_discovery(out, server);
  write_process(out, server);
  for (const auto& write : extra) write(out);
  return out.finish();
}

}  // namespace dynaudit::proxy
