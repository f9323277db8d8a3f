// dynaudit: the audit, policy and masking proxy for Amazon DynamoDB.
// Subcommands: serve (more come with the audit store and rules).
#include <csignal>
#include <iostream>

#include <CLI/CLI.hpp>

#include "cli/audit_command.hpp"
#include "cli/serve_command.hpp"

int main(int argc, char** argv) {
  // A client that disconnects mid-write must not kill the process.
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App app{"dynaudit: audit, policy and masking proxy for Amazon DynamoDB"};
  app.set_version_flag("--version", "dynaudit 0.1.0");
  app.require_subcommand(1);
  int exit_code = 0;
  dynaudit::cli::add_serve_command(app, exit_code);
  dynaudit::cli::add_audit_command(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return exit_code;
}
