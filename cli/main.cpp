// dynaudit: the audit, policy and masking proxy for Amazon DynamoDB.
// Subcommands: serve, audit, rules, top, anomalies, discover, report,
// console, fleet, cloudtrail.
// Exit codes: 0 success, 1 a check failed (e.g. audit verify found damage),
// 2 usage or configuration error.
#include <csignal>
#include <iostream>

#include <CLI/CLI.hpp>

#include "cli/anomalies_command.hpp"
#include "cli/audit_command.hpp"
#include "cli/console_command.hpp"
#include "cli/discover_command.hpp"
#include "cli/fleet_command.hpp"
#include "cli/report_command.hpp"
#include "cli/rules_command.hpp"
#include "cli/serve_command.hpp"
#include "cli/top_command.hpp"

int main(int argc, char** argv) {
  // A client that disconnects mid-write must not kill the process.
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App app{"dynaudit: audit, policy and masking proxy for Amazon DynamoDB"};
  app.set_version_flag("--version", "dynaudit 0.1.0");
  app.require_subcommand(1);
  int exit_code = 0;
  dynaudit::cli::add_serve_command(app, exit_code);
  dynaudit::cli::add_audit_command(app, exit_code);
  dynaudit::cli::add_rules_command(app, exit_code);
  dynaudit::cli::add_top_command(app, exit_code);
  dynaudit::cli::add_anomalies_command(app, exit_code);
  dynaudit::cli::add_discover_command(app, exit_code);
  dynaudit::cli::add_report_command(app, exit_code);
  dynaudit::cli::add_console_command(app, exit_code);
  dynaudit::cli::add_fleet_command(app, exit_code);
  dynaudit::cli::add_cloudtrail_command(app, exit_code);
  dynaudit::cli::add_rules_publish_command(*app.get_subcommand("rules"), exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version print and succeed; every other parse error is a
    // usage error, 2 like the rest of the command (not CLI11's own codes).
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  return exit_code;
}
