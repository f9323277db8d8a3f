// Glob matching: the iterative two-pointer algorithm with one backtrack
// point (the last `*`), linear in practice and never recursive, so a hostile
// pattern or subject cannot blow the stack.
#include "rules/glob.hpp"

namespace dynaudit::rules {
namespace {

unsigned char lower(unsigned char c) { return (c >= 'A' && c <= 'Z') ? static_cast<unsigned char>(c + 32) : c; }
bool is_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

// Reads a subject character by character, applying the options: folding
// case, and in collapse mode turning a whitespace run into one space and
// dropping leading and trailing whitespace.
class Cursor {
 public:
  Cursor(std::string_view s, GlobOptions o) : s_(s), o_(o) {}
  std::size_t start() const {
    std::size_t p = 0;
    if (o_.collapse_ws)
      while (p < s_.size() && is_space(static_cast<unsigned char>(s_[p]))) ++p;
    return p;
  }
  // The character at `p` (after folding) and the position after it; -1 at
  // the end of the subject (trailing whitespace counts as the end in
  // collapse mode).
  int read(std::size_t p, std::size_t& next) const {
    next = p;
    if (p >= s_.size()) return -1;
    auto c = static_cast<unsigned char>(s_[p]);
    next = p + 1;
    if (o_.collapse_ws && is_space(c)) {
      while (next < s_.size() && is_space(static_cast<unsigned char>(s_[next]))) ++next;
      if (next == s_.size()) return -1;
      return ' ';
    }
    return o_.fold_case ? lower(c) : c;
  }

 private:
  std::string_view s_;
  GlobOptions o_;
};

}  // namespace

std::optional<Glob> Glob::compile(std::string_view pattern, GlobOptions options, std::string& error) {
  Glob g;
  g.pattern_ = std::string(pattern);
  g.options_ = options;
  auto bad = [&] {
    error = "bad glob '" + std::string(pattern) + "'";
    return std::nullopt;
  };
  std::size_t i = 0;
  if (options.collapse_ws)
    while (i < pattern.size() && is_space(static_cast<unsigned char>(pattern[i]))) ++i;
  while (i < pattern.size()) {
    auto c = static_cast<unsigned char>(pattern[i]);
    if (c == '*') {
      if (g.tokens_.empty() || g.tokens_.back().kind != Kind::star) g.tokens_.push_back({Kind::star, 0, 0});
      ++i;
    } else if (c == '?') {
      g.tokens_.push_back({Kind::any, 0, 0});
      ++i;
    } else if (c == '[') {
      std::size_t j = i + 1;
      bool negate = false;
      if (j < pattern.size() && (pattern[j] == '!' || pattern[j] == '^')) {
        negate = true;
        ++j;
      }
      std::bitset<256> set;
      bool closed = false;
      bool any_member = false;
      while (j < pattern.size()) {
        auto a = static_cast<unsigned char>(pattern[j]);
        if (a == ']') {
          closed = true;
          ++j;
          break;
        }
        if (j + 2 < pattern.size() && pattern[j + 1] == '-' && pattern[j + 2] != ']') {
          auto b = static_cast<unsigned char>(pattern[j + 2]);
          if (b < a) return bad();
          for (unsigned x = a; x <= b; ++x) set.set(x);
          j += 3;
        } else {
          set.set(a);
          ++j;
        }
        any_member = true;
      }
      if (!closed || !any_member) return bad();
      if (options.fold_case) {
        for (unsigned x = 'A'; x <= 'Z'; ++x)
          if (set.test(x) || set.test(x + 32)) {
            set.set(x);
            set.set(x + 32);
          }
      }
      if (negate) set.flip();
      if (g.classes_.size() >= 0xFFFF) return bad();
      g.classes_.push_back(set);
      g.tokens_.push_back({Kind::cls, 0, static_cast<std::uint16_t>(g.classes_.size() - 1)});
      i = j;
    } else if (options.collapse_ws && is_space(c)) {
      std::size_t j = i;
      while (j < pattern.size() && is_space(static_cast<unsigned char>(pattern[j]))) ++j;
      if (j < pattern.size()) g.tokens_.push_back({Kind::literal, ' ', 0});
      i = j;
    } else {
      g.tokens_.push_back({Kind::literal, options.fold_case ? lower(c) : c, 0});
      ++i;
    }
  }
  for (const Token& tok : g.tokens_) {
    if (tok.kind != Kind::literal) break;
    g.literal_prefix_ += static_cast<char>(tok.ch);
  }
  g.all_literal_ = g.literal_prefix_.size() == g.tokens_.size();
  return g;
}

bool Glob::match(std::string_view text) const {
  if (!options_.fold_case && !options_.collapse_ws) {
    if (all_literal_) return text == literal_prefix_;
    if (text.substr(0, literal_prefix_.size()) != literal_prefix_) return false;
  }
  Cursor cur(text, options_);
  const std::size_t n = tokens_.size();
  std::size_t p = 0;
  std::size_t t = cur.start();
  constexpr std::size_t npos = static_cast<std::size_t>(-1);
  std::size_t star_p = npos;
  std::size_t star_t = 0;
  for (;;) {
    std::size_t next = t;
    const int c = cur.read(t, next);
    if (c < 0) break;
    if (p < n && tokens_[p].kind == Kind::star) {
      star_p = p++;
      star_t = t;
      continue;
    }
    if (p < n) {
      const Token& tok = tokens_[p];
      bool ok = tok.kind == Kind::any || (tok.kind == Kind::literal && tok.ch == c) ||
                (tok.kind == Kind::cls && classes_[tok.cls].test(static_cast<unsigned char>(c)));
      if (ok) {
        ++p;
        t = next;
        continue;
      }
    }
    if (star_p != npos) {
      p = star_p + 1;
      std::size_t after = star_t;
      if (cur.read(star_t, after) < 0) return false;
      star_t = after;
      t = star_t;
      continue;
    }
    return false;
  }
  while (p < n && tokens_[p].kind == Kind::star) ++p;
  return p == n;
}

}  // namespace dynaudit::rules
