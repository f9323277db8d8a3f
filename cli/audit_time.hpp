// Time arguments and time stamps for `dynaudit audit …`: investigators type
// either an RFC 3339 instant (2026-11-29T16:00:00Z) or an age ("15m" = 15
// minutes ago), and read UTC times back in the same RFC 3339 form.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace dynaudit::cli {

using SysTime = std::chrono::system_clock::time_point;

// "2026-11-29T16:00:00Z", "2026-11-29T16:00:00.250+01:00", "2026-11-29" (midnight
// UTC), or an age: a positive integer with s, m, h, d or w, meaning that long
// before `now`. nullopt (with `error` set) on anything else.
std::optional<SysTime> parse_time_arg(std::string_view text, SysTime now, std::string& error);

// UTC, "2026-11-29T16:00:00Z"; with `millis`, "2026-11-29T16:00:00.123Z".
std::string format_utc(SysTime t, bool millis = false);

// The start of the UTC hour `t` falls in.
SysTime hour_floor(SysTime t);

// The export file of that hour, relative to the export folder:
// "2026/11/29/dynaudit_20261129T1600Z" (the caller adds the extension).
std::string hour_file_stem(SysTime hour);

}  // namespace dynaudit::cli
