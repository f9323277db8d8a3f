// `dynaudit console`: the investigators' web console over the audit store,
// read-only (the store is opened like `dynaudit audit query` does, beside a
// running `serve`). Its own listener — HTTPS, or plain HTTP on a loopback
// address only — serves the login, search and record
// pages (console_pages.hpp); sessions, CSRF tokens and login throttling as
// in console_sessions.hpp and login_throttle.hpp; logins, logouts and
// reveals recorded in the audit chain through serve's admin listener
// (storage/console_record.hpp). Every answer carries a
// strict Content-Security-Policy (nothing but the console's own stylesheet,
// no script), nosniff, no framing, no referrer and no caching.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "console/console_users.hpp"
#include "storage/value_seal.hpp"

namespace dynaudit::console {

struct ConsoleOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = 9902;
  // Both set: HTTPS (TLS 1.2+), on any address, cookies Secure. Neither:
  // plain HTTP, on a loopback address only.
  std::string tls_cert_file, tls_key_file;
  std::string store_path;
  std::chrono::seconds session_lifetime{8 * 3600};
  unsigned max_login_failures = 5;
  std::chrono::seconds login_window{15 * 60};
  std::size_t page_rows = 50;
  // Index entries one page may read before it stops and offers to go on:
  // a filter no index serves cannot make a page read millions of records.
  std::size_t max_examined = 100'000;
  // Where logins, logouts and reveals are recorded: serve's admin listener
  // ("host:port") and the token of console.token_file. The console does
  // not let anyone in, nor reveal anything, that it could not record.
  std::string admin;
  std::string token;
  // The audit seal key, when reveal is possible (audit.seal_key_file/env).
  std::optional<storage::SealKey> seal_key;
  std::string witness_file;  // audit.witness.file: a record page says whether its segment is witnessed
};

class ConsoleServer {
 public:
  // Opens the store and binds; nullptr with `error` when either fails.
  static std::unique_ptr<ConsoleServer> create(ConsoleOptions options, Users users, std::string& error);
  ~ConsoleServer();
  std::uint16_t port() const;
  // Serves until SIGTERM or SIGINT; the exit code.
  int run();

 private:
  struct Impl;
  explicit ConsoleServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace dynaudit::console
