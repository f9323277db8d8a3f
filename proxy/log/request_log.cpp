// JSON log lines; see request_log.hpp.
#include "proxy/log/request_log.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <ctime>

#include "ddb/error_response.hpp"

namespace dynaudit::proxy {
namespace {

void member(std::string& out, std::string_view name, std::string_view value) {
  out += ",\"";
  out += name;
  out += "\":\"";
  ddb::append_json_escaped(out, value);
  out += '"';
}

void member(std::string& out, std::string_view name, double value) {
  char buf[64];
  std::snprintf(buf, sizeof buf, ",\"%.*s\":%.3f", static_cast<int>(name.size()), name.data(),
                std::isfinite(value) ? value : 0.0);
  out += buf;
}

void member_raw(std::string& out, std::string_view name, std::string_view json) {
  out += ",\"";
  out += name;
  out += "\":";
  out += json;
}

}  // namespace

std::string iso8601_millis(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  const auto ms = duration_cast<milliseconds>(t.time_since_epoch()).count();
  std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

std::string format_log_line(std::string_view level, std::string_view message, std::string_view fields) {
  std::string out = "{\"time\":\"" + iso8601_millis(std::chrono::system_clock::now()) + "\"";
  member(out, "level", level);
  member(out, "msg", message);
  if (!fields.empty()) {
    out += ',';
    out += fields;
  }
  out += '}';
  return out;
}

std::string format_request_log(const RequestLogEntry& e) {
  std::string out;
  out.reserve(512);
  out += "{\"time\":\"" + iso8601_millis(e.time) + "\"";
  member(out, "level", "info");
  member(out, "msg", "request");
  member(out, "listener", e.listener);
  member(out, "remote", e.remote);
  member_raw(out, "tls", e.tls ? "true" : "false");
  member(out, "operation", e.operation);
  std::string tables = "[";
  for (std::size_t i = 0; i < e.tables.size(); ++i) {
    if (i) tables += ',';
    tables += '"';
    ddb::append_json_escaped(tables, e.tables[i]);
    tables += '"';
  }
  tables += ']';
  member_raw(out, "tables", tables);
  member(out, "principal", e.principal);
  member(out, "access_key_id", e.access_key_id);
  member(out, "auth", e.auth_mode);
  member_raw(out, "verified", e.verified ? "true" : "false");
  member_raw(out, "status", std::to_string(e.status));
  if (!e.error_type.empty()) member(out, "error", e.error_type);
  member(out, "outcome", e.outcome);
  if (!e.rule.empty()) member(out, "rule", e.rule);
  member(out, "latency_ms", e.latency_ms);
  member(out, "upstream_ms", e.upstream_ms);
  member_raw(out, "request_bytes", std::to_string(e.request_bytes));
  member_raw(out, "response_bytes", std::to_string(e.response_bytes));
  member(out, "request_id", e.request_id);
  out += '}';
  return out;
}

void write_log_line(const std::string& line) {
  std::string buffer = line;
  buffer += '\n';
  const char* data = buffer.data();
  std::size_t left = buffer.size();
  while (left > 0) {
    const auto n = ::write(STDERR_FILENO, data, left);
    if (n <= 0) return;  // stderr gone: logging must never take the proxy down
    data += n;
    left -= static_cast<std::size_t>(n);
  }
}

}  // namespace dynaudit::proxy
