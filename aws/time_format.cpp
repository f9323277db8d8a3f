// Strict parsers and formatters for the AWS wire date forms. They validate
// every field's range so that a malformed date is rejected rather than
// normalised into a different instant, and they compute in whole seconds
// (64-bit, years 1970-9999 fit many times over): system_clock counts
// nanoseconds in 64 bits on libstdc++ and ends in 2262, so a date past that
// converted to it would wrap into the past.
#include "aws/time_format.hpp"

#include <array>
#include <cstdint>
#include <cstdio>

#include "aws/sigv4.hpp"

namespace dynaudit::aws {
namespace {

using std::chrono::sys_seconds;
using std::chrono::system_clock;

struct CivilTime {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
};

bool is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in_month(int y, int m) {
  static constexpr std::array<int, 12> kDays{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[static_cast<std::size_t>(m - 1)];
}

// Howard Hinnant's days_from_civil: proleptic Gregorian, exact for all
// years we accept, and independent of the C library's time zone state.
std::int64_t days_from_civil(int y, int m, int d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = static_cast<unsigned>((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1);
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

CivilTime civil_from_time(sys_seconds t) {
  const auto secs = t.time_since_epoch().count();
  std::int64_t days = secs / 86400;
  std::int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  // civil_from_days, the inverse of days_from_civil.
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  CivilTime c;
  c.day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  c.month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  c.year = static_cast<int>(static_cast<std::int64_t>(yoe) + era * 400 + (c.month <= 2));
  c.hour = static_cast<int>(rem / 3600);
  c.minute = static_cast<int>(rem % 3600 / 60);
  c.second = static_cast<int>(rem % 60);
  return c;
}

bool valid(const CivilTime& c) {
  // Leap seconds (60) are not accepted: AWS never emits them and a
  // signature date of 23:59:60 would otherwise silently mean 00:00:00.
  return c.year >= 1970 && c.year <= 9999 && c.month >= 1 && c.month <= 12 && c.day >= 1 &&
         c.day <= days_in_month(c.year, c.month) && c.hour <= 23 && c.minute <= 59 &&
         c.second <= 59;
}

sys_seconds to_time(const CivilTime& c) {
  const std::int64_t secs = days_from_civil(c.year, c.month, c.day) * 86400 + c.hour * 3600 +
                            c.minute * 60 + c.second;
  return sys_seconds{std::chrono::seconds{secs}};
}

// The last second system_clock can hold (2262-04-11 on libstdc++).
constexpr sys_seconds kClockEnd = std::chrono::floor<std::chrono::seconds>(system_clock::time_point::max());

// Reads exactly `width` ASCII digits at `pos`.
bool read_digits(std::string_view s, std::size_t pos, std::size_t width, int& out) {
  if (pos + width > s.size()) return false;
  int v = 0;
  for (std::size_t i = pos; i < pos + width; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

bool expect(std::string_view s, std::size_t pos, char c) { return pos < s.size() && s[pos] == c; }

}  // namespace

namespace sigv4 {

std::string format_amz_date(sys_seconds t) {
  const CivilTime c = civil_from_time(t);
  if (c.year < 0 || c.year > 9999) return {};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d%02d%02dT%02d%02d%02dZ", c.year, c.month, c.day, c.hour,
                c.minute, c.second);
  return buf;
}

std::optional<sys_seconds> parse_amz_date(std::string_view s) {
  CivilTime c;
  if (s.size() != 16 || !read_digits(s, 0, 4, c.year) || !read_digits(s, 4, 2, c.month) ||
      !read_digits(s, 6, 2, c.day) || !expect(s, 8, 'T') || !read_digits(s, 9, 2, c.hour) ||
      !read_digits(s, 11, 2, c.minute) || !read_digits(s, 13, 2, c.second) || !expect(s, 15, 'Z'))
    return std::nullopt;
  if (!valid(c)) return std::nullopt;
  return to_time(c);
}

}  // namespace sigv4

namespace time_format {

std::optional<system_clock::time_point> parse_iso8601(std::string_view s) {
  CivilTime c;
  if (!read_digits(s, 0, 4, c.year) || !expect(s, 4, '-') || !read_digits(s, 5, 2, c.month) ||
      !expect(s, 7, '-') || !read_digits(s, 8, 2, c.day) ||
      !(expect(s, 10, 'T') || expect(s, 10, 't')) || !read_digits(s, 11, 2, c.hour) ||
      !expect(s, 13, ':') || !read_digits(s, 14, 2, c.minute) || !expect(s, 16, ':') ||
      !read_digits(s, 17, 2, c.second))
    return std::nullopt;
  if (!valid(c)) return std::nullopt;
  std::size_t pos = 19;
  // Fractional seconds are truncated: expirations are compared to the second.
  if (expect(s, pos, '.')) {
    ++pos;
    const std::size_t digits_start = pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
    if (pos == digits_start) return std::nullopt;
  }
  std::int64_t offset_seconds = 0;
  if (expect(s, pos, 'Z') || expect(s, pos, 'z')) {
    ++pos;
  } else if (expect(s, pos, '+') || expect(s, pos, '-')) {
    const int sign = s[pos] == '-' ? -1 : 1;
    int oh = 0, om = 0;
    if (!read_digits(s, pos + 1, 2, oh) || !expect(s, pos + 3, ':') ||
        !read_digits(s, pos + 4, 2, om) || oh > 23 || om > 59)
      return std::nullopt;
    offset_seconds = sign * (oh * 3600 + om * 60);
    pos += 6;
  } else {
    return std::nullopt;  // a time without a zone is ambiguous: refuse it
  }
  if (pos != s.size()) return std::nullopt;
  const sys_seconds t = to_time(c) - std::chrono::seconds{offset_seconds};
  // An expiration the clock cannot hold is refused, not wrapped into the past.
  if (t > kClockEnd) return std::nullopt;
  return system_clock::time_point{t};
}

std::optional<sys_seconds> parse_http_date(std::string_view s) {
  // "Mon, 30 Aug 2015 12:36:00 GMT": fixed width. Python's
  // email.utils.formatdate — what botocore puts in Date — writes the zone
  // as "-0000" instead of "GMT", so the numeric UTC forms are accepted too.
  static constexpr std::array<std::string_view, 7> kDays{"Mon", "Tue", "Wed", "Thu",
                                                         "Fri", "Sat", "Sun"};
  static constexpr std::array<std::string_view, 12> kMonths{
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (s.size() < 25) return std::nullopt;
  const std::string_view zone = s.substr(25);
  if (zone != " GMT" && zone != " -0000" && zone != " +0000") return std::nullopt;
  if (s.substr(3, 2) != ", " || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' || s[19] != ':' ||
      s[22] != ':')
    return std::nullopt;
  bool day_ok = false;
  for (auto d : kDays) day_ok = day_ok || s.substr(0, 3) == d;
  if (!day_ok) return std::nullopt;
  CivilTime c;
  for (std::size_t i = 0; i < kMonths.size(); ++i)
    if (s.substr(8, 3) == kMonths[i]) c.month = static_cast<int>(i + 1);
  if (c.month == 0 || !read_digits(s, 5, 2, c.day) || !read_digits(s, 12, 4, c.year) ||
      !read_digits(s, 17, 2, c.hour) || !read_digits(s, 20, 2, c.minute) ||
      !read_digits(s, 23, 2, c.second) || !valid(c))
    return std::nullopt;
  return to_time(c);
}

std::string format_iso8601(system_clock::time_point t) {
  const CivilTime c = civil_from_time(std::chrono::floor<std::chrono::seconds>(t));
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", c.year, c.month, c.day, c.hour,
                c.minute, c.second);
  return buf;
}

}  // namespace time_format
}  // namespace dynaudit::aws
