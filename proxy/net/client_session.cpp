// Client sessions; see client_session.hpp.
#include "proxy/net/client_session.hpp"

#include <algorithm>
#include <exception>
#include <type_traits>

#include "proxy/log/request_log.hpp"
#include "proxy/net/tls_contexts.hpp"
#include "proxy/pipeline/request_handler.hpp"

namespace dynaudit::proxy {
namespace {

// Keeps the registry and the connection count right however the session ends.
struct SessionScope {
  SessionScope(SessionEnv& env, SessionSlot& slot) : env_(env), slot_(slot) { env_.registry.add(&slot_); }
  ~SessionScope() {
    env_.registry.remove(&slot_);
    env_.control.connections.fetch_sub(1);
  }
  SessionEnv& env_;
  SessionSlot& slot_;
};

struct InFlight {
  explicit InFlight(ServerControl& c) : control(c) { control.in_flight.fetch_add(1); }
  ~InFlight() { control.in_flight.fetch_sub(1); }
  ServerControl& control;
};

// Maps a failure to read a request into the answer the client gets, if any.
// Timeouts and closed connections get none: there is nobody left to answer
// or the client is too slow to deserve one (slow-loris).
std::optional<ddb::DdbError> answer_for_read_error(const error_code& ec) {
  if (ec == http::error::body_limit)
    return ddb::DdbError{ddb::ErrorKind::request_too_large, "Request body is larger than the configured limit"};
  if (ec == http::error::header_limit)
    return ddb::DdbError{ddb::ErrorKind::request_too_large, "Request header is larger than the configured limit"};
  if (ec == beast::error::timeout || ec == http::error::end_of_stream || ec == asio::error::eof ||
      ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
      ec == asio::ssl::error::stream_truncated || ec == http::error::partial_message)
    return std::nullopt;
  if (ec.category() == http::make_error_code(http::error::bad_target).category() || ec == http::error::bad_method)
    return ddb::DdbError{ddb::ErrorKind::validation, "Malformed HTTP request: " + ec.message()};
  return std::nullopt;
}

void log_dropped(const ConnectionInfo& info, const error_code& ec, std::string_view stage) {
  std::string fields = "\"listener\":\"" + info.listener + "\",\"remote\":\"" + info.remote_address + ":" +
                       std::to_string(info.remote_port) + "\",\"stage\":\"" + std::string(stage) +
                       "\",\"error\":\"";
  ddb::append_json_escaped(fields, ec.message());
  fields += '"';
  write_log_line(format_log_line("warn", "connection closed while reading a request", fields));
}

void log_defect(const ConnectionInfo& info, const std::exception_ptr& defect) {
  std::string what = "unknown exception";
  try {
    std::rethrow_exception(defect);
  } catch (const std::exception& e) {
    what = e.what();
  } catch (...) {
  }
  std::string fields = "\"listener\":\"" + info.listener + "\",\"remote\":\"" + info.remote_address + ":" +
                       std::to_string(info.remote_port) + "\",\"error\":\"";
  ddb::append_json_escaped(fields, what);
  fields += '"';
  write_log_line(format_log_line("error", "request handler failed; answered 500 and recorded", fields));
}

// After an error answer the client may still be writing the request the
// proxy refused (the rest of a 413's body). Closing with unread bytes makes
// the kernel send a reset, which can destroy the answer before the client
// reads it; so the write side is closed first (plain TCP: the client sees
// the end of the answer) and what the client still sends is read and
// discarded until it closes, or error_drain_bytes or error_drain_timeout
// run out. Over TLS the bytes are read through the TLS stream (a half-close
// without close_notify would be a truncation); close_notify follows in
// run_tls_session.
template <class Stream>
asio::awaitable<void> drain_after_error(Stream& stream, beast::tcp_stream& lowest, beast::flat_buffer& buffer,
                                        const LimitsConfig& limits) {
  if (limits.error_drain_bytes == 0) co_return;
  error_code ec;
  if constexpr (std::is_same_v<Stream, beast::tcp_stream>) lowest.socket().shutdown(tcp::socket::shutdown_send, ec);
  std::size_t drained = buffer.size();
  buffer.consume(buffer.size());
  lowest.expires_after(limits.error_drain_timeout);  // one deadline for the whole drain
  while (drained < limits.error_drain_bytes) {
    const std::size_t room = std::min<std::size_t>(64 * 1024, limits.error_drain_bytes - drained);
    const auto n = co_await stream.async_read_some(buffer.prepare(room), await_into(ec));
    if (ec) break;  // the client closed, the deadline passed, or the server stops
    drained += n;
  }
  buffer.consume(buffer.size());
}

template <class Stream>
asio::awaitable<void> serve_requests(Stream& stream, beast::tcp_stream& lowest, ConnectionInfo& info,
                                     SessionEnv& env) {
  SessionSlot slot{&lowest, false};
  SessionScope scope(env, slot);
  beast::flat_buffer buffer;
  // Room for a typical request in one read (Beast reads into free capacity,
  // 512 bytes at a time when there is none); larger bodies grow it.
  buffer.reserve(16 * 1024);
  error_code ec;
  for (;;) {
    slot.busy = false;
    if (env.control.draining) co_return;
    // Wait for the first byte of the next request under the idle timeout;
    // only then do the header and body deadlines start.
    if (buffer.size() == 0) {
      lowest.expires_after(env.limits.idle_timeout);
      const auto n = co_await stream.async_read_some(buffer.prepare(4096), await_into(ec));
      if (ec) co_return;  // idle timeout, client gone, or a drain closed us
      buffer.commit(n);
    }
    slot.busy = true;

    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(env.limits.max_header_bytes));
    parser.body_limit(env.limits.max_body_bytes);
    lowest.expires_after(env.limits.header_timeout);
    co_await http::async_read_header(stream, buffer, parser, await_into(ec));
    if (!ec) {
      lowest.expires_after(env.limits.body_timeout);
      co_await http::async_read(stream, buffer, parser, await_into(ec));
    }
    if (ec) {
      if (auto answer = answer_for_read_error(ec)) {
        const bool header_read = parser.is_header_done();
        const unsigned version = header_read ? parser.get().version() : 11;
        auto response = env.handler.reject(*answer, info, version, buffer.size(),
                                           header_read ? &parser.get().base() : nullptr);
        lowest.expires_after(env.limits.body_timeout);
        co_await http::async_write(stream, response, await_into(ec));
        if (!ec) co_await drain_after_error(stream, lowest, buffer, env.limits);
      } else if (ec != asio::error::operation_aborted && ec != http::error::end_of_stream) {
        log_dropped(info, ec, parser.is_header_done() ? "body" : "header");
      }
      co_return;  // after a failed read the stream position is unknown
    }

    HttpResponse response;
    {
      InFlight counted(env.control);
      lowest.expires_never();  // the upstream has its own deadlines
      // Errors on the request path are values; an exception here is a defect
      // (Beast's prepare_payload threw on a TRACE with a body before the gate
      // refused every method but POST). It must still end as an answer and
      // an audit record, never as a connection dropped without either.
      std::exception_ptr defect;
      try {
        response = co_await env.handler.handle(parser.get(), info);
      } catch (...) {
        defect = std::current_exception();
      }
      if (defect) {
        log_defect(info, defect);
        response = env.handler.reject({ddb::ErrorKind::internal_server_error, "dynaudit could not handle the request"},
                                      info, parser.get().version(), parser.get().body().size(), &parser.get().base());
        response.keep_alive(false);  // what was read, written or half-done is unknown
      }
      const bool keep_alive = response.keep_alive() && !env.control.draining;
      response.keep_alive(keep_alive);
      lowest.expires_after(env.limits.body_timeout);
      co_await http::async_write(stream, response, await_into(ec));
    }
    if (ec || !response.keep_alive()) co_return;
  }
}

void fill_remote(ConnectionInfo& info, const tcp::socket& socket) {
  error_code ec;
  auto remote = socket.remote_endpoint(ec);
  if (!ec) {
    info.remote_address = remote.address().to_string();
    info.remote_port = remote.port();
  }
}

}  // namespace

asio::awaitable<void> run_plain_session(tcp::socket socket, ConnectionInfo info, SessionEnv env) {
  fill_remote(info, socket);
  beast::tcp_stream stream(std::move(socket));
  co_await serve_requests(stream, stream, info, env);
  error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  stream.socket().close(ignored);
}

asio::awaitable<void> run_tls_session(tcp::socket socket, std::shared_ptr<asio::ssl::context> tls,
                                      ConnectionInfo info, SessionEnv env) {
  fill_remote(info, socket);
  beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), *tls);
  auto& lowest = beast::get_lowest_layer(stream);
  error_code ec;
  lowest.expires_after(env.limits.header_timeout);
  co_await stream.async_handshake(asio::ssl::stream_base::server, await_into(ec));
  if (ec) {
    log_dropped(info, ec, "tls handshake");
    env.control.tls_handshake_failures.fetch_add(1, std::memory_order_relaxed);
    env.control.connections.fetch_sub(1);
    co_return;
  }
  env.control.tls_handshakes.fetch_add(1, std::memory_order_relaxed);
  info.tls = true;
  info.tls_version = tls_version_of(stream.native_handle());
  info.tls_cipher = tls_cipher_of(stream.native_handle());
  if (const char* sni = SSL_get_servername(stream.native_handle(), TLSEXT_NAMETYPE_host_name)) info.tls_server_name = sni;

  co_await serve_requests(stream, lowest, info, env);
  // close_notify, bounded: a client that vanished must not hold the session.
  lowest.expires_after(std::chrono::seconds(2));
  co_await stream.async_shutdown(await_into(ec));
  error_code ignored;
  lowest.socket().close(ignored);
}

}  // namespace dynaudit::proxy
