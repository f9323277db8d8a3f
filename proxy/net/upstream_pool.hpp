// UpstreamPool: keep-alive connections from one worker to the upstream
// DynamoDB endpoint. One pool per worker thread, so it needs no locks. A
// request that fails on a reused connection before any response byte arrives
// is retried once on a fresh one (the server may have closed it while idle).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <vector>

#include "ddb/error_response.hpp"
#include "proxy/config/serve_config.hpp"
#include "proxy/net/asio.hpp"
#include "proxy/net/upstream_endpoint.hpp"

namespace dynaudit::proxy {

struct UpstreamResult {
  std::optional<HttpResponse> response;
  std::optional<ddb::DdbError> error;  // retryable 5xx when the upstream failed
  std::chrono::microseconds elapsed{0};
};

class UpstreamPool {
 public:
  UpstreamPool(asio::any_io_executor executor, UpstreamEndpoint endpoint,
               std::shared_ptr<asio::ssl::context> tls, const UpstreamConfig& config);
  ~UpstreamPool();

  asio::awaitable<UpstreamResult> exchange(HttpRequest& request);
  void close_idle();
  std::size_t idle_count() const { return idle_.size(); }

 private:
  struct Connection;
  asio::awaitable<std::unique_ptr<Connection>> connect(error_code& ec, std::string& what);
  std::unique_ptr<Connection> take_idle();

  asio::any_io_executor executor_;
  UpstreamEndpoint endpoint_;
  std::shared_ptr<asio::ssl::context> tls_;
  UpstreamConfig config_;
  std::vector<std::unique_ptr<Connection>> idle_;
};

}  // namespace dynaudit::proxy
