// ChannelConfig: one configured alert destination. Parsed and validated by
// the serve config (proxy/config); the alerts module only consumes it.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace dynaudit::alerts {

enum class ChannelKind {
  webhook,     // POST of dynaudit's JSON alert object
  slack,       // POST of a Slack incoming-webhook payload
  teams,       // POST of a Microsoft Teams (MessageCard) payload
  syslog_udp,  // RFC 5424 over UDP (one datagram per message)
  syslog_tcp,  // RFC 5424 over TCP with octet-counting framing (RFC 6587)
  file,        // one JSON object per line, appended
};

struct ChannelConfig {
  std::string name;
  ChannelKind kind = ChannelKind::webhook;
  // webhook / slack / teams
  std::string url;      // http:// or https://
  std::string ca_file;  // extra trust anchors for https (else the system store)
  std::vector<std::pair<std::string, std::string>> headers;  // extra request headers
  // syslog
  std::string host = "127.0.0.1";
  std::uint16_t port = 514;
  int facility = 13;  // log audit (RFC 5424 table 1)
  std::string app_name = "dynaudit";
  // file
  std::string path;
  // delivery
  std::chrono::milliseconds timeout{2'000};
  unsigned max_attempts = 4;  // first try + retries
  std::chrono::milliseconds initial_backoff{200};
  std::chrono::milliseconds max_backoff{5'000};
  std::size_t queue_capacity = 1'000;  // alerts waiting; more are dropped and counted
};

std::string_view to_string(ChannelKind);

}  // namespace dynaudit::alerts
