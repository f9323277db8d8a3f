// Reads a Prometheus text exposition back into samples: what `dynaudit top`
// needs to show rates from /metrics without a Prometheus server. Comment
// lines are skipped; label values are unescaped. A line that cannot be read
// is counted, never fatal: the page comes from a process that may be newer
// than the reader.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace dynaudit::metrics {

struct Sample {
  std::string name;                           // with its suffix (_total, _bucket, ...)
  std::map<std::string, std::string> labels;  // sorted by name
  double value = 0;

  std::string label(const std::string& key) const {
    auto it = labels.find(key);
    return it == labels.end() ? std::string() : it->second;
  }
};

struct ParsedExposition {
  std::vector<Sample> samples;
  std::size_t unreadable_lines = 0;
};

ParsedExposition parse_exposition(std::string_view text);

}  // namespace dynaudit::metrics
