// What each channel kind sends for one alert: dynaudit's generic JSON
// object, a Slack incoming-webhook message, a Microsoft Teams MessageCard,
// an RFC 5424 syslog message and a JSON line. Pure functions.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "alerts/alert.hpp"

namespace dynaudit::alerts {

// "2024-05-01T12:00:00.123Z"
std::string iso8601_utc_ms(std::chrono::system_clock::time_point time);

// Appends `text` as a quoted JSON string (ddb's escaper: control characters
// escaped, broken UTF-8 replaced by U+FFFD).
void append_json_string(std::string& out, std::string_view text);

// {"source":"dynaudit","rule":..,"severity":..,"message":..,"time":..,
//  "eventId":..,"principal":..,"operation":..,"tables":[..],"sourceIp":..,
//  "decision":..,"tags":[..]}
std::string webhook_json(const Alert& alert);
// webhook_json + "\n"
std::string json_line(const Alert& alert);
// {"text":..,"blocks":[section(mrkdwn), context(rule · severity · ...)]}
std::string slack_json(const Alert& alert);
// {"@type":"MessageCard",...,"themeColor":<by severity>,"sections":[{"facts":[..]}]}
std::string teams_json(const Alert& alert);
std::string_view teams_theme_color(std::string_view severity);

struct SyslogFields {
  int facility = 13;     // 0..23; clamped
  std::string hostname;  // empty: NILVALUE
  std::string app_name = "dynaudit";
  std::string procid;  // empty: NILVALUE
};

// RFC 5424 severity of an alert severity: critical 2, high 3, medium 4,
// low 5, info 6; anything else 4 (warning).
int syslog_severity(std::string_view severity);

// One RFC 5424 message, without transport framing:
// <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID alert [dynaudit@32473 ...] BOM MSG
std::string syslog_message(const Alert& alert, const SyslogFields& fields);

}  // namespace dynaudit::alerts
