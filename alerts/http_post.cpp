// HTTP/1.1 POST over POSIX sockets and OpenSSL (see http_post.hpp).
#include "alerts/http_post.hpp"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

#include "alerts/net.hpp"

namespace dynaudit::alerts {
namespace {

constexpr std::size_t kMaxHeaderBytes = 64 * 1024;

std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool has_ctl_or_space(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    const auto b = static_cast<unsigned char>(c);
    return b <= 0x20 || b == 0x7F;
  });
}

bool has_crlf_or_nul(std::string_view text) {
  return text.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

bool is_ip_literal(const std::string& host) {
  unsigned char buf[sizeof(in6_addr)];
  return ::inet_pton(AF_INET, host.c_str(), buf) == 1 ||
         ::inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

std::string openssl_error(const char* what) {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return std::string(what) + ": " + (errno != 0 ? std::strerror(errno) : "failed");
  char buf[256];
  ERR_error_string_n(code, buf, sizeof buf);
  return std::string(what) + ": " + buf;
}

HttpResult failure(std::string error, bool retryable) {
  HttpResult r;
  r.error = std::move(error);
  r.retryable = retryable;
  return r;
}

HttpResult wait_failure(net::Wait w, const char* what) {
  switch (w) {
    case net::Wait::cancelled: return failure(std::string(what) + ": cancelled", true);
    case net::Wait::timeout: return failure(std::string(what) + ": timed out", true);
    default: return failure(std::string(what) + ": poll failed", true);
  }
}

}  // namespace

namespace detail {

// A connected socket, optionally wrapped in TLS, with deadline-bound I/O.
class Stream {
 public:
  Stream(int fd, SSL* ssl, net::Deadline deadline, int cancel_fd)
      : fd_(fd), ssl_(ssl), deadline_(deadline), cancel_fd_(cancel_fd) {}
  ~Stream() {
    if (ssl_ != nullptr) SSL_free(ssl_);
    if (fd_ >= 0) ::close(fd_);
  }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  // A kept-alive stream serves the next request under that request's limits.
  void rearm(net::Deadline deadline, int cancel_fd) {
    deadline_ = deadline;
    cancel_fd_ = cancel_fd;
  }

  // TLS handshake with verification; a no-op for plain streams.
  HttpResult handshake() {
    if (ssl_ == nullptr) return HttpResult{true, 0, {}, false, {}};
    for (;;) {
      ERR_clear_error();
      errno = 0;
      const int rc = SSL_connect(ssl_);
      if (rc == 1) return HttpResult{true, 0, {}, false, {}};
      const int err = SSL_get_error(ssl_, rc);
      if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
        const auto w = net::wait_fd(fd_, err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT,
                                    deadline_, cancel_fd_);
        if (w != net::Wait::ready) return wait_failure(w, "tls handshake");
        continue;
      }
      const long verify = SSL_get_verify_result(ssl_);
      if (verify != X509_V_OK) {
        ERR_clear_error();
        // A trust or name mismatch does not heal within a retry's backoff.
        return failure(std::string("tls: certificate verify failed: ") +
                           X509_verify_cert_error_string(verify),
                       false);
      }
      return failure(openssl_error("tls handshake"), true);
    }
  }

  HttpResult write_all(std::string_view data) {
    if (ssl_ == nullptr) {
      std::string error;
      if (!net::send_all(fd_, data, deadline_, cancel_fd_, error)) return failure(error, true);
      return HttpResult{true, 0, {}, false, {}};
    }
    std::size_t sent = 0;
    while (sent < data.size()) {
      ERR_clear_error();
      errno = 0;
      const int chunk = static_cast<int>(std::min<std::size_t>(data.size() - sent, 1 << 20));
      const int rc = SSL_write(ssl_, data.data() + sent, chunk);
      if (rc > 0) {
        sent += static_cast<std::size_t>(rc);
        continue;
      }
      const int err = SSL_get_error(ssl_, rc);
      if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
        const auto w = net::wait_fd(fd_, err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT,
                                    deadline_, cancel_fd_);
        if (w != net::Wait::ready) return wait_failure(w, "send");
        continue;
      }
      return failure(openssl_error("tls send"), true);
    }
    return HttpResult{true, 0, {}, false, {}};
  }

  // > 0 bytes read, 0 end of stream, -1 failure (`error` set).
  long read_some(char* buf, std::size_t size, HttpResult& error) {
    for (;;) {
      if (ssl_ == nullptr) {
        const ssize_t n = ::recv(fd_, buf, size, 0);
        if (n >= 0) return static_cast<long>(n);
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
          error = failure(std::string("recv: ") + std::strerror(errno), true);
          return -1;
        }
        const auto w = net::wait_fd(fd_, POLLIN, deadline_, cancel_fd_);
        if (w != net::Wait::ready) {
          error = wait_failure(w, "response");
          return -1;
        }
        continue;
      }
      ERR_clear_error();
      errno = 0;
      const int rc = SSL_read(ssl_, buf, static_cast<int>(std::min<std::size_t>(size, 1 << 20)));
      if (rc > 0) return rc;
      const int err = SSL_get_error(ssl_, rc);
      if (err == SSL_ERROR_ZERO_RETURN) return 0;
      if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
        const auto w = net::wait_fd(fd_, err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT,
                                    deadline_, cancel_fd_);
        if (w != net::Wait::ready) {
          error = wait_failure(w, "response");
          return -1;
        }
        continue;
      }
      // SSL_OP_IGNORE_UNEXPECTED_EOF: a peer closing without close_notify
      // after "Connection: close" ends the stream, it is not an error.
      if (err == SSL_ERROR_SYSCALL && errno == 0) return 0;
      error = failure(openssl_error("tls recv"), true);
      return -1;
    }
  }

 private:
  int fd_;
  SSL* ssl_;
  net::Deadline deadline_;
  int cancel_fd_;
};

}  // namespace detail

struct HttpClient::Connection {
  std::string endpoint;  // Url::endpoint() it is connected to
  std::unique_ptr<detail::Stream> stream;
};

namespace {

using detail::Stream;

struct ResponseHead {
  int status = 0;
  std::size_t header_end = 0;  // offset of the body
  std::optional<std::size_t> content_length;
  bool chunked = false;
  bool close = false;  // "Connection: close": the server ends the stream after this answer
};

// Parses the status line and the headers the drain needs; nullopt if malformed.
std::optional<ResponseHead> parse_head(std::string_view text, std::size_t header_end, std::size_t max_body) {
  ResponseHead head;
  head.header_end = header_end;
  const auto line_end = text.find("\r\n");
  const std::string_view status_line = text.substr(0, line_end);
  if (status_line.size() < 12 || status_line.substr(0, 7) != "HTTP/1.") return std::nullopt;
  if (status_line[8] != ' ') return std::nullopt;
  int status = 0;
  for (std::size_t i = 9; i < 12; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(status_line[i]))) return std::nullopt;
    status = status * 10 + (status_line[i] - '0');
  }
  if (status < 100) return std::nullopt;
  head.status = status;
  std::size_t at = line_end + 2;
  while (at < header_end) {
    const auto end = text.find("\r\n", at);
    if (end == std::string_view::npos || end > header_end) break;
    const std::string_view line = text.substr(at, end - at);
    at = end + 2;
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string name = lower(line.substr(0, colon));
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    if (name == "content-length") {
      std::size_t n = 0;
      bool digits = !value.empty();
      for (char c : value) {
        if (!std::isdigit(static_cast<unsigned char>(c)) || n > max_body) {
          digits = false;
          break;
        }
        n = n * 10 + static_cast<std::size_t>(c - '0');
      }
      if (digits) head.content_length = n;
    } else if (name == "transfer-encoding") {
      head.chunked = lower(value).find("chunked") != std::string::npos;
    } else if (name == "connection") {
      head.close = lower(value).find("close") != std::string::npos;
    }
  }
  return head;
}

bool body_complete(const ResponseHead& head, std::string_view response) {
  const std::string_view body = response.substr(head.header_end);
  if (head.status == 204 || head.status == 304 || head.status < 200) return true;
  if (head.chunked) return body.find("0\r\n\r\n") == 0 || body.find("\r\n0\r\n\r\n") != std::string_view::npos;
  if (head.content_length) return body.size() >= *head.content_length;
  return false;  // delimited by the end of the stream
}

HttpResult classify(int status) {
  HttpResult r;
  r.status = status;
  r.ok = status >= 200 && status < 300;
  r.retryable = status == 429 || status >= 500;
  if (!r.ok) r.error = "HTTP status " + std::to_string(status);
  return r;
}

}  // namespace

std::string Url::endpoint() const {
  return std::string(https ? "https://" : "http://") + net::host_port(host, port);
}

std::string Url::host_header() const {
  const bool default_port = port == (https ? 443 : 80);
  if (!default_port) return net::host_port(host, port);
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

std::optional<Url> parse_url(std::string_view text, std::string* error) {
  const auto fail = [&](const char* why) -> std::optional<Url> {
    if (error != nullptr) *error = why;
    return std::nullopt;
  };
  Url url;
  const std::string head = lower(text.substr(0, 8));
  if (head.rfind("https://", 0) == 0) {
    url.https = true;
    text.remove_prefix(8);
  } else if (head.rfind("http://", 0) == 0) {
    text.remove_prefix(7);
  } else {
    return fail("url: scheme must be http or https");
  }
  const auto fragment = text.find('#');
  if (fragment != std::string_view::npos) text = text.substr(0, fragment);
  const auto authority_end = text.find_first_of("/?");
  std::string_view authority = text.substr(0, authority_end);
  std::string_view target =
      authority_end == std::string_view::npos ? std::string_view() : text.substr(authority_end);
  if (authority.find('@') != std::string_view::npos) return fail("url: user info is not supported");
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return fail("url: unclosed IPv6 literal");
    url.host = std::string(authority.substr(1, close - 1));
    const std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return fail("url: junk after IPv6 literal");
      port_text = rest.substr(1);
      if (port_text.empty()) return fail("url: empty port");
    }
    if (!is_ip_literal(url.host) || url.host.find(':') == std::string::npos)
      return fail("url: bad IPv6 literal");
  } else {
    const auto colon = authority.rfind(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) return fail("url: empty port");
    }
    if (url.host.find(':') != std::string::npos) return fail("url: IPv6 literal needs brackets");
  }
  if (url.host.empty()) return fail("url: missing host");
  if (has_ctl_or_space(url.host)) return fail("url: bad host");
  if (port_text.empty()) {
    url.port = url.https ? 443 : 80;
  } else {
    unsigned long port = 0;
    for (char c : port_text) {
      if (!std::isdigit(static_cast<unsigned char>(c)) || port > 65535) return fail("url: bad port");
      port = port * 10 + static_cast<unsigned long>(c - '0');
    }
    if (port == 0 || port > 65535) return fail("url: bad port");
    url.port = static_cast<std::uint16_t>(port);
  }
  if (has_ctl_or_space(target)) return fail("url: bad characters in path");
  if (target.empty()) url.target = "/";
  else if (target.front() == '?') url.target = "/" + std::string(target);
  else url.target = std::string(target);
  return url;
}

HttpClient::HttpClient(std::string ca_file, std::size_t max_response_bytes)
    : ca_file_(std::move(ca_file)), max_response_bytes_(max_response_bytes) {}

HttpClient::~HttpClient() {
  connection_.reset();  // its SSL before the context
  if (ctx_ != nullptr) SSL_CTX_free(ctx_);
}

SSL_CTX* HttpClient::tls_context(std::string& error) {
  if (ctx_ != nullptr) return ctx_;
  ERR_clear_error();
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == nullptr) {
    error = openssl_error("tls context");
    return nullptr;
  }
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
  SSL_CTX_set_default_verify_paths(ctx);  // a missing system store leaves ca_file
  if (!ca_file_.empty() && SSL_CTX_load_verify_locations(ctx, ca_file_.c_str(), nullptr) != 1) {
    error = openssl_error("tls: cannot load ca_file");
    SSL_CTX_free(ctx);
    return nullptr;
  }
  ERR_clear_error();
  ctx_ = ctx;
  return ctx_;
}

HttpClient::Connection* HttpClient::connect(const Url& url, net::Deadline deadline, int cancel_fd, HttpResult& failed) {
  SSL_CTX* ctx = nullptr;
  if (url.https) {
    std::string error;
    ctx = tls_context(error);
    if (ctx == nullptr) {
      failed = failure(error, false);
      return nullptr;
    }
  }
  std::string error;
  const int fd = net::connect_tcp(url.host, url.port, deadline, cancel_fd, error);
  if (fd < 0) {
    failed = failure(error, true);
    return nullptr;
  }
  SSL* ssl = nullptr;
  if (ctx != nullptr) {
    ssl = SSL_new(ctx);
    if (ssl == nullptr) {
      ::close(fd);
      failed = failure(openssl_error("tls"), true);
      return nullptr;
    }
    SSL_set_fd(ssl, fd);
    if (is_ip_literal(url.host)) {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), url.host.c_str());
    } else {
      SSL_set_tlsext_host_name(ssl, url.host.c_str());
      SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      SSL_set1_host(ssl, url.host.c_str());
    }
  }
  auto connection = std::make_unique<Connection>();
  connection->endpoint = url.endpoint();
  connection->stream = std::make_unique<detail::Stream>(fd, ssl, deadline, cancel_fd);
  if (auto r = connection->stream->handshake(); !r.ok) {
    failed = r;
    return nullptr;
  }
  connection_ = std::move(connection);
  return connection_.get();
}

HttpResult HttpClient::post(const Url& url, std::string_view body, const HttpHeaders& headers,
                            std::chrono::milliseconds timeout, int cancel_fd) {
  net::SigpipeGuard sigpipe_guard;
  const net::Deadline deadline = net::Clock::now() + timeout;

  std::string request;
  request.reserve(256 + body.size());
  request += "POST ";
  request += url.target;
  request += " HTTP/1.1\r\nHost: ";
  request += url.host_header();
  const auto has_header = [&headers](std::string_view wanted) {
    return std::any_of(headers.begin(), headers.end(), [wanted](const auto& h) { return lower(h.first) == wanted; });
  };
  if (!has_header("content-type")) request += "\r\nContent-Type: application/json";
  request += "\r\nContent-Length: ";
  request += std::to_string(body.size());
  if (!has_header("user-agent")) request += "\r\nUser-Agent: dynaudit-alerts";
  request += keep_alive_ ? "\r\nConnection: keep-alive\r\n" : "\r\nConnection: close\r\n";
  for (const auto& [name, value] : headers) {
    if (name.empty() || has_ctl_or_space(name) || name.find(':') != std::string::npos ||
        has_crlf_or_nul(value)) {
      return failure("request: invalid extra header", false);  // never echo it: may be a secret
    }
    request += name;
    request += ": ";
    request += value;
    request += "\r\n";
  }
  request += "\r\n";
  request += body;

  // A kept-alive connection the server closed while idle fails before any
  // answer arrives: then once more on a new connection.
  for (int attempt = 0;; ++attempt) {
    Connection* connection = nullptr;
    const bool reused = connection_ && connection_->endpoint == url.endpoint() && attempt == 0;
    if (reused) {
      connection = connection_.get();
      connection->stream->rearm(deadline, cancel_fd);
    } else {
      connection_.reset();
      HttpResult failed;
      connection = connect(url, deadline, cancel_fd, failed);
      if (connection == nullptr) return failed;
    }
    bool peer_closed = false;
    bool reusable = false;
    HttpResult result = exchange(*connection->stream, request, peer_closed, reusable);
    if (!keep_alive_ || !reusable) connection_.reset();
    // Only a reused connection the server had closed (refused the write, or
    // ended the stream before one byte of an answer) is tried again: a
    // timeout is an answer that did not come, not a stale connection.
    if (reused && peer_closed) continue;
    return result;
  }
}

HttpResult HttpClient::exchange(detail::Stream& stream, std::string_view request, bool& peer_closed, bool& reusable) {
  peer_closed = false;
  reusable = false;
  bool answered = false;
  if (auto r = stream.write_all(request); !r.ok) {
    peer_closed = r.error.find("timed out") == std::string::npos && r.error.find("cancelled") == std::string::npos;
    return r;
  }

  std::string response;
  std::optional<ResponseHead> head;
  char buf[8192];
  bool ended = false;
  for (;;) {
    HttpResult read_error;
    const long n = stream.read_some(buf, sizeof buf, read_error);
    if (n < 0) {
      // The answer is known once the head arrived; a body that never ends
      // does not turn a delivered alert into a failure.
      if (head) return classify(head->status);
      // A reset before any answer byte: the server dropped the connection.
      peer_closed = !answered && read_error.error.find("timed out") == std::string::npos &&
                    read_error.error.find("cancelled") == std::string::npos;
      return read_error;
    }
    if (n == 0) {
      ended = true;
      peer_closed = !answered;
      break;
    }
    answered = true;
    response.append(buf, static_cast<std::size_t>(n));
    if (!head) {
      const auto end = response.find("\r\n\r\n");
      if (end == std::string::npos) {
        if (response.size() > kMaxHeaderBytes) return failure("response: header too large", true);
        continue;
      }
      head = parse_head(response, end + 4, max_response_bytes_);
      if (!head) return failure("response: malformed status line", true);
      // 1xx interim answers: skip them and wait for the final one.
      if (head->status < 200) {
        response.erase(0, end + 4);
        head.reset();
        continue;
      }
    }
    if (body_complete(*head, response) || response.size() > max_response_bytes_) break;
  }
  if (!head) {
    const auto end = response.find("\r\n\r\n");
    if (end != std::string::npos) head = parse_head(response, end + 4, max_response_bytes_);
    if (!head) return failure("response: connection closed before a status line", true);
  }
  HttpResult result = classify(head->status);
  if (!head->chunked) {
    result.body = response.substr(std::min(head->header_end, response.size()));
    if (head->content_length && result.body.size() > *head->content_length) result.body.resize(*head->content_length);
  }
  // Only an answer whose end the length told (not the stream's end), whole,
  // and without "Connection: close" leaves the connection usable.
  reusable = !ended && !head->close && !head->chunked && head->content_length &&
             response.size() - head->header_end == *head->content_length;
  return result;
}

HttpResult http_post(std::string_view url, std::string_view body, const HttpHeaders& headers,
                     std::chrono::milliseconds timeout, const std::string& ca_file) {
  std::string error;
  const auto parsed = parse_url(url, &error);
  if (!parsed) return failure(error, false);
  HttpClient client(ca_file);
  return client.post(*parsed, body, headers, timeout);
}

}  // namespace dynaudit::alerts
