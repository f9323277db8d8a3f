// Parsing and printing of the CLI's time arguments (RFC 3339 or an age) and of
// the UTC time stamps it prints. Hand-written because libstdc++ 12 has the
// calendar types but not std::chrono::parse.
#include "cli/audit_time.hpp"

#include <cctype>
#include <cstdio>

namespace dynaudit::cli {
namespace {

using namespace std::chrono;

// Reads exactly `digits` decimal digits at `pos`; advances `pos`.
std::optional<int> read_number(std::string_view s, std::size_t& pos, std::size_t digits) {
  if (pos + digits > s.size()) return std::nullopt;
  int value = 0;
  for (std::size_t i = 0; i < digits; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  pos += digits;
  return value;
}

bool expect(std::string_view s, std::size_t& pos, char c) {
  if (pos < s.size() && s[pos] == c) {
    ++pos;
    return true;
  }
  return false;
}

std::optional<SysTime> parse_age(std::string_view s, SysTime now) {
  if (s.size() < 2) return std::nullopt;
  long long n = 0;
  std::size_t i = 0;
  for (; i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])); ++i) {
    if (n > 1'000'000'000) return std::nullopt;  // no one means a billion units ago
    n = n * 10 + (s[i] - '0');
  }
  if (i == 0 || i + 1 != s.size()) return std::nullopt;
  seconds unit{0};
  switch (s[i]) {
    case 's': unit = seconds{1}; break;
    case 'm': unit = minutes{1}; break;
    case 'h': unit = hours{1}; break;
    case 'd': unit = days{1}; break;
    case 'w': unit = weeks{1}; break;
    default: return std::nullopt;
  }
  return now - n * unit;
}

std::optional<SysTime> parse_rfc3339(std::string_view s) {
  std::size_t pos = 0;
  auto y = read_number(s, pos, 4);
  if (!y || !expect(s, pos, '-')) return std::nullopt;
  auto mo = read_number(s, pos, 2);
  if (!mo || !expect(s, pos, '-')) return std::nullopt;
  auto d = read_number(s, pos, 2);
  if (!d) return std::nullopt;
  year_month_day ymd{year{*y}, month{static_cast<unsigned>(*mo)}, day{static_cast<unsigned>(*d)}};
  if (!ymd.ok()) return std::nullopt;
  SysTime t = sys_days{ymd};
  if (pos == s.size()) return t;  // a date alone: midnight UTC

  if (!(expect(s, pos, 'T') || expect(s, pos, 't') || expect(s, pos, ' '))) return std::nullopt;
  auto h = read_number(s, pos, 2);
  if (!h || !expect(s, pos, ':')) return std::nullopt;
  auto mi = read_number(s, pos, 2);
  if (!mi || !expect(s, pos, ':')) return std::nullopt;
  auto sec = read_number(s, pos, 2);
  if (!sec || *h > 23 || *mi > 59 || *sec > 59) return std::nullopt;
  t += hours{*h} + minutes{*mi} + seconds{*sec};
  if (expect(s, pos, '.')) {
    // Fractions finer than a microsecond are accepted and dropped.
    std::size_t start = pos;
    long long micros = 0;
    int scale = 100'000;
    while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
      micros += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start) return std::nullopt;
    t += microseconds{micros};
  }
  if (expect(s, pos, 'Z') || expect(s, pos, 'z')) return pos == s.size() ? std::optional{t} : std::nullopt;
  if (pos >= s.size() || (s[pos] != '+' && s[pos] != '-')) return std::nullopt;
  int sign = s[pos] == '+' ? 1 : -1;
  ++pos;
  auto oh = read_number(s, pos, 2);
  if (!oh || !expect(s, pos, ':')) return std::nullopt;
  auto om = read_number(s, pos, 2);
  if (!om || *oh > 23 || *om > 59 || pos != s.size()) return std::nullopt;
  // 16:00+01:00 is 15:00Z: subtract the offset.
  return t - sign * (hours{*oh} + minutes{*om});
}

}  // namespace

std::optional<SysTime> parse_time_arg(std::string_view text, SysTime now, std::string& error) {
  if (auto t = parse_age(text, now)) return t;
  if (auto t = parse_rfc3339(text)) return t;
  error = "'" + std::string(text) +
          "' is not a time: use RFC 3339 (2026-11-29T16:00:00Z, 2026-11-29) or an age (30s, 15m, 2h, 1d, 1w)";
  return std::nullopt;
}

std::string format_utc(SysTime t, bool millis) {
  auto day_start = floor<days>(t);
  year_month_day ymd{day_start};
  hh_mm_ss<milliseconds> tod{floor<milliseconds>(t - day_start)};
  char buf[40];
  if (millis) {
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02ld:%02ld:%02lld.%03lldZ", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  static_cast<long>(tod.hours().count()), static_cast<long>(tod.minutes().count()),
                  static_cast<long long>(tod.seconds().count()), static_cast<long long>(tod.subseconds().count()));
  } else {
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02ld:%02ld:%02lldZ", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  static_cast<long>(tod.hours().count()), static_cast<long>(tod.minutes().count()),
                  static_cast<long long>(tod.seconds().count()));
  }
  return buf;
}

SysTime hour_floor(SysTime t) { return floor<hours>(t); }

std::string hour_file_stem(SysTime hour) {
  auto day_start = floor<days>(hour);
  year_month_day ymd{day_start};
  auto h = duration_cast<hours>(hour - day_start).count();
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d/%02u/%02u/dynaudit_%04d%02u%02uT%02ld00Z", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), static_cast<long>(h));
  return buf;
}

}  // namespace dynaudit::cli
