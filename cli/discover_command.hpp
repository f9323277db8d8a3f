// `dynaudit discover …`: what passive discovery found (list) and mask rules
// for what nothing masks (suggest-rules). Read-only; works while serve runs.
// docs/discovery.md.
#pragma once

#include <CLI/CLI.hpp>

namespace dynaudit::cli {

void add_discover_command(CLI::App& app, int& exit_code);

}  // namespace dynaudit::cli
