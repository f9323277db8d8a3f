// Server: the whole `dynaudit serve` process. One io_context and one
// RequestHandler per worker thread, a SO_REUSEPORT acceptor per listener per
// worker (the kernel spreads connections; no locks on the request path), an
// admin endpoint and signal handling on the main thread. SIGTERM/SIGINT
// drain: stop accepting, close idle connections, let in-flight requests
// finish within the drain deadline, exit 0.
#pragma once

#include <memory>
#include <string>

#include "proxy/config/serve_config.hpp"

namespace dynaudit::proxy {

struct ServeOptions {
  std::string ready_file;  // written once every listener is bound
};

class Server {
 public:
  // Validates what can only be checked at start (files, endpoint,
  // credentials); nullptr and `error` set on failure.
  static std::unique_ptr<Server> create(ServeConfig config, std::string& error);
  ~Server();

  // Binds, serves until a stop signal, drains. Returns the exit code.
  int run(const ServeOptions& options);

 private:
  struct Impl;
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace dynaudit::proxy
