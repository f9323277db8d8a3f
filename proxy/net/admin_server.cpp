// Admin HTTP endpoint; see admin_server.hpp.
#include "proxy/net/admin_server.hpp"

#include "ddb/error_response.hpp"
#include "proxy/log/request_log.hpp"
#include "proxy/net/admin_scan_request.hpp"

// The false -Wmismatched-new-delete of g++ 12 on Asio coroutine frames
// awaited inside another (see request_handler.cpp).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace dynaudit::proxy {
namespace {

std::string error_json(std::string_view message) {
  std::string body = "{\"error\":\"";
  ddb::append_json_escaped(body, message);
  return body + "\"}";
}

// The answer to an admin POST, JSON.
HttpResponse json_answer(const HttpRequest& request, unsigned status, std::string body) {
  HttpResponse response{static_cast<http::status>(status), request.version()};
  response.set(http::field::content_type, "application/json");
  response.keep_alive(request.keep_alive());
  response.body() = std::move(body);
  response.prepare_payload();
  return response;
}

// What both admin POSTs check first (admin_scan_request.hpp): the action is
// on, and the request passes the Host, content type and token checks; a
// refused attempt is logged (something on this host is probing).
std::optional<HttpResponse> refuse_post(const HttpRequest& request, bool enabled, const std::string& token,
                                        std::string_view off, std::string_view what) {
  if (!enabled) return json_answer(request, 404, error_json(off));
  const auto field = [&](http::field name) {
    const auto value = request[name];
    return std::string_view(value.data(), value.size());
  };
  auto refusal = refuse_scan_request(field(http::field::host), field(http::field::content_type),
                                     field(http::field::authorization), token);
  if (!refusal) return std::nullopt;
  write_log_line(format_log_line("warn", "admin: refused a " + std::string(what),
                                 "\"status\":" + std::to_string(refusal->status) + ",\"why\":\"" + refusal->error +
                                     "\""));  // our own fixed sentences
  return json_answer(request, refusal->status, error_json(refusal->error));
}

// POST /discovery/scan.
asio::awaitable<HttpResponse> answer_scan(const HttpRequest& request, const AdminStatus& status) {
  if (auto refused = refuse_post(request, static_cast<bool>(status.discovery_scan), status.scan_token,
                                 "active discovery is off (discovery.scan.enabled)", "discovery scan request"))
    co_return std::move(*refused);
  std::string error;
  const auto ask = parse_scan_ask(request.body(), error);
  if (!ask) co_return json_answer(request, 400, error_json(error));
  auto [code, body] = co_await status.discovery_scan(ask->table, ask->sample);
  co_return json_answer(request, code, std::move(body));
}

// POST /audit/console-event: a console login, logout or reveal to record.
asio::awaitable<HttpResponse> answer_console_event(const HttpRequest& request, const AdminStatus& status) {
  if (auto refused = refuse_post(request, static_cast<bool>(status.console_event), status.console_token,
                                 "console events are off (console.token_file)", "console event"))
    co_return std::move(*refused);
  auto [code, body] = co_await status.console_event(request.body());
  co_return json_answer(request, code, std::move(body));
}

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
    const auto& request = parser.get();
    // Not a conditional expression: g++ 12 miscompiles co_await inside one.
    HttpResponse response;
    if (request.method() == http::verb::post && request.target() == "/discovery/scan") {
      response = co_await answer_scan(request, status);
    } else if (request.method() == http::verb::post && request.target() == "/audit/console-event") {
      response = co_await answer_console_event(request, status);
    } else {
      response = answer(request, status);
    }
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
