// UpstreamPool: keep-alive connections from one worker to the upstream
// DynamoDB endpoint. One pool per worker thread, so it needs no locks. An
// idle connection is reused only if it has been idle less than
// `upstream.idle_connection_timeout` and its socket shows no sign of the peer
// closing it; a failed request is sent again (once, on a new connection) only
// when that cannot make the upstream execute it twice (see Resend).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <vector>

#include "ddb/error_response.hpp"
#include "proxy/config/serve_config.hpp"
#include "proxy/net/asio.hpp"
#include "proxy/net/upstream_attempt.hpp"
#include "proxy/net/upstream_endpoint.hpp"

namespace dynaudit::proxy {

struct UpstreamResult {
  std::optional<HttpResponse> response;
  std::optional<ddb::DdbError> error;  // retryable 5xx when the upstream failed
  std::vector<UpstreamAttempt> attempts;  // one or two
  std::chrono::microseconds elapsed{0};
};

class UpstreamPool {
 public:
  UpstreamPool(asio::any_io_executor executor, UpstreamEndpoint endpoint,
               std::shared_ptr<asio::ssl::context> tls, const UpstreamConfig& config);
  ~UpstreamPool();

  asio::awaitable<UpstreamResult> exchange(HttpRequest& request, Resend resend);
  void close_idle();
  std::size_t idle_count() const { return idle_.size(); }

 private:
  struct Connection;
  asio::awaitable<std::unique_ptr<Connection>> connect(error_code& ec, std::string& what);
  std::unique_ptr<Connection> take_idle();
  void keep_idle(std::unique_ptr<Connection> connection);

  asio::any_io_executor executor_;
  UpstreamEndpoint endpoint_;
  std::shared_ptr<asio::ssl::context> tls_;
  UpstreamConfig config_;
  std::vector<std::unique_ptr<Connection>> idle_;  // oldest first; reused from the back
};

}  // namespace dynaudit::proxy
