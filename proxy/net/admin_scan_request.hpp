// The checks in front of the admin listener's one POST, /discovery/scan
// (`dynaudit discover scan`): the only admin request that makes dynaudit do
// something, so it is the only one that needs a secret. A caller must
//  - name the admin listener by a loopback address or "localhost" in Host
//    (a web page that rebinds its own name to 127.0.0.1 cannot),
//  - send Content-Type application/json (a browser must ask first with a
//    CORS preflight, which the admin listener never grants),
//  - present the token of discovery.scan.token_file as a Bearer credential
//    (compared in constant time), and
//  - send {"table": NAME, "sample": N}.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace dynaudit::proxy {

struct ScanAsk {
  std::string table;
  std::size_t sample = 0;  // 0: the configured maximum
};

struct ScanRefusal {
  unsigned status;
  std::string error;
};

// Everything above but the body; nullopt when the request may go on.
std::optional<ScanRefusal> refuse_scan_request(std::string_view host, std::string_view content_type,
                                               std::string_view authorization, const std::string& token);
// The body; `error` says what is wrong with it.
std::optional<ScanAsk> parse_scan_ask(std::string_view body, std::string& error);

// Whether a Host header names a loopback address ("localhost", 127.x.x.x,
// "[::1]", any port): a name an attacker's page rebinds to 127.0.0.1 is not.
bool loopback_host(std::string_view host);

// Reads the token file: it must be a regular file only its owner can read,
// holding at least 32 characters (surrounding white space is dropped).
bool load_admin_token(const std::string& path, std::string& token, std::string& error);

}  // namespace dynaudit::proxy
