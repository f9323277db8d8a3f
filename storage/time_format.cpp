// Millisecond time and CloudTrail's eventTime text for the audit record.
#include "storage/time_format.hpp"

#include <cstdio>

namespace dynaudit::storage {

std::int64_t unix_ms(std::chrono::system_clock::time_point time) {
  return std::chrono::floor<std::chrono::milliseconds>(time.time_since_epoch()).count();
}

std::chrono::system_clock::time_point from_unix_ms(std::int64_t ms) {
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::milliseconds(ms)));
}

std::int64_t ceil_unix_ms(std::chrono::system_clock::time_point time) {
  return std::chrono::ceil<std::chrono::milliseconds>(time.time_since_epoch()).count();
}

std::string cloudtrail_time(std::int64_t ms) {
  using namespace std::chrono;
  const sys_time<milliseconds> at{milliseconds(ms)};
  const auto day = floor<days>(at);
  const year_month_day date{day};
  const hh_mm_ss<seconds> clock{floor<seconds>(at - day)};
  const int year = static_cast<int>(date.year());
  if (year >= 0 && year <= 9999) {
    // Every record is written and verified with this: digits by hand, not
    // through snprintf's format parser.
    std::string text = "0000-00-00T00:00:00Z";
    const auto two = [&text](std::size_t at, unsigned value) {
      text[at] = static_cast<char>('0' + value / 10);
      text[at + 1] = static_cast<char>('0' + value % 10);
    };
    two(0, static_cast<unsigned>(year) / 100);
    two(2, static_cast<unsigned>(year) % 100);
    two(5, static_cast<unsigned>(date.month()));
    two(8, static_cast<unsigned>(date.day()));
    two(11, static_cast<unsigned>(clock.hours().count()));
    two(14, static_cast<unsigned>(clock.minutes().count()));
    two(17, static_cast<unsigned>(clock.seconds().count()));
    return text;
  }
  char text[40];
  std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02d:%02d:%02dZ", year,
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                static_cast<int>(clock.hours().count()), static_cast<int>(clock.minutes().count()),
                static_cast<int>(clock.seconds().count()));
  return text;
}

}  // namespace dynaudit::storage
