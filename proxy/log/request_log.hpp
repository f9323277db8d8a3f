// The one-line-per-request JSON log on stderr: what an on-call engineer
// greps. It carries who, what, outcome and timing; never a secret, a
// signature, a session token or an item value.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace dynaudit::proxy {

struct RequestLogEntry {
  std::chrono::system_clock::time_point time;
  std::string listener;
  std::string remote;  // "ip:port"
  bool tls = false;
  std::string operation;  // empty when the request had no X-Amz-Target
  std::vector<std::string> tables;
  std::string principal;
  std::string access_key_id;
  std::string auth_mode;  // "trust" | "verify"
  bool verified = false;
  unsigned status = 0;
  std::string error_type;  // short __type, e.g. "ValidationException"
  std::string outcome;     // "forwarded" | "rejected" | "denied" | "withheld" | "upstream_error" | "endpoint" (GET/OPTIONS)
  std::string rule;        // the rule that denied the call, if one did
  double latency_ms = 0;
  double upstream_ms = 0;
  std::size_t request_bytes = 0;
  std::size_t response_bytes = 0;
  std::string request_id;  // upstream x-amzn-RequestId, or the proxy's own
};

std::string format_request_log(const RequestLogEntry& entry);

// A general structured line: {"time":…,"level":…,"msg":…} plus `fields`
// (already-escaped JSON members without braces, may be empty).
std::string format_log_line(std::string_view level, std::string_view message, std::string_view fields = {});

// Writes one line to stderr with a single write(2), so lines from different
// workers never interleave and no lock is taken.
void write_log_line(const std::string& line);

std::string iso8601_millis(std::chrono::system_clock::time_point t);

}  // namespace dynaudit::proxy
