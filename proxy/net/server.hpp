// Server: the whole `dynaudit serve` process. One io_context and one
// RequestHandler per worker thread, a SO_REUSEPORT acceptor per listener per
// worker (the kernel spreads connections; no locks on the request path), an
// admin endpoint and signal handling on the main thread. SIGTERM/SIGINT
// drain: stop accepting, close idle connections, let in-flight requests
// finish within the drain deadline, exit 0.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "metrics/exposition.hpp"
#include "aws/upstream_credentials.hpp"
#include "proxy/auth/aws_imports.hpp"
#include "proxy/config/serve_config.hpp"
#include "rules/rule_engine.hpp"
#include "storage/audit_store.hpp"

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

  // For companions that run beside the proxy in the same process (the
  // fleet agent, wired by the cli): they reach the proxy only through these.
  rules::RuleEngine* rule_engine();  // null without rule files
  UpstreamCredentialProvider& upstream_credentials();
  // The audit store (null when audit is off).
  const storage::AuditStore* audit_store() const;
  // Families appended to /metrics at scrape time (from the admin thread).
  void add_metrics(std::function<void(metrics::Exposition&)> writer);
  // Called by run() once the workers have stopped and before the audit store
  // closes: a companion reading the store stops here, never after.
  void on_stop(std::function<void()> stop);

 private:
  struct Impl;
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace dynaudit::proxy
