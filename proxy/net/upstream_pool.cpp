// Upstream connections: resolve, connect, TLS handshake with SNI and
// host-name verification, then HTTP/1.1 exchanges over kept-alive streams.
#include "proxy/net/upstream_pool.hpp"

#include <boost/asio/ssl/host_name_verification.hpp>

namespace dynaudit::proxy {

namespace {
// Idle upstream connections older than this are not reused: servers (AWS
// included) close idle keep-alive connections, and a request written into a
// half-closed socket costs a retry.
constexpr auto kMaxIdleAge = std::chrono::seconds(20);
using Clock = std::chrono::steady_clock;
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
  for (auto& c : idle_) {
    error_code ignored;
    c->lowest().socket().close(ignored);
  }
  idle_.clear();
}

std::unique_ptr<UpstreamPool::Connection> UpstreamPool::take_idle() {
  const auto now = Clock::now();
  while (!idle_.empty()) {
    auto c = std::move(idle_.back());
    idle_.pop_back();
    if (now - c->idle_since < kMaxIdleAge && c->lowest().socket().is_open()) return c;
    error_code ignored;
    c->lowest().socket().close(ignored);
  }
  return nullptr;
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

template <class Stream>
asio::awaitable<void> write_and_read(Stream& stream, beast::tcp_stream& lowest, beast::flat_buffer& buffer,
                                     HttpRequest& request, http::response_parser<http::string_body>& parser,
                                     std::chrono::milliseconds timeout, error_code& ec, bool& got_bytes) {
  lowest.expires_after(timeout);
  co_await http::async_write(stream, request, await_into(ec));
  if (ec) co_return;
  co_await http::async_read_header(stream, buffer, parser, await_into(ec));
  if (ec) {
    got_bytes = buffer.size() > 0;
    co_return;
  }
  got_bytes = true;
  co_await http::async_read(stream, buffer, parser, await_into(ec));
}

ddb::DdbError transport_error(const std::string& what, const error_code& ec, bool timed_out) {
  // Connect failures mean nothing reached the upstream: 503, as a throttled
  // or unavailable endpoint answers. A failure after sending is a 500: the
  // outcome is unknown, and SDKs retry InternalServerError too.
  if (what != "exchange") return {ddb::ErrorKind::service_unavailable, "The upstream DynamoDB endpoint is unavailable (" + what + ": " + ec.message() + ")"};
  if (timed_out) return {ddb::ErrorKind::internal_server_error, "The upstream DynamoDB endpoint did not answer in time"};
  return {ddb::ErrorKind::internal_server_error, "The upstream DynamoDB endpoint failed (" + ec.message() + ")"};
}

}  // namespace

asio::awaitable<UpstreamResult> UpstreamPool::exchange(HttpRequest& request) {
  const auto start = Clock::now();
  UpstreamResult result;
  auto finish = [&] {
    result.elapsed = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
  };

  for (int attempt = 0; attempt < 2; ++attempt) {
    auto connection = take_idle();
    const bool reused = connection != nullptr;
    error_code ec;
    std::string what;
    if (!connection) {
      connection = co_await connect(ec, what);
      if (!connection) {
        result.error = transport_error(what, ec, ec == beast::error::timeout);
        finish();
        co_return result;
      }
    }
    http::response_parser<http::string_body> parser;
    parser.body_limit(config_.max_response_bytes);
    parser.header_limit(64 * 1024);
    bool got_bytes = false;
    connection->buffer.clear();
    if (connection->secure)
      co_await write_and_read(*connection->secure, connection->lowest(), connection->buffer, request, parser,
                              config_.response_timeout, ec, got_bytes);
    else
      co_await write_and_read(*connection->plain, connection->lowest(), connection->buffer, request, parser,
                              config_.response_timeout, ec, got_bytes);
    if (ec) {
      error_code ignored;
      connection->lowest().socket().close(ignored);
      if (reused && !got_bytes && ec != beast::error::timeout) continue;  // stale keep-alive: once more
      result.error = transport_error("exchange", ec, ec == beast::error::timeout);
      finish();
      co_return result;
    }
    result.response = parser.release();
    if (result.response->keep_alive() && idle_.size() < config_.max_idle_connections) {
      connection->lowest().expires_never();
      connection->idle_since = Clock::now();
      idle_.push_back(std::move(connection));
    } else {
      error_code ignored;
      connection->lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
      connection->lowest().socket().close(ignored);
    }
    finish();
    co_return result;
  }
  result.error = transport_error("exchange", asio::error::connection_reset, false);
  finish();
  co_return result;
}

}  // namespace dynaudit::proxy
