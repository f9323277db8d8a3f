// Shared by the alerts unit tests: real receivers on 127.0.0.1 ephemeral
// ports (HTTP and HTTPS servers, syslog UDP/TCP listeners), each running in
// a test thread that the destructor joins, plus temp folders and test CAs.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "alerts/alert.hpp"
#include "alerts/alert_dispatcher.hpp"

namespace alerts_test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class TempDir {
 public:
  explicit TempDir(const std::string& name) {
    static std::atomic<unsigned> counter{0};
    path_ = fs::temp_directory_path() /
            ("dynaudit-alerts-test-" + name + "-" + std::to_string(::getpid()) + "-" +
             std::to_string(counter++) + "-" + std::to_string(std::random_device()()));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

inline std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::size_t at = 0;
  while (at < text.size()) {
    const auto end = text.find('\n', at);
    if (end == std::string::npos) {
      out.push_back(text.substr(at));
      break;
    }
    out.push_back(text.substr(at, end - at));
    at = end + 1;
  }
  return out;
}

// A listening TCP or UDP socket on 127.0.0.1, port chosen by the kernel.
inline int listen_socket(int type, std::uint16_t& port) {
  const int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return -1;
  if (type == SOCK_STREAM && ::listen(fd, 64) != 0) return -1;
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  port = ntohs(addr.sin_port);
  return fd;
}

// A port on 127.0.0.1 where nothing listens (bound, then closed).
inline std::uint16_t dead_port() {
  std::uint16_t port = 0;
  const int fd = listen_socket(SOCK_STREAM, port);
  ::close(fd);
  return port;
}

inline bool wait_readable(int fd, std::chrono::milliseconds timeout) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, static_cast<int>(timeout.count())) > 0;
}

struct HttpRequest {
  std::string method;
  std::string target;
  std::string version;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
};

// A tiny HTTP/1.1 server: one request per connection, answers with the next
// status of `statuses` (the last one repeats), or never answers when
// `silent`. With `tls` set it serves TLS with that context.
class TestHttpServer {
 public:
  explicit TestHttpServer(std::vector<int> statuses = {200}, bool silent = false,
                          SSL_CTX* tls = nullptr)
      : statuses_(std::move(statuses)), silent_(silent), tls_(tls) {
    listen_fd_ = listen_socket(SOCK_STREAM, port_);
    thread_ = std::thread([this] { serve(); });
  }
  ~TestHttpServer() {
    stop_ = true;
    thread_.join();
    for (int fd : held_) ::close(fd);
    ::close(listen_fd_);
  }
  TestHttpServer(const TestHttpServer&) = delete;
  TestHttpServer& operator=(const TestHttpServer&) = delete;

  std::uint16_t port() const { return port_; }
  std::string url(const std::string& target = "/hook") const {
    return "http://127.0.0.1:" + std::to_string(port_) + target;
  }
  bool wait_for(std::size_t n, std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return requests_.size() >= n; });
  }
  std::vector<HttpRequest> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }
  std::size_t connections() const { return connections_; }
  std::size_t tls_failures() const { return tls_failures_; }

 private:
  void serve() {
    while (!stop_) {
      if (!wait_readable(listen_fd_, 20ms)) continue;
      const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      ++connections_;
      if (silent_) {
        held_.push_back(fd);  // accepted, never read, never answered
        continue;
      }
      timeval tv{2, 0};
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
      SSL* ssl = nullptr;
      if (tls_ != nullptr) {
        ssl = SSL_new(tls_);
        SSL_set_fd(ssl, fd);
        if (SSL_accept(ssl) != 1) {
          ERR_clear_error();
          ++tls_failures_;
          SSL_free(ssl);
          ::close(fd);
          continue;
        }
      }
      handle(fd, ssl);
      if (ssl != nullptr) {
        SSL_shutdown(ssl);
        SSL_free(ssl);
      }
      ::close(fd);
    }
  }

  long read_some(int fd, SSL* ssl, char* buf, std::size_t size) {
    if (ssl != nullptr) return SSL_read(ssl, buf, static_cast<int>(size));
    return ::recv(fd, buf, size, 0);
  }
  void write_all(int fd, SSL* ssl, const std::string& data) {
    if (ssl != nullptr) {
      SSL_write(ssl, data.data(), static_cast<int>(data.size()));
      return;
    }
    std::size_t sent = 0;
    while (sent < data.size()) {
      const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return;
      sent += static_cast<std::size_t>(n);
    }
  }

  void handle(int fd, SSL* ssl) {
    std::string data;
    char buf[4096];
    std::size_t header_end = std::string::npos;
    while ((header_end = data.find("\r\n\r\n")) == std::string::npos) {
      const long n = read_some(fd, ssl, buf, sizeof buf);
      if (n <= 0) return;
      data.append(buf, static_cast<std::size_t>(n));
    }
    HttpRequest req;
    std::istringstream head(data.substr(0, header_end));
    std::string line;
    std::getline(head, line);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::istringstream request_line(line);
    request_line >> req.method >> req.target >> req.version;
    while (std::getline(head, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      const auto colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string name = line.substr(0, colon);
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      req.headers[name] = value;
    }
    const std::size_t length = std::stoul(req.headers.count("content-length") ? req.headers["content-length"] : "0");
    req.body = data.substr(header_end + 4);
    while (req.body.size() < length) {
      const long n = read_some(fd, ssl, buf, sizeof buf);
      if (n <= 0) break;
      req.body.append(buf, static_cast<std::size_t>(n));
    }
    int status = 200;
    {
      std::lock_guard lock(mu_);
      status = statuses_[std::min(requests_.size(), statuses_.size() - 1)];
      requests_.push_back(std::move(req));
    }
    cv_.notify_all();
    write_all(fd, ssl,
              "HTTP/1.1 " + std::to_string(status) +
                  " Test\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: "
                  "close\r\n\r\nok");
  }

  std::vector<int> statuses_;
  bool silent_;
  SSL_CTX* tls_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<std::size_t> connections_{0};
  std::atomic<std::size_t> tls_failures_{0};
  std::vector<int> held_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<HttpRequest> requests_;
  std::thread thread_;
};

// Collects everything syslog senders send: UDP datagrams, or the byte
// stream of TCP connections (optionally closing each connection after its
// first bytes, to make the sender reconnect).
class SyslogReceiver {
 public:
  SyslogReceiver(bool tcp, bool close_after_first_read = false)
      : tcp_(tcp), close_after_first_read_(close_after_first_read) {
    fd_ = listen_socket(tcp ? SOCK_STREAM : SOCK_DGRAM, port_);
    thread_ = std::thread([this] { tcp_ ? serve_tcp() : serve_udp(); });
  }
  ~SyslogReceiver() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  SyslogReceiver(const SyslogReceiver&) = delete;
  SyslogReceiver& operator=(const SyslogReceiver&) = delete;

  std::uint16_t port() const { return port_; }
  // UDP: one entry per datagram. TCP: one entry per connection's bytes.
  std::vector<std::string> received() const {
    std::lock_guard lock(mu_);
    return received_;
  }
  std::size_t connections() const { return connections_; }
  bool wait_for_bytes(std::size_t total, std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] {
      std::size_t n = 0;
      for (const auto& r : received_) n += r.size();
      return n >= total;
    });
  }
  bool wait_for_datagrams(std::size_t count, std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return received_.size() >= count; });
  }

 private:
  void serve_udp() {
    char buf[70000];
    while (!stop_) {
      if (!wait_readable(fd_, 20ms)) continue;
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n < 0) continue;
      {
        std::lock_guard lock(mu_);
        received_.emplace_back(buf, static_cast<std::size_t>(n));
      }
      cv_.notify_all();
    }
  }
  void serve_tcp() {
    std::vector<std::pair<int, std::size_t>> conns;  // fd, index in received_
    char buf[4096];
    while (!stop_) {
      std::vector<pollfd> fds{{fd_, POLLIN, 0}};
      for (auto& c : conns) fds.push_back({c.first, POLLIN, 0});
      if (::poll(fds.data(), fds.size(), 20) <= 0) continue;
      if (fds[0].revents & POLLIN) {
        const int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (c >= 0) {
          ++connections_;
          std::lock_guard lock(mu_);
          received_.emplace_back();
          conns.emplace_back(c, received_.size() - 1);
        }
      }
      for (std::size_t i = 1; i < fds.size(); ++i) {
        if (fds[i].revents == 0) continue;
        auto& conn = conns[i - 1];
        const ssize_t n = ::recv(conn.first, buf, sizeof buf, 0);
        if (n > 0) {
          {
            std::lock_guard lock(mu_);
            received_[conn.second].append(buf, static_cast<std::size_t>(n));
          }
          cv_.notify_all();
        }
        if (n <= 0 || close_after_first_read_) {
          ::close(conn.first);
          conn.first = -1;
        }
      }
      std::erase_if(conns, [](const auto& c) { return c.first < 0; });
    }
    for (auto& c : conns) ::close(c.first);
  }

  bool tcp_;
  bool close_after_first_read_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<std::size_t> connections_{0};
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> received_;
  std::thread thread_;
};

// A test CA and server certificates made with the openssl CLI:
// server.pem (SAN localhost, 127.0.0.1) and wrong_name.pem (SAN
// other.example only), both signed by ca.pem.
class TestPki {
 public:
  TestPki() : dir_("pki") {
    const std::string d = dir_.path().string();
    const std::string ec = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes ";
    const std::string script =
        "cd '" + d + "' && ( " +
        "openssl req -x509" + ec + "-keyout ca.key -out ca.pem -days 2 -subj '/CN=dynaudit test CA' && " +
        "printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\nbasicConstraints=CA:FALSE\\nextendedKeyUsage=serverAuth\\n' > ok.ext && " +
        "printf 'subjectAltName=DNS:other.example\\nbasicConstraints=CA:FALSE\\nextendedKeyUsage=serverAuth\\n' > wrong.ext && " +
        "openssl req" + ec + "-keyout server.key -out server.csr -subj '/CN=localhost' && " +
        "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile ok.ext && " +
        "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out wrong_name.pem -days 2 -extfile wrong.ext" +
        " ) > openssl.log 2>&1";
    ok_ = std::system(script.c_str()) == 0;
  }
  bool ok() const { return ok_; }
  std::string ca() const { return (dir_.path() / "ca.pem").string(); }
  // A server context presenting `cert` (server.pem or wrong_name.pem).
  SSL_CTX* server_context(const std::string& cert) const {
    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    SSL_CTX_use_certificate_chain_file(ctx, (dir_.path() / cert).c_str());
    SSL_CTX_use_PrivateKey_file(ctx, (dir_.path() / "server.key").c_str(), SSL_FILETYPE_PEM);
    return ctx;
  }

 private:
  TempDir dir_;
  bool ok_ = false;
};

inline dynaudit::alerts::Alert sample_alert(const std::string& channel,
                                             const std::string& rule = "scan-of-pii") {
  dynaudit::alerts::Alert a;
  a.rule_id = rule;
  a.channel = channel;
  a.severity = "high";
  a.message = "alice scanned customers";
  a.time = std::chrono::system_clock::time_point{std::chrono::milliseconds{1714564800123}};
  a.event_id = "ev-0001";
  a.principal = "arn:aws:iam::123456789012:user/alice";
  a.operation = "Scan";
  a.tables = {"customers", "orders"};
  a.source_ip = "10.0.0.7";
  a.decision = "allow";
  a.tags = {"pii", "bulk-read"};
  return a;
}

// Log lines the dispatcher writes, collected instead of going to stderr.
struct LogSink {
  std::shared_ptr<std::mutex> mu = std::make_shared<std::mutex>();
  std::shared_ptr<std::vector<std::string>> lines = std::make_shared<std::vector<std::string>>();
  dynaudit::alerts::AlertLogFn fn() const {
    return [mu = mu, lines = lines](std::string_view line) {
      std::lock_guard lock(*mu);
      lines->emplace_back(line);
    };
  }
  std::vector<std::string> all() const {
    std::lock_guard lock(*mu);
    return *lines;
  }
};

}  // namespace alerts_test
