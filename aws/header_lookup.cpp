// Case-insensitive header lookup and request-target splitting shared by
// the canonicaliser and the verifier.
#include "aws/header_lookup.hpp"

namespace dynaudit::aws::http {
namespace {

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      const int hi = hex_value(s[i + 1]);
      const int lo = hex_value(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    // A stray '%' is kept literally; it is re-encoded as %25 later.
    out.push_back(s[i]);
  }
  return out;
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower(c);
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<std::string_view> find_header(const RequestView& request, std::string_view name) {
  for (const HeaderView& h : request.headers)
    if (iequals(h.name, name)) return h.value;
  return std::nullopt;
}

TargetParts split_target(std::string_view target) {
  if (const auto hash = target.find('#'); hash != std::string_view::npos)
    target = target.substr(0, hash);
  if (const auto scheme = target.find("://");
      scheme != std::string_view::npos && target.find('/') > scheme) {
    const auto path_start = target.find_first_of("/?", scheme + 3);
    target = path_start == std::string_view::npos ? std::string_view{} : target.substr(path_start);
  }
  TargetParts parts;
  if (const auto q = target.find('?'); q != std::string_view::npos) {
    parts.path = target.substr(0, q);
    parts.query = target.substr(q + 1);
  } else {
    parts.path = target;
  }
  return parts;
}

std::vector<std::pair<std::string, std::string>> parse_query(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    if (eq == std::string_view::npos) {
      out.emplace_back(percent_decode(pair), std::string{});
    } else {
      out.emplace_back(percent_decode(pair.substr(0, eq)), percent_decode(pair.substr(eq + 1)));
    }
  }
  return out;
}

}  // namespace dynaudit::aws::http
