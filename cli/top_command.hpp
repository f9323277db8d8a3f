// `dynaudit top`: a live terminal view of a running proxy, read from its
// /metrics page (no Prometheus needed): calls/s by table and operation,
// denies, error classes, p99 latency, audit store and rules health.
#pragma once

#include <CLI/CLI.hpp>

namespace dynaudit::cli {

void add_top_command(CLI::App& app, int& exit_code);

}  // namespace dynaudit::cli
