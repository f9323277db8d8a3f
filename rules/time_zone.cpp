// TZif reading and POSIX TZ rules for `time` conditions.
#include "rules/time_zone.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>

namespace dynaudit::rules {

std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void civil_from_days(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

namespace {

constexpr std::int64_t kDay = 86400;

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

bool is_leap(std::int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned days_in_month(std::int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

// Local (wall-clock) seconds since the epoch at which `rule` fires in year `y`.
std::int64_t rule_local_time(const TimeZone::PosixRule& rule, std::int64_t y) {
  std::int64_t day = 0;
  using Kind = TimeZone::PosixRule::Kind;
  if (rule.kind == Kind::month_week_day) {
    const auto m = static_cast<unsigned>(rule.month);
    const std::int64_t first = days_from_civil(y, m, 1);
    const auto first_dow = static_cast<int>(((first % 7) + 7 + 4) % 7);  // 1970-01-01 was a Thursday
    int dom = 1 + ((rule.day - first_dow) % 7 + 7) % 7 + (rule.week - 1) * 7;
    while (dom > static_cast<int>(days_in_month(y, m))) dom -= 7;
    day = first + dom - 1;
  } else if (rule.kind == Kind::julian1) {
    int n = rule.julian - 1;
    if (is_leap(y) && rule.julian >= 60) ++n;
    day = days_from_civil(y, 1, 1) + n;
  } else {
    day = days_from_civil(y, 1, 1) + rule.julian;
  }
  return day * kDay + rule.time;
}

// [+-]hh[:mm[:ss]] into seconds; `max_hours` 24 for offsets, 167 for rule times.
bool parse_hms(std::string_view s, std::size_t& i, int max_hours, std::int32_t& out) {
  int sign = 1;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    if (s[i] == '-') sign = -1;
    ++i;
  }
  auto number = [&](int max_digits, int& v) {
    int digits = 0;
    v = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9' && digits < max_digits) {
      v = v * 10 + (s[i] - '0');
      ++i;
      ++digits;
    }
    return digits > 0;
  };
  int h = 0, m = 0, sec = 0;
  if (!number(3, h) || h > max_hours) return false;
  if (i < s.size() && s[i] == ':') {
    ++i;
    if (!number(2, m) || m > 59) return false;
    if (i < s.size() && s[i] == ':') {
      ++i;
      if (!number(2, sec) || sec > 59) return false;
    }
  }
  out = sign * (h * 3600 + m * 60 + sec);
  return true;
}

bool parse_name(std::string_view s, std::size_t& i) {
  if (i < s.size() && s[i] == '<') {
    const auto close = s.find('>', i);
    if (close == std::string_view::npos || close - i < 4) return false;
    i = close + 1;
    return true;
  }
  const std::size_t start = i;
  while (i < s.size() && ((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z'))) ++i;
  return i - start >= 3;
}

bool parse_rule(std::string_view s, std::size_t& i, TimeZone::PosixRule& r) {
  using Kind = TimeZone::PosixRule::Kind;
  auto number = [&](int& v) {
    int digits = 0;
    v = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9' && digits < 3) {
      v = v * 10 + (s[i] - '0');
      ++i;
      ++digits;
    }
    return digits > 0;
  };
  if (i < s.size() && s[i] == 'M') {
    ++i;
    r.kind = Kind::month_week_day;
    if (!number(r.month) || r.month < 1 || r.month > 12) return false;
    if (i >= s.size() || s[i] != '.') return false;
    ++i;
    if (!number(r.week) || r.week < 1 || r.week > 5) return false;
    if (i >= s.size() || s[i] != '.') return false;
    ++i;
    if (!number(r.day) || r.day > 6) return false;
  } else if (i < s.size() && s[i] == 'J') {
    ++i;
    r.kind = Kind::julian1;
    if (!number(r.julian) || r.julian < 1 || r.julian > 365) return false;
  } else {
    r.kind = Kind::julian0;
    if (!number(r.julian) || r.julian > 365) return false;
  }
  r.time = 7200;
  if (i < s.size() && s[i] == '/') {
    ++i;
    if (!parse_hms(s, i, 167, r.time)) return false;
  }
  return true;
}

std::int64_t read_be(const unsigned char* p, int n) {
  std::uint64_t v = 0;
  for (int k = 0; k < n; ++k) v = (v << 8) | p[k];
  if (n == 4) return static_cast<std::int32_t>(static_cast<std::uint32_t>(v));
  return static_cast<std::int64_t>(v);
}

bool valid_zone_name(std::string_view name) {
  if (name.empty() || name.size() > 128 || name.front() == '/' || name.find("..") != std::string_view::npos)
    return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '/' || c == '_' ||
           c == '-' || c == '+';
  });
}

}  // namespace

std::optional<TimeZone::PosixTz> TimeZone::parse_posix(std::string_view s) {
  PosixTz tz;
  std::size_t i = 0;
  if (!parse_name(s, i)) return std::nullopt;
  std::int32_t off = 0;
  if (!parse_hms(s, i, 24, off)) return std::nullopt;
  tz.std_offset = -off;  // POSIX offsets are west of UTC
  if (i == s.size()) return tz;
  if (!parse_name(s, i)) return std::nullopt;
  tz.has_dst = true;
  tz.dst_offset = tz.std_offset + 3600;
  if (i < s.size() && s[i] != ',') {
    if (!parse_hms(s, i, 24, off)) return std::nullopt;
    tz.dst_offset = -off;
  }
  if (i >= s.size() || s[i] != ',') return std::nullopt;  // no rule: not supported
  ++i;
  if (!parse_rule(s, i, tz.start)) return std::nullopt;
  if (i >= s.size() || s[i] != ',') return std::nullopt;
  ++i;
  if (!parse_rule(s, i, tz.end)) return std::nullopt;
  if (i != s.size()) return std::nullopt;
  return tz;
}

TimeZone TimeZone::utc() {
  TimeZone z;
  z.type_offsets_.push_back(0);
  return z;
}

std::optional<TimeZone> TimeZone::parse_tzif(std::string_view data, std::string& error) {
  auto bad = [&](const char* why) {
    error = why;
    return std::nullopt;
  };
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  const std::size_t size = data.size();
  struct Header {
    std::int64_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
  };
  auto header = [&](std::size_t at, Header& h) {
    if (at + 44 > size || data.substr(at, 4) != "TZif") return false;
    h.isutcnt = read_be(p + at + 20, 4);
    h.isstdcnt = read_be(p + at + 24, 4);
    h.leapcnt = read_be(p + at + 28, 4);
    h.timecnt = read_be(p + at + 32, 4);
    h.typecnt = read_be(p + at + 36, 4);
    h.charcnt = read_be(p + at + 40, 4);
    return h.isutcnt >= 0 && h.isstdcnt >= 0 && h.leapcnt >= 0 && h.timecnt >= 0 && h.typecnt > 0 &&
           h.charcnt >= 0 && h.timecnt < 100000 && h.typecnt < 256 && h.leapcnt < 100000 && h.charcnt < 100000 &&
           h.isutcnt < 256 && h.isstdcnt < 256;
  };
  Header h1{};
  if (!header(0, h1)) return bad("not a TZif file");
  if (data[4] < '2') return bad("TZif version 1 files are not supported");
  const std::size_t v1_len = static_cast<std::size_t>(h1.timecnt * 5 + h1.typecnt * 6 + h1.charcnt +
                                                      h1.leapcnt * 8 + h1.isstdcnt + h1.isutcnt);
  const std::size_t at = 44 + v1_len;
  Header h{};
  if (!header(at, h)) return bad("truncated TZif file");
  std::size_t q = at + 44;
  const std::size_t body = static_cast<std::size_t>(h.timecnt * 9 + h.typecnt * 6 + h.charcnt + h.leapcnt * 12 +
                                                    h.isstdcnt + h.isutcnt);
  if (q + body > size) return bad("truncated TZif file");
  TimeZone z;
  z.transitions_.reserve(static_cast<std::size_t>(h.timecnt));
  for (std::int64_t k = 0; k < h.timecnt; ++k, q += 8) z.transitions_.push_back(read_be(p + q, 8));
  for (std::int64_t k = 0; k < h.timecnt; ++k, ++q) {
    if (p[q] >= h.typecnt) return bad("bad TZif transition type");
    z.transition_types_.push_back(p[q]);
  }
  for (std::int64_t k = 0; k < h.typecnt; ++k, q += 6) {
    const std::int64_t off = read_be(p + q, 4);
    if (off < -89999 || off > 93599) return bad("bad TZif offset");
    z.type_offsets_.push_back(static_cast<std::int32_t>(off));
  }
  if (!std::is_sorted(z.transitions_.begin(), z.transitions_.end())) return bad("unsorted TZif transitions");
  q += static_cast<std::size_t>(h.charcnt + h.leapcnt * 12 + h.isstdcnt + h.isutcnt);
  // Footer: "\n<POSIX TZ>\n"
  if (q < size && data[q] == '\n') {
    const auto end = data.find('\n', q + 1);
    if (end != std::string_view::npos && end > q + 1) z.footer_ = parse_posix(data.substr(q + 1, end - q - 1));
  }
  return z;
}

std::optional<TimeZone> TimeZone::load(std::string_view name, std::string& error) {
  if (valid_zone_name(name) && name == "UTC") return utc();
  if (!valid_zone_name(name)) {
    error = "unknown time zone '" + std::string(name) + "'";
    return std::nullopt;
  }
  const char* dir = std::getenv("TZDIR");
  std::string path = (dir && *dir) ? dir : "/usr/share/zoneinfo";
  path += '/';
  path += name;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "unknown time zone '" + std::string(name) + "'";
    return std::nullopt;
  }
  std::string data;
  char buf[4096];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    data.append(buf, static_cast<std::size_t>(in.gcount()));
    if (data.size() > (1u << 20)) break;
  }
  std::string why;
  auto z = parse_tzif(data, why);
  if (!z) error = "time zone '" + std::string(name) + "': " + why;
  return z;
}

std::int32_t TimeZone::offset_at(std::int64_t t) const {
  if (transitions_.empty() || t < transitions_.front()) {
    if (transitions_.empty() && footer_) {
      // fall through to the footer
    } else {
      return type_offsets_.empty() ? 0 : type_offsets_.front();
    }
  }
  if (!transitions_.empty() && (t < transitions_.back() || !footer_)) {
    const auto it = std::upper_bound(transitions_.begin(), transitions_.end(), t);
    const auto idx = static_cast<std::size_t>(it - transitions_.begin()) - 1;
    return type_offsets_[transition_types_[idx]];
  }
  const PosixTz& f = *footer_;
  if (!f.has_dst) return f.std_offset;
  std::int64_t y = 0;
  unsigned m = 0, d = 0;
  civil_from_days(floor_div(t + f.std_offset, kDay), y, m, d);
  const std::int64_t start = rule_local_time(f.start, y) - f.std_offset;
  const std::int64_t end = rule_local_time(f.end, y) - f.dst_offset;
  bool dst = start < end ? (t >= start && t < end) : !(t >= end && t < start);
  return dst ? f.dst_offset : f.std_offset;
}

}  // namespace dynaudit::rules
