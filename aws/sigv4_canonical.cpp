// The SigV4 canonical request: the exact byte string that both sides hash.
// Any deviation from what botocore and smithy produce shows up as a
// signature mismatch for real clients, so each rule names its source.
#include <algorithm>

#include "aws/header_lookup.hpp"
#include "aws/sigv4.hpp"

namespace dynaudit::aws::sigv4 {
namespace {

bool is_unreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}

// RFC 3986 encoding with upper-case hex, as SigV4 requires.
void uri_encode(std::string& out, std::string_view s, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char c : s) {
    if (is_unreserved(c) || (keep_slash && c == '/')) {
      out.push_back(c);
    } else {
      const auto byte = static_cast<unsigned char>(c);
      out.push_back('%');
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0x0f]);
    }
  }
}

// RFC 3986 §5.2.4 dot-segment removal plus collapsing of empty segments,
// exactly as botocore's normalize_url_path and smithy's getCanonicalPath do.
std::string normalize_path(std::string_view path) {
  if (path.empty()) return "/";
  std::vector<std::string_view> segments;
  std::string_view rest = path;
  while (true) {
    const auto slash = rest.find('/');
    const std::string_view seg = rest.substr(0, slash);
    if (seg == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!seg.empty() && seg != ".") {
      segments.push_back(seg);
    }
    if (slash == std::string_view::npos) break;
    rest = rest.substr(slash + 1);
  }
  std::string out;
  if (path.front() == '/') out.push_back('/');
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (i > 0) out.push_back('/');
    out.append(segments[i]);
  }
  if (path.back() == '/' && !segments.empty()) out.push_back('/');
  return out;
}

// The path as received is already percent-encoded by the client; encoding
// it once more is the "double encoding" that SigV4 specifies for every
// service but S3 (botocore quotes with safe='/~', smithy escapeUri).
void append_canonical_uri(std::string& out, std::string_view raw_path) {
  uri_encode(out, normalize_path(raw_path), /*keep_slash=*/true);
}

// Decoded, then re-encoded, then sorted by key and, for repeated keys, by
// value — both compared as encoded strings.
void append_canonical_query(std::string& out, std::string_view raw_query) {
  std::vector<std::pair<std::string, std::string>> pairs;
  for (auto& [key, value] : http::parse_query(raw_query)) {
    std::string k, v;
    uri_encode(k, key, false);
    uri_encode(v, value, false);
    pairs.emplace_back(std::move(k), std::move(v));
  }
  std::sort(pairs.begin(), pairs.end());
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    if (i > 0) out.push_back('&');
    out.append(pairs[i].first).push_back('=');
    out.append(pairs[i].second);
  }
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Trimall: strip both ends, collapse every run of whitespace into one space.
void append_trimmed(std::string& out, std::string_view value) {
  bool pending_space = false;
  bool wrote_any = false;
  for (char c : value) {
    if (is_space(c)) {
      pending_space = wrote_any;
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    wrote_any = true;
    out.push_back(c);
  }
}

}  // namespace

std::string canonical_request(const RequestView& request,
                              const std::vector<std::string>& signed_headers,
                              std::string_view payload_hash_hex) {
  const http::TargetParts target = http::split_target(request.target);
  std::string out;
  out.reserve(256 + request.target.size() + 64 * signed_headers.size());
  out.append(request.method).push_back('\n');
  append_canonical_uri(out, target.path);
  out.push_back('\n');
  append_canonical_query(out, target.query);
  out.push_back('\n');
  // Names go in as listed: the client hashed its own list, so reproducing
  // its order is the only way an unusual but honest client verifies.
  for (const std::string& name : signed_headers) {
    out.append(name).push_back(':');
    bool first = true;
    for (const HeaderView& h : request.headers) {
      if (!http::iequals(h.name, name)) continue;
      // Repeated headers are joined with ',' in arrival order (botocore's
      // get_all, and the HTTP rule for combining field lines).
      if (!first) out.push_back(',');
      first = false;
      append_trimmed(out, h.value);
    }
    out.push_back('\n');
  }
  out.push_back('\n');
  for (std::size_t i = 0; i < signed_headers.size(); ++i) {
    if (i > 0) out.push_back(';');
    out.append(signed_headers[i]);
  }
  out.push_back('\n');
  out.append(payload_hash_hex);
  return out;
}

}  // namespace dynaudit::aws::sigv4
