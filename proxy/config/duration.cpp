// Durations in config files: an integer followed by ms, s, m, h or d.
#include "proxy/config/duration.hpp"

#include <charconv>

namespace dynaudit::proxy {

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  long long value = 0;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  auto [next, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc{} || next == begin || value < 0) return std::nullopt;
  std::string_view unit(next, static_cast<std::size_t>(end - next));
  long long factor = 0;
  if (unit == "ms") factor = 1;
  else if (unit == "s") factor = 1000;
  else if (unit == "m") factor = 60'000;
  else if (unit == "h") factor = 3'600'000;
  else if (unit == "d") factor = 86'400'000;
  else return std::nullopt;
  if (value > (1LL << 40) / factor) return std::nullopt;  // absurdly large
  return std::chrono::milliseconds(value * factor);
}

}  // namespace dynaudit::proxy
