// Date and time formats that AWS puts on the wire: the SigV4 basic ISO 8601
// form (20240101T120000Z), the extended ISO 8601 form that credential
// endpoints use for `Expiration`, and the HTTP IMF-fixdate form of `Date`.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace dynaudit::aws::time_format {

// "2024-01-01T12:00:00Z", also with fractional seconds ("…:00.123Z") or a
// numeric offset ("…:00+01:00"). Empty on malformed input and on a time
// system_clock cannot hold (after 2262 with libstdc++'s nanoseconds).
std::optional<std::chrono::system_clock::time_point> parse_iso8601(std::string_view text);

// "Mon, 30 Aug 2015 12:36:00 GMT" (RFC 7231 IMF-fixdate), or with the zone
// written "-0000"/"+0000" as botocore sends it in `Date` when a request
// already carries that header. In whole seconds: any year 1970-9999.
std::optional<std::chrono::sys_seconds> parse_http_date(std::string_view text);

// "2024-01-01T12:00:00Z" — for messages and logs.
std::string format_iso8601(std::chrono::system_clock::time_point t);

}  // namespace dynaudit::aws::time_format
