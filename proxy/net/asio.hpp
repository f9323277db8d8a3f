// Common Asio/Beast includes for the coroutine-based network code, in the
// order Boost 1.74 needs with g++ 12 (<utility> before awaitable.hpp).
#pragma once

#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace dynaudit::proxy {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;
using boost::system::error_code;

using HttpRequest = http::request<http::string_body>;
using HttpResponse = http::response<http::string_body>;

// Coroutine completion token that reports errors through `ec` instead of
// throwing: network failures are ordinary values on the data path.
inline auto await_into(error_code& ec) { return asio::redirect_error(asio::use_awaitable, ec); }

}  // namespace dynaudit::proxy
