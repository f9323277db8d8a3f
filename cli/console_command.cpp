// `dynaudit console` (console_command.hpp). Exit codes: 0 stopped cleanly,
// 1 it could not start, 2 usage or config.
#include "cli/console_command.hpp"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>

#include "console/console_server.hpp"
#include "console/console_users.hpp"
#include "proxy/config/serve_config.hpp"
#include "proxy/net/admin_scan_request.hpp"
#include "storage/value_seal.hpp"

namespace dynaudit::cli {
namespace {

void say(const std::string& message) { std::cerr << "dynaudit console: " << message << "\n"; }

struct ConsoleArgs {
  std::string config;
  std::string ready_file;
  std::string admin;  // host:port of serve's admin listener, when not the config's
};

int run_console(const ConsoleArgs& args) {
  ::umask(077);
  auto loaded = proxy::load_serve_config(args.config);
  if (!loaded.config) {
    std::string error = "cannot use config " + args.config + ":";
    for (const auto& e : loaded.errors) error += "\n  " + e;
    say(error);
    return 2;
  }
  const proxy::ServeConfig& cfg = *loaded.config;
  if (cfg.console.users_file.empty()) {
    say("console.users_file is not set in " + args.config + " (make hashes with `dynaudit console hash-password`)");
    return 2;
  }
  std::string error;
  auto users = console::Users::load(cfg.console.users_file, error);
  if (!users) {
    say(error);
    return 2;
  }
  if (cfg.console.token_file.empty() || !cfg.admin.enabled) {
    say("console.token_file and serve's admin listener are needed: every login and reveal is recorded by serve");
    return 2;
  }
  console::ConsoleOptions options;
  if (!proxy::load_admin_token(cfg.console.token_file, options.token, error)) {
    say("console.token_file: " + error);
    return 2;
  }
  std::string admin_host = cfg.admin.address == "0.0.0.0" ? "127.0.0.1" : cfg.admin.address == "::" ? "::1" : cfg.admin.address;
  if (admin_host.find(':') != std::string::npos) admin_host = "[" + admin_host + "]";
  options.admin = args.admin.empty() ? admin_host + ":" + std::to_string(cfg.admin.port) : args.admin;
  if (!cfg.audit.seal_key_file.empty()) {
    options.seal_key = storage::load_seal_key_file(cfg.audit.seal_key_file, error);
    if (!options.seal_key) {
      say("audit.seal_key_file: " + error);
      return 2;
    }
  } else if (!cfg.audit.seal_key_env.empty()) {
    const char* text = std::getenv(cfg.audit.seal_key_env.c_str());
    if (text) options.seal_key = storage::load_seal_key_text(text, error);
    if (!options.seal_key) {
      say("audit.seal_key_env: " + (text ? error : cfg.audit.seal_key_env + " is not set"));
      return 2;
    }
  }
  options.address = cfg.console.address;
  options.tls_cert_file = cfg.console.tls.cert_file;
  options.tls_key_file = cfg.console.tls.key_file;
  options.port = cfg.console.port;
  options.store_path = cfg.audit.path;
  options.witness_file = cfg.audit.witness.file;
  options.session_lifetime = std::chrono::duration_cast<std::chrono::seconds>(cfg.console.session_lifetime);
  options.max_login_failures = cfg.console.max_login_failures;
  options.login_window = std::chrono::duration_cast<std::chrono::seconds>(cfg.console.login_window);
  auto server = console::ConsoleServer::create(options, std::move(*users), error);
  if (!server) {
    say(error);
    return 1;
  }
  if (!args.ready_file.empty()) {
    std::ofstream(args.ready_file, std::ios::trunc) << "{\"port\":" << server->port() << "}\n";
  }
  return server->run();
}

int run_hash_password() {
  std::string password;
  std::getline(std::cin, password);
  if (password.empty()) {
    say("give the password on stdin (one line)");
    return 2;
  }
  const std::string hash = console::hash_password(password);
  if (hash.empty()) {
    say("libsodium could not hash the password");
    return 1;
  }
  std::cout << hash << "\n";
  return 0;
}

}  // namespace

void add_console_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<ConsoleArgs>();
  auto* console = app.add_subcommand("console", "The investigators' web console over the audit store (read-only)");
  console->add_option("--config", args->config, "The serve config (audit.path and the console section)");
  console->add_option("--ready-file", args->ready_file, "Write the bound port as JSON to this file once listening");
  console->add_option("--admin", args->admin, "serve's admin listener as HOST:PORT (default: admin.address and admin.port)");
  auto* hash = console->add_subcommand("hash-password", "Print an argon2id hash of the password read on stdin");
  hash->callback([&exit_code] { exit_code = run_hash_password(); });
  console->callback([args, hash, console, &exit_code] {
    if (hash->parsed()) return;
    if (args->config.empty()) {
      std::cerr << console->help();
      exit_code = 2;
      return;
    }
    exit_code = run_console(*args);
  });
}

}  // namespace dynaudit::cli
