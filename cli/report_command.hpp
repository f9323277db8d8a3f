// `dynaudit report`: a compliance report over a period of the audit log, as
// self-contained HTML, JSON, or PDF printed by headless Chromium
// (docs/compliance.md). Read-only; works while serve runs.
#pragma once

#include <CLI/CLI.hpp>

namespace dynaudit::cli {

void add_report_command(CLI::App& app, int& exit_code);

}  // namespace dynaudit::cli
