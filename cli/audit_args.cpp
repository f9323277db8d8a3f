// Argument handling shared by the `dynaudit audit` subcommands: finding the
// store, turning filter strings into a storage::AuditQuery, and telling a
// store that is busy (held by `serve`) from one that cannot be opened.
#include <fcntl.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <filesystem>
#include <iostream>

#include "cli/audit_subcommands.hpp"
#include "cli/audit_time.hpp"
#include "proxy/config/serve_config.hpp"
#include "storage/unrecorded_calls.hpp"

namespace dynaudit::cli {

void report(const std::string& message) { std::cerr << "dynaudit audit: " << message << "\n"; }

int report_read_failure(const std::string& error) {
  std::cout.flush();
  report("the audit store could not be read: " + error + ". The answer is incomplete; run `dynaudit audit verify`");
  return kAuditDamaged;
}

bool resolve_store_path(const StoreArgs& args, std::string& path, std::string& error, std::string* witness_file) {
  if (!args.store.empty() && !args.config.empty()) {
    error = "give either --store or --config, not both";
    return false;
  }
  if (!args.store.empty()) {
    path = args.store;
    return true;
  }
  if (!args.config.empty()) {
    // The same reader `serve` uses, so audit.path resolves exactly as it does
    // for the running proxy (relative to the config file's folder).
    auto result = proxy::load_serve_config(args.config);
    if (!result.config) {
      error = "cannot use config " + args.config + ":";
      for (const auto& e : result.errors) error += "\n  " + e;
      return false;
    }
    if (!result.config->audit.enabled) {
      error = args.config + " has audit.enabled: false; give the store folder with --store PATH";
      return false;
    }
    path = result.config->audit.path;
    if (witness_file) *witness_file = result.config->audit.witness.file;
    return true;
  }
  // Neither: the store `dynaudit serve` writes without a config, in the
  // working folder, so that serve and the audit commands run in one folder
  // agree on it.
  path = (std::filesystem::current_path() / proxy::AuditConfig{}.path).string();
  return true;
}

std::string unrecorded_file_for(const StoreArgs& args, const std::string& path, const std::string& witness_file) {
  if (!args.config.empty()) {
    if (auto result = proxy::load_serve_config(args.config); result.config) return result.config->audit.unrecorded_file;
  }
  return storage::default_unrecorded_file(path, witness_file);
}

std::unique_ptr<storage::AuditReader> open_reader(const StoreArgs& args, std::string* path_out, int* exit_code) {
  if (exit_code) *exit_code = kAuditUsage;
  std::string path, error;
  if (!resolve_store_path(args, path, error)) {
    report(error);
    return nullptr;
  }
  if (!std::filesystem::is_directory(path)) {
    report("no audit store at " + path + " (not a folder)" +
           (args.store.empty() && args.config.empty()
                ? std::string("; that is where `dynaudit serve` without a config keeps it. Give --store PATH or "
                              "--config FILE for another store")
                : std::string()));
    return nullptr;
  }
  bool damaged = false;
  auto reader = storage::AuditReader::open(path, error, &damaged);
  if (!reader) {
    report("cannot open the audit store at " + path + ": " + error);
    if (damaged && exit_code) *exit_code = kAuditDamaged;
    return nullptr;
  }
  if (path_out) *path_out = path;
  return reader;
}

std::optional<std::uint64_t> parse_count(const std::string& text) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

bool build_query(const FilterArgs& args, storage::AuditQuery& q, std::string& error) {
  // One "now" for both ends, so that --since 2h --until 1h is exactly an hour.
  const auto now = std::chrono::system_clock::now();
  if (!args.since.empty() && !(q.since = parse_time_arg(args.since, now, error))) return false;
  if (!args.until.empty() && !(q.until = parse_time_arg(args.until, now, error))) return false;
  if (q.since && q.until && *q.since >= *q.until) {
    error = "--since must be before --until";
    return false;
  }
  if (!args.principal.empty()) q.principal = args.principal;
  if (!args.table.empty()) q.table = args.table;
  if (!args.operation.empty()) q.operation = args.operation;
  if (!args.decision.empty()) {
    if (args.decision != "allow" && args.decision != "deny") {
      error = "--decision must be allow or deny";
      return false;
    }
    q.decision = args.decision;
  }
  if (!args.error.empty()) {
    // "any" is the user's word; the store's wildcard is "*". Both accepted.
    q.error_code = (args.error == "any" || args.error == "*") ? std::string("*") : args.error;
  }
  if (!args.rule.empty()) q.rule = args.rule;
  if (!args.tag.empty()) q.tag = args.tag;
  if (!args.limit.empty()) {
    auto n = parse_count(args.limit);
    if (!n) {
      error = "--limit must be a whole number (0: no limit)";
      return false;
    }
    q.limit = static_cast<std::size_t>(*n);
  }
  return true;
}

std::optional<long> store_lock_holder(const std::string& path) {
  // RocksDB locks <db>/LOCK with fcntl(F_SETLK); F_GETLK names the holder
  // without taking anything.
  int fd = ::open((std::filesystem::path(path) / "LOCK").c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  struct flock probe {};
  probe.l_type = F_WRLCK;
  probe.l_whence = SEEK_SET;
  probe.l_start = 0;
  probe.l_len = 0;
  std::optional<long> holder;
  if (::fcntl(fd, F_GETLK, &probe) == 0 && probe.l_type != F_UNLCK) holder = static_cast<long>(probe.l_pid);
  ::close(fd);
  return holder;
}

}  // namespace dynaudit::cli
