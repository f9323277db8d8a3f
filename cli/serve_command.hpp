// `dynaudit serve`: load and validate the config, then run the proxy.
#pragma once

#include <CLI/CLI.hpp>

namespace dynaudit::cli {

void add_serve_command(CLI::App& app, int& exit_code);

}  // namespace dynaudit::cli
