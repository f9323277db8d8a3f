// `dynaudit serve` and `dynaudit config check`.
#include "cli/serve_command.hpp"

#include <sys/stat.h>

#include <iostream>

#include "cli/fleet_agent_wiring.hpp"
#include "proxy/config/rule_channels.hpp"
#include "proxy/config/serve_config.hpp"
#include "proxy/net/server.hpp"
#include "proxy/net/start_check.hpp"

namespace dynaudit::cli {
namespace {

struct ServeArgs {
  std::string config_file;
  std::string ready_file;
  std::string upstream_endpoint;
  bool check_only = false;
  bool accept_witness_mismatch = false;
};

std::optional<proxy::ServeConfig> load(const ServeArgs& args) {
  auto result = args.config_file.empty() ? proxy::default_serve_config() : proxy::load_serve_config(args.config_file);
  if (result.config && !args.upstream_endpoint.empty()) {
    // Command-line override, re-validated the same way as the file's value.
    auto text_result = proxy::parse_serve_config("upstream: {endpoint: \"" + args.upstream_endpoint + "\", region: x}",
                                                 "--upstream-endpoint", "");
    if (!text_result.config) {
      result.config.reset();
      result.errors = text_result.errors;
    } else {
      result.config->upstream.endpoint = args.upstream_endpoint;
    }
  }
  for (const auto& error : result.errors) std::cerr << "dynaudit: config: " << error << "\n";
  return result.config;
}

// --check-config covers the rule files and their alert channels too, so
// that a config that passes the check also starts.
bool rules_are_valid(const proxy::ServeConfig& config) {
  if (config.rules.files.empty()) return true;
  const auto loaded = rules::RuleSnapshot::load_files(config.rules.files, proxy::engine_settings(config.rules));
  for (const auto& error : loaded.errors) std::cerr << "dynaudit: rules: " << rules::format(error) << "\n";
  if (!loaded.snapshot) return false;
  if (auto problem = proxy::unknown_alert_channel(*loaded.snapshot, config.alerts); !problem.empty()) {
    std::cerr << "dynaudit: rules: " << problem << "\n";
    return false;
  }
  return true;
}

}  // namespace

void add_serve_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<ServeArgs>();
  auto* serve = app.add_subcommand("serve", "Run the proxy");
  serve->add_option("-c,--config", args->config_file, "YAML config file (default: built-in safe defaults)");
  serve->add_option("--ready-file", args->ready_file, "Write bound ports as JSON to this file once listening");
  serve->add_option("--upstream-endpoint", args->upstream_endpoint, "Override upstream.endpoint");
  serve->add_flag("--check-config", args->check_only, "Validate the config and exit");
  serve->add_flag("--accept-witness-mismatch", args->accept_witness_mismatch,
                  "Start even though the audit store lacks or contradicts what its witness vouched for; the "
                  "acceptance is recorded in the chain and in the witness");
  serve->callback([args, &exit_code] {
    // Everything serve writes (the audit store, the witness, alert files)
    // is private to its user whatever the umask; RocksDB makes files from
    // its own threads all along, so the process umask is the one lever.
    ::umask(077);
    auto config = load(*args);
    if (!config) {
      exit_code = 2;
      return;
    }
    if (args->check_only) {
      bool valid = rules_are_valid(*config);
      for (const auto& problem : proxy::check_start_files(*config)) {
        std::cerr << "dynaudit: " << problem << "\n";
        valid = false;
      }
      if (!valid) {
        exit_code = 2;
        return;
      }
      std::cout << "config OK: " << config->source << "\n";
      exit_code = 0;
      return;
    }
    config->audit.accept_witness_mismatch = args->accept_witness_mismatch;
    std::string error;
    const proxy::ServeConfig fleet_config = *config;  // the agent's part, kept past the move
    auto server = proxy::Server::create(std::move(*config), error);
    if (!server) {
      std::cerr << "dynaudit: " << error << "\n";
      exit_code = 2;
      return;
    }
    auto fleet_agent = start_fleet_agent(fleet_config, *server, error);
    if (!fleet_agent && !error.empty()) {
      std::cerr << "dynaudit: " << error << "\n";
      exit_code = 2;
      return;
    }
    exit_code = server->run(proxy::ServeOptions{args->ready_file});
    if (fleet_agent) fleet_agent->stop();
  });
}

}  // namespace dynaudit::cli
