// The scrubber: finds every occurrence of every value in the original text,
// merges them into runs, and writes the text once with the runs replaced.
#include "ddb/value_scrubber.hpp"

#include <algorithm>
#include <unordered_set>
#include <utility>

namespace dynaudit::ddb {
namespace {

constexpr bool is_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

}  // namespace

ScrubResult scrub_values(std::string_view text, const std::vector<std::string>& values, const ScrubToken& token_of) {
  std::vector<std::pair<std::size_t, std::size_t>> runs;  // [begin, end)
  std::unordered_set<std::string_view> seen;
  for (const std::string& value : values) {
    if (value.size() < kScrubAsToken || value.size() > text.size() || !seen.insert(value).second) continue;
    const bool whole_token_only = value.size() < kScrubAnywhere;
    for (std::size_t at = text.find(value); at != std::string_view::npos; at = text.find(value, at + 1)) {
      const std::size_t end = at + value.size();
      if (whole_token_only && ((at > 0 && is_alnum(text[at - 1])) || (end < text.size() && is_alnum(text[end]))))
        continue;
      runs.emplace_back(at, end);
    }
  }
  ScrubResult result;
  if (runs.empty()) {
    result.text = std::string(text);
    return result;
  }
  std::sort(runs.begin(), runs.end());
  std::size_t copied = 0;
  for (std::size_t i = 0; i < runs.size();) {
    const std::size_t begin = runs[i].first;
    std::size_t end = runs[i].second;
    for (++i; i < runs.size() && runs[i].first <= end; ++i) end = std::max(end, runs[i].second);
    result.text.append(text.substr(copied, begin - copied));
    result.text += token_of(text.substr(begin, end - begin));
    ++result.replaced;
    copied = end;
  }
  result.text.append(text.substr(copied));
  return result;
}

}  // namespace dynaudit::ddb
