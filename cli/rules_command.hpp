// `dynaudit rules check FILE…` and `dynaudit rules test FILE… --cases CASES`:
// validate rule files (and warn about denies with a way round them) and run
// decision test cases against them, with exit codes for CI (0 pass, 1 invalid
// rules, warnings under --strict, or a failing case; 2 usage).
#pragma once

#include <CLI/CLI.hpp>

namespace dynaudit::cli {

void add_rules_command(CLI::App& app, int& exit_code);

}  // namespace dynaudit::cli
