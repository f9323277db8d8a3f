// Upstream connections: resolve, connect, TLS handshake with SNI and
// host-name verification, then HTTP/1.1 exchanges over kept-alive streams,
// with the checks that keep a dead or stale connection from carrying a
// request and a failed request from being executed twice.
#include "proxy/net/upstream_pool.hpp"

#include <sys/socket.h>

#include <cerrno>

#include <boost/asio/ssl/host_name_verification.hpp>

namespace dynaudit::proxy {

namespace {
using Clock = std::chrono::steady_clock;

// Whether an idle socket can carry a request: nothing to read (EAGAIN). End
// of stream (the peer closed), an error (it reset) or bytes nobody asked for
// (a TLS close_notify, a 408 sent before closing) all mean the peer has given
// up on it, and a request written into it would be lost. One non-blocking
// peek, no system call beyond it.
bool idle_socket_usable(tcp::socket& socket) {
  char byte;
  for (;;) {
    const auto n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }
}

void close_socket(tcp::socket& socket) {
  error_code ignored;
  socket.close(ignored);
}
}  // namespace

struct UpstreamPool::Connection {
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> secure;
  // Beast sizes each read by the buffer's free capacity (at least 512
  // bytes): a buffer left small reads a 40 KB Query reply in ~90 recvmsg
  // calls. Reserved once per pooled connection, it takes one or two.
  beast::flat_buffer buffer = [] {
    beast::flat_buffer b;
    b.reserve(64 * 1024);
    return b;
  }();
  Clock::time_point idle_since{};

  beast::tcp_stream& lowest() { return secure ? beast::get_lowest_layer(*secure) : *plain; }
};

UpstreamPool::UpstreamPool(asio::any_io_executor executor, UpstreamEndpoint endpoint,
                           std::shared_ptr<asio::ssl::context> tls, const UpstreamConfig& config)
    : executor_(std::move(executor)), endpoint_(std::move(endpoint)), tls_(std::move(tls)), config_(config) {}

UpstreamPool::~UpstreamPool() = default;

void UpstreamPool::close_idle() {
  for (auto& c : idle_) close_socket(c->lowest().socket());
  idle_.clear();
}

std::unique_ptr<UpstreamPool::Connection> UpstreamPool::take_idle() {
  const auto now = Clock::now();
  while (!idle_.empty()) {
    auto c = std::move(idle_.back());
    idle_.pop_back();
    // Bytes left over after the last response were never asked for either.
    if (now - c->idle_since < config_.idle_connection_timeout && c->buffer.size() == 0 &&
        c->lowest().socket().is_open() && idle_socket_usable(c->lowest().socket())) {
      return c;
    }
    close_socket(c->lowest().socket());
  }
  return nullptr;
}

void UpstreamPool::keep_idle(std::unique_ptr<Connection> connection) {
  // The oldest connections are at the front: drop those past the idle limit
  // now rather than keep their sockets (and the upstream's) open for nothing.
  const auto now = Clock::now();
  std::size_t expired = 0;
  while (expired < idle_.size() && now - idle_[expired]->idle_since >= config_.idle_connection_timeout) {
    close_socket(idle_[expired]->lowest().socket());
    ++expired;
  }
  idle_.erase(idle_.begin(), idle_.begin() + static_cast<std::ptrdiff_t>(expired));
  if (idle_.size() >= config_.max_idle_connections) {
    error_code ignored;
    connection->lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
    close_socket(connection->lowest().socket());
    return;
  }
  connection->lowest().expires_never();
  connection->idle_since = now;
  idle_.push_back(std::move(connection));
}

asio::awaitable<std::unique_ptr<UpstreamPool::Connection>> UpstreamPool::connect(error_code& ec,
                                                                                 std::string& what) {
  tcp::resolver resolver(executor_);
  auto results = co_await resolver.async_resolve(endpoint_.host, endpoint_.port, await_into(ec));
  if (ec) {
    what = "resolve";
    co_return nullptr;
  }
  auto c = std::make_unique<Connection>();
  if (tls_) c->secure = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(executor_, *tls_);
  else c->plain = std::make_unique<beast::tcp_stream>(executor_);

  auto& lowest = c->lowest();
  lowest.expires_after(config_.connect_timeout);
  co_await lowest.async_connect(results, await_into(ec));
  if (ec) {
    what = "connect";
    co_return nullptr;
  }
  lowest.socket().set_option(tcp::no_delay(true), ec);
  ec = {};
  if (c->secure) {
    // SNI, then verify the certificate chain and that it names the host.
    if (!SSL_set_tlsext_host_name(c->secure->native_handle(), endpoint_.host.c_str())) {
      ec = error_code(static_cast<int>(::ERR_get_error()), asio::error::get_ssl_category());
      what = "tls sni";
      co_return nullptr;
    }
    c->secure->set_verify_callback(asio::ssl::host_name_verification(endpoint_.host));
    co_await c->secure->async_handshake(asio::ssl::stream_base::client, await_into(ec));
    if (ec) {
      what = "tls handshake";
      co_return nullptr;
    }
  }
  co_return c;
}

namespace {

using Sent = UpstreamAttempt::Sent;
using Result = UpstreamAttempt::Result;

// Writes the request and reads the answer under one deadline. `sent` says
// how much of the request left: none, part, or all of it.
template <class Stream>
asio::awaitable<void> write_and_read(Stream& stream, beast::tcp_stream& lowest, beast::flat_buffer& buffer,
                                     HttpRequest& request, http::response_parser<http::string_body>& parser,
                                     std::chrono::milliseconds timeout, error_code& ec, Sent& sent) {
  lowest.expires_after(timeout);
  const std::size_t written = co_await http::async_write(stream, request, await_into(ec));
  if (ec) {
    sent = written == 0 ? Sent::none : Sent::partial;
    co_return;
  }
  sent = Sent::whole;
  co_await http::async_read_header(stream, buffer, parser, await_into(ec));
  if (ec) co_return;
  co_await http::async_read(stream, buffer, parser, await_into(ec));
}

Result result_of(const error_code& ec) {
  if (ec == beast::error::timeout) return Result::timeout;
  if (ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
      ec == asio::error::connection_aborted)
    return Result::reset;
  if (ec == http::error::end_of_stream || ec == http::error::partial_message || ec == asio::error::eof ||
      ec == asio::ssl::error::stream_truncated)
    return Result::closed;
  return Result::failed;
}

// Whether a failed attempt may be made again, on a new connection. Never
// after a timeout (the upstream may still be working on it, and the client
// has waited long enough); otherwise when the upstream cannot have read the
// request, or when reading it twice is harmless and no answer came.
bool may_resend(const UpstreamAttempt& attempt, Resend resend) {
  if (attempt.result == Result::timeout) return false;
  if (attempt.sent == Sent::none) return true;
  return resend == Resend::if_unanswered && (attempt.result == Result::closed || attempt.result == Result::reset);
}

ddb::DdbError connect_error(const std::string& what, const error_code& ec) {
  // Nothing reached the upstream: 503, as a throttled or unavailable
  // endpoint answers.
  return {ddb::ErrorKind::service_unavailable,
          "The upstream DynamoDB endpoint is unavailable (" + what + ": " + ec.message() + ")"};
}

ddb::DdbError exchange_error(const UpstreamAttempt& last, Resend resend) {
  if (last.result == Result::timeout)
    return {ddb::ErrorKind::internal_server_error, "The upstream DynamoDB endpoint did not answer in time"};
  if (last.sent == Sent::none)
    return {ddb::ErrorKind::service_unavailable,
            "The upstream DynamoDB endpoint closed the connection before the request was sent (" + last.error + ")"};
  // The upstream may have read it: the outcome is unknown. 500 is what
  // DynamoDB answers then, and SDKs retry it - the client's decision, made
  // knowing its own call; dynaudit does not make it for a write.
  if (resend == Resend::if_unsent)
    return {ddb::ErrorKind::internal_server_error,
            "The upstream DynamoDB endpoint failed after the request was sent (" + last.error +
                "); its outcome is unknown, and dynaudit did not send it again"};
  return {ddb::ErrorKind::internal_server_error, "The upstream DynamoDB endpoint failed (" + last.error + ")"};
}

}  // namespace

asio::awaitable<UpstreamResult> UpstreamPool::exchange(HttpRequest& request, Resend resend) {
  const auto start = Clock::now();
  UpstreamResult result;
  auto finish = [&] {
    result.elapsed = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
  };

  for (int attempt = 0; attempt < 2; ++attempt) {
    // A second attempt never takes a pooled connection: it would have been
    // idle as long as the one that just failed.
    auto connection = attempt == 0 ? take_idle() : nullptr;
    UpstreamAttempt& tried = result.attempts.emplace_back();
    tried.reused = connection != nullptr;
    error_code ec;
    if (!connection) {
      std::string what;
      connection = co_await connect(ec, what);
      if (!connection) {
        tried.result = Result::connect_failed;
        tried.error = what + ": " + ec.message();
        result.error = connect_error(what, ec);
        finish();
        co_return result;
      }
    }
    http::response_parser<http::string_body> parser;
    parser.body_limit(config_.max_response_bytes);
    parser.header_limit(64 * 1024);
    connection->buffer.clear();
    if (connection->secure)
      co_await write_and_read(*connection->secure, connection->lowest(), connection->buffer, request, parser,
                              config_.response_timeout, ec, tried.sent);
    else
      co_await write_and_read(*connection->plain, connection->lowest(), connection->buffer, request, parser,
                              config_.response_timeout, ec, tried.sent);
    if (ec) {
      close_socket(connection->lowest().socket());
      tried.result = result_of(ec);
      tried.error = ec.message();
      if (attempt == 0 && may_resend(tried, resend)) continue;
      result.error = exchange_error(tried, resend);
      finish();
      co_return result;
    }
    tried.result = Result::response;
    result.response = parser.release();
    if (result.response->keep_alive()) {
      keep_idle(std::move(connection));
    } else {
      error_code ignored;
      connection->lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
      close_socket(connection->lowest().socket());
    }
    finish();
    co_return result;
  }
  // Not reached: the second attempt always returns.
  result.error = exchange_error(result.attempts.back(), resend);
  finish();
  co_return result;
}

}  // namespace dynaudit::proxy
