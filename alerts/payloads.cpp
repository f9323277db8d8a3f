// Payload formatters of the alert channels (see payloads.hpp).
#include "alerts/payloads.hpp"

#include <cstdio>
#include <ctime>

#include "ddb/error_response.hpp"
#include "ddb/utf8.hpp"

namespace dynaudit::alerts {
namespace {

void append_field(std::string& out, std::string_view name, std::string_view value) {
  if (out.back() != '{') out += ',';
  append_json_string(out, name);
  out += ':';
  append_json_string(out, value);
}

void append_array(std::string& out, std::string_view name, const std::vector<std::string>& values) {
  if (out.back() != '{') out += ',';
  append_json_string(out, name);
  out += ":[";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i != 0) out += ',';
    append_json_string(out, values[i]);
  }
  out += ']';
}

std::string joined(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += separator;
    out += p;
  }
  return out;
}

// Slack mrkdwn treats &, < and > as control characters.
std::string slack_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '&') out += "&amp;";
    else if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else out += c;
  }
  return out;
}

std::string upper(std::string_view text) {
  std::string out(text);
  for (auto& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

// RFC 5424 header fields: printable US-ASCII (33..126), at most `max`
// characters, NILVALUE when empty.
std::string header_field(std::string_view text, std::size_t max) {
  std::string out;
  for (char c : text) {
    if (out.size() == max) break;
    const auto b = static_cast<unsigned char>(c);
    out += (b >= 33 && b <= 126) ? c : '_';
  }
  return out.empty() ? "-" : out;
}

// Syslog text: valid UTF-8 (invalid bytes become U+FFFD) with control
// characters folded to spaces, so one alert stays one line for receivers
// that split on newlines. `sd_value`: also escape '"', '\\' and ']' as an
// SD-PARAM value needs (RFC 5424 6.3.3); MSG follows a BOM and needs none.
void append_syslog_text(std::string& out, std::string_view text, bool sd_value) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto b = static_cast<unsigned char>(text[i]);
    if (b >= 0x80) {
      const std::size_t n = ddb::valid_utf8_sequence_length(text.substr(i));
      if (n == 0) {
        out += "\xEF\xBF\xBD";
        ++i;
      } else {
        out.append(text.substr(i, n));
        i += n;
      }
      continue;
    }
    if (sd_value && (b == '"' || b == '\\' || b == ']')) out += '\\';
    out += (b < 0x20 || b == 0x7F) ? ' ' : text[i];
    ++i;
  }
}

}  // namespace

std::string iso8601_utc_ms(std::chrono::system_clock::time_point time) {
  using namespace std::chrono;
  const auto ms = duration_cast<milliseconds>(time.time_since_epoch()).count();
  std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  long millis = static_cast<long>(ms % 1000);
  if (millis < 0) {
    millis += 1000;
    --seconds;
  }
  std::tm tm{};
  ::gmtime_r(&seconds, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03ldZ", buf, millis);
  return out;
}

void append_json_string(std::string& out, std::string_view text) {
  out += '"';
  ddb::append_json_escaped(out, text);
  out += '"';
}

std::string webhook_json(const Alert& alert) {
  std::string out = "{";
  out.reserve(512);
  append_field(out, "source", "dynaudit");
  append_field(out, "rule", alert.rule_id);
  append_field(out, "severity", alert.severity);
  append_field(out, "message", alert.message);
  append_field(out, "time", iso8601_utc_ms(alert.time));
  append_field(out, "eventId", alert.event_id);
  append_field(out, "principal", alert.principal);
  append_field(out, "operation", alert.operation);
  append_array(out, "tables", alert.tables);
  append_field(out, "sourceIp", alert.source_ip);
  append_field(out, "decision", alert.decision);
  append_array(out, "tags", alert.tags);
  out += '}';
  return out;
}

std::string json_line(const Alert& alert) { return webhook_json(alert) + "\n"; }

std::string slack_json(const Alert& alert) {
  const std::string severity = upper(alert.severity);
  const std::string text = "[" + severity + "] " + slack_escape(alert.message);
  const std::string section =
      "*dynaudit alert* (" + slack_escape(severity) + ")\n" + slack_escape(alert.message);
  std::string context = "rule `" + slack_escape(alert.rule_id) + "` · " +
                        slack_escape(alert.severity) + " · " + slack_escape(alert.principal) +
                        " · " + slack_escape(alert.operation) + " · " +
                        slack_escape(joined(alert.tables, ",")) + " · " +
                        slack_escape(alert.event_id);
  std::string out = "{\"text\":";
  append_json_string(out, text);
  out += ",\"blocks\":[{\"type\":\"section\",\"text\":{\"type\":\"mrkdwn\",\"text\":";
  append_json_string(out, section);
  out += "}},{\"type\":\"context\",\"elements\":[{\"type\":\"mrkdwn\",\"text\":";
  append_json_string(out, context);
  out += "}]}]}";
  return out;
}

std::string_view teams_theme_color(std::string_view severity) {
  if (severity == "critical") return "A4262C";
  if (severity == "high") return "D83B01";
  if (severity == "medium") return "FFB900";
  if (severity == "low") return "0078D4";
  return "808080";
}

std::string teams_json(const Alert& alert) {
  const std::string title = "dynaudit alert: " + alert.rule_id + " (" + alert.severity + ")";
  std::string out = "{";
  append_field(out, "@type", "MessageCard");
  append_field(out, "@context", "https://schema.org/extensions");
  append_field(out, "summary", alert.message);
  append_field(out, "themeColor", teams_theme_color(alert.severity));
  append_field(out, "title", title);
  append_field(out, "text", alert.message);
  out += ",\"sections\":[{\"facts\":[";
  const std::pair<std::string_view, std::string> facts[] = {
      {"Rule", alert.rule_id},
      {"Severity", alert.severity},
      {"Principal", alert.principal},
      {"Operation", alert.operation},
      {"Tables", joined(alert.tables, ", ")},
      {"Source IP", alert.source_ip},
      {"Decision", alert.decision},
      {"Event ID", alert.event_id},
      {"Time", iso8601_utc_ms(alert.time)},
  };
  bool first = true;
  for (const auto& [name, value] : facts) {
    if (!first) out += ',';
    first = false;
    out += '{';
    append_field(out, "name", name);
    append_field(out, "value", value);
    out += '}';
  }
  out += "]}]}";
  return out;
}

int syslog_severity(std::string_view severity) {
  if (severity == "critical") return 2;
  if (severity == "high") return 3;
  if (severity == "medium") return 4;
  if (severity == "low") return 5;
  if (severity == "info") return 6;
  return 4;
}

std::string syslog_message(const Alert& alert, const SyslogFields& fields) {
  const int facility = fields.facility < 0 ? 0 : (fields.facility > 23 ? 23 : fields.facility);
  std::string out = "<" + std::to_string(facility * 8 + syslog_severity(alert.severity)) + ">1 ";
  out += iso8601_utc_ms(alert.time);
  out += ' ';
  out += header_field(fields.hostname, 255);
  out += ' ';
  out += header_field(fields.app_name, 48);
  out += ' ';
  out += header_field(fields.procid, 128);
  out += " alert [dynaudit@32473";
  const std::pair<std::string_view, std::string_view> params[] = {
      {"rule", alert.rule_id},           {"severity", alert.severity},
      {"principal", alert.principal},    {"operation", alert.operation},
      {"eventId", alert.event_id},
  };
  for (const auto& [name, value] : params) {
    out += ' ';
    out += name;
    out += "=\"";
    append_syslog_text(out, value, /*sd_value=*/true);
    out += '"';
  }
  out += "] \xEF\xBB\xBF";
  append_syslog_text(out, alert.message, /*sd_value=*/false);
  return out;
}

}  // namespace dynaudit::alerts
