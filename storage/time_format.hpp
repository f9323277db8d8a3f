// Time as the audit record stores it: whole milliseconds since the Unix
// epoch (the hash and the indexes see only these), and CloudTrail's
// eventTime text, which has whole seconds.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace dynaudit::storage {

// Floor to the millisecond, also before 1970.
std::int64_t unix_ms(std::chrono::system_clock::time_point time);
std::chrono::system_clock::time_point from_unix_ms(std::int64_t ms);
// The smallest whole millisecond not earlier than `time`: a record's stored
// time t_ms is >= `time` exactly when t_ms >= ceil_unix_ms(time).
std::int64_t ceil_unix_ms(std::chrono::system_clock::time_point time);

// "2026-11-29T16:00:00Z" for the second holding `ms`.
std::string cloudtrail_time(std::int64_t ms);

// Times a record may carry: system_clock counts nanoseconds in 64 bits, so
// about ±292 years around 1970; anything beyond is refused when parsing.
inline constexpr std::int64_t kMaxAbsUnixMs = 9'000'000'000'000;

}  // namespace dynaudit::storage
