// Blocking fetch over a private io_context with a deadline; see http_fetch.hpp.
#include "proxy/net/http_fetch.hpp"

#include "proxy/net/asio.hpp"
#include "proxy/net/upstream_endpoint.hpp"

namespace dynaudit::proxy {

FetchResponse blocking_http_fetch(const FetchRequest& request) {
  FetchResponse out;
  if (request.url.rfind("http://", 0) != 0) {
    out.error = "only http:// URLs are fetched";
    return out;
  }
  const auto path_start = request.url.find('/', 7);
  auto endpoint = parse_upstream_endpoint(request.url.substr(0, path_start));
  if (!endpoint) {
    out.error = "malformed URL";
    return out;
  }
  const std::string path = path_start == std::string::npos ? "/" : request.url.substr(path_start);

  asio::io_context ioc;
  const http::verb verb = request.method == "PUT"    ? http::verb::put
                          : request.method == "POST" ? http::verb::post
                                                     : http::verb::get;
  HttpRequest http_request{verb, path, 11};
  http_request.set(http::field::host, endpoint->host_header);
  for (const auto& [name, value] : request.headers) http_request.set(name, value);
  http_request.body() = request.body;
  http_request.keep_alive(false);
  http_request.prepare_payload();

  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        error_code ec;
        tcp::resolver resolver(ioc);
        auto results = co_await resolver.async_resolve(endpoint->host, endpoint->port, await_into(ec));
        if (ec) {
          out.error = "resolve: " + ec.message();
          co_return;
        }
        beast::tcp_stream stream(ioc);
        stream.expires_after(request.timeout);
        co_await stream.async_connect(results, await_into(ec));
        if (!ec) co_await http::async_write(stream, http_request, await_into(ec));
        beast::flat_buffer buffer;
        HttpResponse response;
        if (!ec) co_await http::async_read(stream, buffer, response, await_into(ec));
        if (ec) {
          out.error = ec.message();
          co_return;
        }
        out.status = response.result_int();
        out.body = std::move(response.body());
      },
      asio::detached);
  ioc.run();
  return out;
}

}  // namespace dynaudit::proxy
