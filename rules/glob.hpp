// Glob: a shell-style pattern compiled once at load and matched over
// string_views without allocating. `*` matches any run, `?` one character,
// `[abc]`, `[a-z]`, `[!a]` one character of (or not of) a class.
#pragma once

#include <bitset>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dynaudit::rules {

struct GlobOptions {
  bool fold_case = false;    // ASCII case-insensitive
  bool collapse_ws = false;  // runs of whitespace match as one space; leading/trailing ignored
};

class Glob {
 public:
  // Empty optional and `error` set ("bad glob '[abc'") for an unbalanced `[`,
  // an empty class or a reversed range.
  static std::optional<Glob> compile(std::string_view pattern, GlobOptions options, std::string& error);
  bool match(std::string_view text) const;
  const std::string& pattern() const { return pattern_; }

 private:
  enum class Kind : std::uint8_t { literal, any, star, cls };
  struct Token {
    Kind kind;
    unsigned char ch;        // literal
    std::uint16_t cls = 0;   // index into classes_
  };
  std::string pattern_;
  std::vector<Token> tokens_;
  std::vector<std::bitset<256>> classes_;
  GlobOptions options_;
  // Fast paths for the common case (table names, principals): the literal
  // characters before the first wildcard, and whether there is no wildcard
  // at all. Only used without case folding or white-space collapsing.
  std::string literal_prefix_;
  bool all_literal_ = false;
};

}  // namespace dynaudit::rules
