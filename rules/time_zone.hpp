// TimeZone: UTC offsets of one IANA zone, read once from its TZif file
// (RFC 8536, version 2 or later: 64-bit transition times and local time
// types). Instants after the last transition follow the file's POSIX TZ
// footer ("CET-1CEST,M3.5.0,M10.5.0/3"; M, J and plain day forms).
// Loading reads a file; offset_at() touches nothing but memory.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dynaudit::rules {

class TimeZone {
 public:
  static TimeZone utc();
  // Reads `name` ("Europe/Berlin") under $TZDIR, else /usr/share/zoneinfo.
  // Names with "..", a leading '/' or unusual characters are refused.
  static std::optional<TimeZone> load(std::string_view name, std::string& error);
  // Parses the bytes of a TZif file.
  static std::optional<TimeZone> parse_tzif(std::string_view data, std::string& error);

  // Seconds east of UTC at `unix_seconds`.
  std::int32_t offset_at(std::int64_t unix_seconds) const;

  struct PosixRule {
    enum class Kind : std::uint8_t { month_week_day, julian1, julian0 } kind = Kind::month_week_day;
    int month = 0, week = 0, day = 0;  // M form; day 0 = Sunday
    int julian = 0;                    // J (1..365, no Feb 29) or plain (0..365)
    std::int32_t time = 7200;          // seconds after local midnight
  };
  struct PosixTz {
    std::int32_t std_offset = 0;  // seconds east of UTC
    bool has_dst = false;
    std::int32_t dst_offset = 0;
    PosixRule start, end;
  };
  // Parses a POSIX TZ string; empty optional when it is not one.
  static std::optional<PosixTz> parse_posix(std::string_view tz);

 private:
  std::vector<std::int64_t> transitions_;
  std::vector<std::uint8_t> transition_types_;
  std::vector<std::int32_t> type_offsets_;
  std::optional<PosixTz> footer_;
};

// Days since 1970-01-01 of a civil date, and back (Howard Hinnant's algorithms).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d);
void civil_from_days(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d);

}  // namespace dynaudit::rules
