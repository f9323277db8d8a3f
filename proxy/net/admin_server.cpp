// Admin HTTP endpoint; see admin_server.hpp.
#include "proxy/net/admin_server.hpp"

namespace dynaudit::proxy {
namespace {

HttpResponse answer(const HttpRequest& request, const AdminStatus& status) {
  HttpResponse response{http::status::ok, request.version()};
  response.set(http::field::content_type, "application/json");
  response.keep_alive(request.keep_alive());
  const auto target = request.target();
  if (request.method() != http::verb::get && request.method() != http::verb::head) {
    response.result(http::status::method_not_allowed);
    response.body() = "{\"error\":\"method not allowed\"}";
  } else if (target == "/healthz") {
    response.body() = "{\"status\":\"ok\"}";
  } else if (target == "/readyz") {
    const bool ready = status.ready();
    response.result(ready ? http::status::ok : http::status::service_unavailable);
    response.body() = ready ? "{\"status\":\"ready\"}" : "{\"status\":\"not ready\"}";
  } else if (target == "/rules" && status.rules) {
    response.body() = status.rules();
  } else if (target == "/alerts" && status.alerts) {
    response.body() = status.alerts();
  } else if (target == "/connections" && status.connections) {
    response.body() = status.connections();
  } else if ((target == "/metrics" || target.starts_with("/metrics?")) && status.metrics) {
    const auto accept = request[http::field::accept];
    auto [body, type] = status.metrics(std::string_view(accept.data(), accept.size()));
    response.set(http::field::content_type, type);
    response.body() = std::move(body);
  } else {
    response.result(http::status::not_found);
    response.body() = "{\"error\":\"not found\"}";
  }
  response.prepare_payload();
  return response;
}

asio::awaitable<void> admin_session(tcp::socket socket, AdminStatus status) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  error_code ec;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(8 * 1024);
    parser.body_limit(1024);
    stream.expires_after(std::chrono::seconds(10));
    co_await http::async_read(stream, buffer, parser, await_into(ec));
    if (ec) break;
    auto response = answer(parser.get(), status);
    co_await http::async_write(stream, response, await_into(ec));
    if (ec || !response.keep_alive()) break;
  }
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
}

}  // namespace

asio::awaitable<void> run_admin_listener(tcp::acceptor& acceptor, AdminStatus status) {
  for (;;) {
    error_code ec;
    auto socket = co_await acceptor.async_accept(await_into(ec));
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
    if (ec) {
      // Out of descriptors (EMFILE): wait a moment instead of spinning.
      asio::steady_timer pause(acceptor.get_executor(), std::chrono::milliseconds(50));
      co_await pause.async_wait(await_into(ec));
      continue;
    }
    asio::co_spawn(acceptor.get_executor(), admin_session(std::move(socket), status), asio::detached);
  }
}

}  // namespace dynaudit::proxy
