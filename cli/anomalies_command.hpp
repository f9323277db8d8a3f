// `dynaudit anomalies …`: what the behaviour analyser found (list, show,
// explain: read-only, while serve runs) and building its baselines from the
// audit history (learn: needs the store to itself). docs/anomalies.md.
#pragma once

#include <CLI/CLI.hpp>

namespace dynaudit::cli {

void add_anomalies_command(CLI::App& app, int& exit_code);

}  // namespace dynaudit::cli
