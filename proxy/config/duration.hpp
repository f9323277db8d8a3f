// Parses the human durations used in config files: "250ms", "30s", "5m", "1h", "7d".
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace dynaudit::proxy {

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

}  // namespace dynaudit::proxy
