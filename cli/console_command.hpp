// `dynaudit console --config FILE`: the investigators' web console over the
// audit store (docs/console.md); `dynaudit console hash-password`: an
// argon2id hash of the password read on stdin, for the users file.
#pragma once

#include <CLI/CLI.hpp>

namespace dynaudit::cli {

void add_console_command(CLI::App& app, int& exit_code);

}  // namespace dynaudit::cli
