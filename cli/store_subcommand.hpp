// The wiring every store-reading subcommand shares (audit, anomalies,
// discover): --store/--config, and a body bound so that unknown arguments
// are a usage error (exit 2, not a CLI11 exception code above 100), files
// the command writes are private whatever the umask, and a reader may keep
// every table file of the store open.
#pragma once

#include <sys/stat.h>

#include <functional>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/audit_subcommands.hpp"
#include "proxy/net/fd_limit.hpp"

namespace dynaudit::cli {

inline void add_store_options(CLI::App* cmd, StoreArgs& store) {
  cmd->add_option("--store", store.store,
                  "Audit store folder (RocksDB); default: dynaudit-audit in the working folder, as serve without a config");
  cmd->add_option("-c,--config", store.config, "dynaudit serve config file; its audit.path is the store");
}

// `say` prints a usage error; `command` names the parent in it ("audit").
// `private_files`: false for a body that sets its own file modes.
template <typename Args>
void bind_store_subcommand(CLI::App* cmd, std::shared_ptr<Args> args, int (*body)(const Args&), int& exit_code,
                           std::function<void(const std::string&)> say, std::string command,
                           std::function<bool(const CLI::App&)> private_files = {}) {
  cmd->allow_extras();
  cmd->callback([cmd, args, body, &exit_code, say, command, private_files] {
    const auto extras = cmd->remaining();
    if (!extras.empty()) {
      say("unexpected argument '" + extras.front() + "' for `" + command + " " + cmd->get_name() + "` (see dynaudit " +
          command + " " + cmd->get_name() + " --help)");
      exit_code = kAuditUsage;
      return;
    }
    if (!private_files || private_files(*cmd)) ::umask(077);
    proxy::raise_open_file_limit();
    exit_code = body(*args);
  });
}

}  // namespace dynaudit::cli
