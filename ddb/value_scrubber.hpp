// Scrubs the values a request carried out of a text the proxy keeps (an
// upstream error message that echoes them). Pure; the replacement token is
// the caller's (the audit log's hash token, or a fixed mark).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace dynaudit::ddb {

inline constexpr std::size_t kScrubAnywhere = 4;   // values this long are replaced wherever they appear
inline constexpr std::size_t kScrubAsToken = 2;    // shorter ones only as a whole token

using ScrubToken = std::function<std::string(std::string_view value)>;

struct ScrubResult {
  std::string text;
  std::size_t replaced = 0;  // runs replaced
};

// The rule, so that a short value does not garble every message:
// - a value of kScrubAnywhere bytes or more is replaced wherever it appears;
// - a value of kScrubAsToken..kScrubAnywhere-1 bytes is replaced only where
//   it stands as a whole token (no ASCII letter or digit on either side);
// - a one-byte value is not looked for (it carries too little to matter and
//   matches everywhere).
// Occurrences that overlap or touch are merged and replaced once, by
// token_of(the merged text); nothing inserted is scanned again.
ScrubResult scrub_values(std::string_view text, const std::vector<std::string>& values, const ScrubToken& token_of);

}  // namespace dynaudit::ddb
