// `dynaudit audit …`: the investigator's commands over the audit store —
// tail, query, verify, export, prune, stats, keygen. All but prune and keygen
// open the store read-only, so they work while `dynaudit serve` writes to it.
#pragma once

#include <CLI/CLI.hpp>

namespace dynaudit::cli {

void add_audit_command(CLI::App& app, int& exit_code);

}  // namespace dynaudit::cli
