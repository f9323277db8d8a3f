// Checks for POST /discovery/scan (admin_scan_request.hpp).
#include "proxy/net/admin_scan_request.hpp"

#include <openssl/crypto.h>
#include <simdjson.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

namespace dynaudit::proxy {
namespace {

constexpr std::size_t kMinTokenChars = 32;

// The host part of a Host header: "127.0.0.1:9901" → "127.0.0.1",
// "[::1]:9901" → "::1".
std::string_view host_name(std::string_view host) {
  if (host.starts_with('[')) {
    const auto close = host.find(']');
    return close == std::string_view::npos ? host : host.substr(1, close - 1);
  }
  const auto colon = host.rfind(':');
  return colon == std::string_view::npos ? host : host.substr(0, colon);
}

bool loopback(std::string_view name) {
  if (name == "localhost" || name == "::1") return true;
  // 127.0.0.0/8 as a dotted quad, nothing else (no names that resolve there).
  if (!name.starts_with("127.")) return false;
  int dots = 0;
  for (char ch : name) {
    if (ch == '.') ++dots;
    else if (ch < '0' || ch > '9') return false;
  }
  return dots == 3;
}

bool equal_in_constant_time(std::string_view a, std::string_view b) {
  // The length is no secret worth hiding (the token is random); the bytes are.
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

bool loopback_host(std::string_view host) { return loopback(host_name(host)); }

std::optional<ScanRefusal> refuse_scan_request(std::string_view host, std::string_view content_type,
                                               std::string_view authorization, const std::string& token) {
  if (!loopback_host(host)) return ScanRefusal{403, "the admin listener answers this to a loopback Host only"};
  if (!content_type.starts_with("application/json")) return ScanRefusal{415, "send Content-Type: application/json"};
  constexpr std::string_view kBearer = "Bearer ";
  if (token.empty() || !authorization.starts_with(kBearer) ||
      !equal_in_constant_time(authorization.substr(kBearer.size()), token))
    return ScanRefusal{401, "a valid Bearer token (discovery.scan.token_file) is required"};
  return std::nullopt;
}

std::optional<ScanAsk> parse_scan_ask(std::string_view body, std::string& error) {
  simdjson::dom::parser parser;
  simdjson::dom::object root;
  if (parser.parse(simdjson::padded_string(body)).get(root)) {
    error = "the body is not a JSON object";
    return std::nullopt;
  }
  ScanAsk ask;
  for (auto field : root) {
    const std::string_view key = field.key;
    const simdjson::dom::element value = field.value;
    if (key == "table") {
      std::string_view table;
      if (value.get(table)) {
        error = "table must be a string";
        return std::nullopt;
      }
      ask.table = std::string(table);
    } else if (key == "sample") {
      std::uint64_t n = 0;
      if (value.get(n) || n == 0) {
        error = "sample must be a positive integer";
        return std::nullopt;
      }
      ask.sample = static_cast<std::size_t>(n);
    } else {
      error = "unknown member " + std::string(key);
      return std::nullopt;
    }
  }
  if (ask.table.empty()) {
    error = "table is required";
    return std::nullopt;
  }
  return ask;
}

bool load_admin_token(const std::string& path, std::string& token, std::string& error) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) {
    error = "cannot read " + path;
    return false;
  }
  if ((info.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    error = path + " is readable by others than its owner (chmod 600)";
    return false;
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in) {
    error = "cannot read " + path;
    return false;
  }
  std::string value = text.str();
  const auto first = value.find_first_not_of(" \t\r\n");
  const auto last = value.find_last_not_of(" \t\r\n");
  value = first == std::string::npos ? std::string() : value.substr(first, last - first + 1);
  if (value.size() < kMinTokenChars || value.find_first_of(" \t\r\n") != std::string::npos) {
    error = path + " must hold one token of at least 32 characters (e.g. openssl rand -hex 32)";
    return false;
  }
  token = std::move(value);
  return true;
}

}  // namespace dynaudit::proxy
