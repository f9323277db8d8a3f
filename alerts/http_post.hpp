// A small blocking HTTP/1.1 POST client for webhook channels: http:// and
// https:// (OpenSSL, TLS 1.2+, SNI, peer and host-name verification), one
// overall timeout covering connect, TLS, send and reading the answer.
// Connection: close on every request. No Asio, no exceptions.
//
// Webhook URLs carry secrets (Slack's path is the credential), so nothing
// here ever puts the path, query or headers into an error message; logs use
// Url::endpoint() ("https://host:port").
#pragma once

#include <openssl/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dynaudit::alerts {

namespace detail {
class Stream;  // a socket, optionally TLS (http_post.cpp)
}

struct Url {
  bool https = false;
  std::string host;  // without brackets for IPv6 literals
  std::uint16_t port = 0;
  std::string target;  // path and query, "/" when empty
  // "https://host:port": safe to log (no path, no query).
  std::string endpoint() const;
  // The Host header's value: the port only when it is not the scheme's.
  std::string host_header() const;
};

// Parses http:// and https:// URLs; nullopt with `error` set otherwise.
// User-info ("user:pass@") and fragments are rejected.
std::optional<Url> parse_url(std::string_view text, std::string* error = nullptr);

struct HttpResult {
  bool ok = false;         // 2xx
  int status = 0;          // 0 when no status line arrived
  std::string error;       // empty when ok; never contains the path or query
  bool retryable = false;  // network errors, timeouts, 429, 5xx
  // The answer's body (Content-Length or end-of-stream delimited, at most
  // the client's max_response_bytes): webhooks ignore it, the fleet's
  // DynamoDB client reads it.
  std::string body;
};

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// Keeps one TLS context (trust store loaded once) for a channel's requests.
class HttpClient {
 public:
  // `ca_file`: extra trust anchors (PEM) on top of the system default paths.
  // An answer longer than `max_response_bytes` is cut there.
  explicit HttpClient(std::string ca_file = {}, std::size_t max_response_bytes = 1024 * 1024);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Keeps the connection open between requests to the same endpoint (the
  // fleet's calls to DynamoDB: no TCP and TLS handshake per call). Off by
  // default: a webhook gets Connection: close.
  void keep_alive(bool on) { keep_alive_ = on; }

  // POSTs `body` as application/json (a Content-Type or User-Agent in
  // `headers` replaces the default). `cancel_fd` (may be -1): when it
  // becomes readable the request is abandoned (retryable, "cancelled").
  HttpResult post(const Url& url, std::string_view body, const HttpHeaders& headers,
                  std::chrono::milliseconds timeout, int cancel_fd = -1);

 private:
  struct Connection;
  SSL_CTX* tls_context(std::string& error);
  Connection* connect(const Url& url, std::chrono::steady_clock::time_point deadline, int cancel_fd,
                      HttpResult& failed);
  HttpResult exchange(detail::Stream& stream, std::string_view request, bool& peer_closed, bool& reusable);
  std::string ca_file_;
  std::size_t max_response_bytes_;
  SSL_CTX* ctx_ = nullptr;
  bool keep_alive_ = false;
  std::unique_ptr<Connection> connection_;
};

// One-shot convenience: parse `url`, POST with a fresh client.
HttpResult http_post(std::string_view url, std::string_view body, const HttpHeaders& headers,
                     std::chrono::milliseconds timeout, const std::string& ca_file = {});

}  // namespace dynaudit::alerts
