// The arguments and the bodies of the `dynaudit audit` subcommands, apart
// from their CLI11 wiring (audit_command.cpp), so each body is a plain
// function from arguments to an exit code.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "storage/audit_reader.hpp"

namespace dynaudit::cli {

// Exit codes shared by the audit subcommands (documented in docs/audit-log.md).
inline constexpr int kAuditOk = 0;
inline constexpr int kAuditDamaged = 1;  // verify found damage; export, tail or prune failed half way
inline constexpr int kAuditUsage = 2;    // bad arguments, or the store cannot be opened
inline constexpr int kAuditBusy = 3;     // prune: `serve` (or another process) holds the store

// Where the store is: --store PATH, or audit.path of a `serve` config file.
struct StoreArgs {
  std::string store;
  std::string config;
};

// Record filters shared by query, tail and export. Strings, converted by us,
// so that every bad value is a usage error (exit 2) with a clear message.
struct FilterArgs {
  std::string since, until;
  std::string principal, table, operation, decision, error, rule, tag;
  std::string limit;
};

struct TailArgs {
  StoreArgs store;
  FilterArgs filter;
  std::string count = "10";
  bool follow = false;
  std::string format = "table";
  std::string interval = "250ms";
};

struct QueryArgs {
  StoreArgs store;
  FilterArgs filter;
  std::string format = "table";
  bool fleet = false;  // the central fleet table of --config instead of the local store
};

struct ExportArgs {
  StoreArgs store;
  FilterArgs filter;
  std::string out_dir;
  std::string format = "cloudtrail";
};

struct VerifyArgs {
  StoreArgs store;
  bool fleet = false;  // every proxy's chain in the fleet table of --config
  std::vector<std::string> fleet_public_keys;
  std::string public_key;
  std::string witness;  // the witness file; default with --config: its audit.witness.file
  bool quiet = false;
};

struct PruneArgs {
  StoreArgs store;
  std::string before;
  bool dry_run = false;
};

struct StatsArgs {
  StoreArgs store;
  bool json = false;
};

struct KeygenArgs {
  std::string private_key;
  std::string public_key;
  std::string seal_key;  // a seal key file (AES-256, for sealed clear values)
  bool force = false;    // replaces checkpoint key files; never a seal key
};

struct ShowArgs {
  StoreArgs store;
  std::string event_id;
  bool reveal = false;
  std::string key_file;  // --reveal: the seal key, from a file...
  std::string key_env;   // ...or from this environment variable
  std::string format = "pretty";
};

int run_tail(const TailArgs& args);
int run_query(const QueryArgs& args);
int run_export(const ExportArgs& args);
int run_stats(const StatsArgs& args);
int run_verify(const VerifyArgs& args);
int run_prune(const PruneArgs& args);
int run_keygen(const KeygenArgs& args);
int run_show(const ShowArgs& args);

// ---- helpers shared by the bodies (audit_args.cpp) --------------------------

// The store folder from --store or --config, else serve's default store
// (dynaudit-audit in the working folder); false with `error` if both are
// given, or the config cannot be read. With --config, `witness_file` (when
// given) receives its audit.witness.file.
bool resolve_store_path(const StoreArgs& args, std::string& path, std::string& error,
                        std::string* witness_file = nullptr);

// Where serve keeps the count of calls it answered without a record while the
// store could not write: the config's audit.unrecorded_file, else the
// default beside `witness_file` or the store.
std::string unrecorded_file_for(const StoreArgs& args, const std::string& path, const std::string& witness_file);

// Opens the store read-only; prints why not and returns null on failure.
// `exit_code` (when given) gets kAuditDamaged for a store whose files are
// damaged, kAuditUsage for every other failure.
std::unique_ptr<storage::AuditReader> open_reader(const StoreArgs& args, std::string* path_out = nullptr,
                                                  int* exit_code = nullptr);

bool build_query(const FilterArgs& args, storage::AuditQuery& query, std::string& error);

// A non-negative decimal count ("10"); nullopt if it is anything else.
std::optional<std::uint64_t> parse_count(const std::string& text);

// The pid holding the RocksDB LOCK of the store at `path`, if another
// process holds it (how prune tells "busy" from other open failures).
std::optional<long> store_lock_holder(const std::string& path);

// Prints "dynaudit audit: <message>" to stderr.
void report(const std::string& message);

// For a read that failed half way: says so, and that what was printed is
// incomplete. Returns kAuditDamaged.
int report_read_failure(const std::string& error);

}  // namespace dynaudit::cli
