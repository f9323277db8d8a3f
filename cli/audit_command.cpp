// CLI11 wiring of `dynaudit audit …`. Options are read as strings and
// checked by the subcommand bodies, and unknown arguments are collected
// rather than thrown, so that every usage error exits 2 with one clear line.
#include "cli/audit_command.hpp"

#include <sys/stat.h>

#include <memory>

#include "cli/audit_subcommands.hpp"
#include "cli/store_subcommand.hpp"
#include "proxy/net/fd_limit.hpp"

namespace dynaudit::cli {
namespace {

void add_filter_options(CLI::App* cmd, FilterArgs& f) {
  cmd->add_option("--since", f.since, "From this time on (RFC 3339, or an age: 15m, 2h, 1d = that long ago)");
  cmd->add_option("--until", f.until, "Before this time (same forms as --since)");
  cmd->add_option("--principal", f.principal, "Only this principal (userIdentity.principalId)");
  cmd->add_option("--table", f.table, "Only calls on this table");
  cmd->add_option("--operation", f.operation, "Only this operation (eventName), e.g. PutItem");
  cmd->add_option("--decision", f.decision, "Only allow or deny");
  cmd->add_option("--error", f.error, "Only calls that failed with this error type, or 'any'");
  cmd->add_option("--rule", f.rule, "Only calls this rule matched (enforced, determining or shadow)");
  cmd->add_option("--tag", f.tag, "Only calls with this compliance tag, or a prefix ending in * (pci-dss:*)");
}

// Files these commands make (exports, a pruned store's new files) hold
// records: private whatever the umask. keygen sets its own modes (its
// public key is meant to be shared).
template <typename Args>
void bind(CLI::App* cmd, std::shared_ptr<Args> args, int (*body)(const Args&), int& exit_code) {
  bind_store_subcommand(cmd, args, body, exit_code, report, "audit",
                        [](const CLI::App& c) { return c.get_name() != "keygen"; });
}

}  // namespace

void add_audit_command(CLI::App& app, int& exit_code) {
  auto* audit = app.add_subcommand("audit", "Read, verify, export and prune the audit log");
  audit->require_subcommand(1);

  {
    auto args = std::make_shared<TailArgs>();
    auto* cmd = audit->add_subcommand("tail", "Show the newest records; -f keeps following the live store");
    add_store_options(cmd, args->store);
    add_filter_options(cmd, args->filter);
    cmd->add_option("-n,--lines", args->count, "How many of the newest records to show first (default 10)");
    cmd->add_flag("-f,--follow", args->follow, "Keep printing new records until interrupted");
    cmd->add_option("--format", args->format, "table (default), jsonl or cloudtrail");
    cmd->add_option("--interval", args->interval, "How often -f looks for new records (default 250ms)");
    bind(cmd, args, &run_tail, exit_code);
  }
  {
    auto args = std::make_shared<QueryArgs>();
    auto* cmd = audit->add_subcommand("query", "Find records by time, principal, table, operation, decision, error");
    add_store_options(cmd, args->store);
    add_filter_options(cmd, args->filter);
    cmd->add_option("--limit", args->filter.limit, "At most this many records (default: all)");
    cmd->add_option("--format", args->format,
                    "table (default), jsonl (one CloudTrail record per line) or cloudtrail ({\"Records\":[...]})");
    cmd->add_flag("--fleet", args->fleet, "Search every proxy's records in the fleet table of --config");
    bind(cmd, args, &run_query, exit_code);
  }
  {
    auto args = std::make_shared<VerifyArgs>();
    auto* cmd = audit->add_subcommand(
        "verify",
        "Check the hash chain, the checkpoints, the indexes and the witness; exit 0 intact, 1 damaged, 2 cannot check");
    add_store_options(cmd, args->store);
    cmd->add_option("--public-key", args->public_key, "Ed25519 public key (PEM) the checkpoints are signed for");
    cmd->add_option("--witness", args->witness,
                    "Witness file to compare the store with (default with --config: its audit.witness.file)");
    cmd->add_flag("-q,--quiet", args->quiet, "No progress on stderr");
    cmd->add_flag("--fleet", args->fleet, "Check every proxy's chain in the fleet table of --config");
    cmd->add_option("--fleet-public-key", args->fleet_public_keys,
                    "With --fleet: a proxy's checkpoint public key (PEM); repeat for each key");
    bind(cmd, args, &run_verify, exit_code);
  }
  {
    auto args = std::make_shared<ExportArgs>();
    auto* cmd = audit->add_subcommand(
        "export", "Write CloudTrail files, one per UTC hour: DIR/YYYY/MM/DD/dynaudit_YYYYMMDDTHH00Z.json");
    add_store_options(cmd, args->store);
    add_filter_options(cmd, args->filter);
    cmd->add_option("--out", args->out_dir, "Folder to write into (created if missing)");
    cmd->add_option("--format", args->format, "cloudtrail (default, .json) or jsonl (.jsonl)");
    bind(cmd, args, &run_export, exit_code);
  }
  {
    auto args = std::make_shared<PruneArgs>();
    auto* cmd = audit->add_subcommand(
        "prune", "Remove records older than a time; the chain stays verifiable (needs serve stopped)");
    add_store_options(cmd, args->store);
    cmd->add_option("--before", args->before, "Remove records from before this time (RFC 3339, or an age: 90d)");
    cmd->add_flag("--dry-run", args->dry_run, "Only count what would be removed (works while serve runs)");
    bind(cmd, args, &run_prune, exit_code);
  }
  {
    auto args = std::make_shared<StatsArgs>();
    auto* cmd = audit->add_subcommand("stats", "Record count, sequence range, checkpoints, health, size");
    add_store_options(cmd, args->store);
    cmd->add_flag("--json", args->json, "One JSON object instead of text");
    bind(cmd, args, &run_stats, exit_code);
  }
  {
    auto args = std::make_shared<ShowArgs>();
    auto* cmd = audit->add_subcommand(
        "show", "Print one record by its eventID; --reveal opens its sealed clear values with the seal key");
    cmd->add_option("event_id", args->event_id, "The record's eventID");
    add_store_options(cmd, args->store);
    cmd->add_flag("--reveal", args->reveal, "Also print the sealed clear values (needs --key-file or --key-env)");
    cmd->add_option("--key-file", args->key_file, "Seal key file (64 hex digits, base64 of 32 bytes, or 32 raw bytes)");
    cmd->add_option("--key-env", args->key_env, "Environment variable holding the seal key (hex or base64)");
    cmd->add_option("--format", args->format, "pretty (default, indented JSON) or json (one line)");
    bind(cmd, args, &run_show, exit_code);
  }
  {
    auto args = std::make_shared<KeygenArgs>();
    auto* cmd = audit->add_subcommand(
        "keygen", "Make an Ed25519 key pair for signed checkpoints, and/or a seal key for sealed clear values");
    cmd->add_option("--private-key", args->private_key, "Private key file to write (PEM, mode 0600)");
    cmd->add_option("--public-key", args->public_key, "Public key file to write (PEM)");
    cmd->add_option("--seal-key", args->seal_key, "Seal key file to write (AES-256, 64 hex digits, mode 0600; never replaced)");
    cmd->add_flag("--force", args->force, "Replace existing checkpoint key files (never a seal key)");
    bind(cmd, args, &run_keygen, exit_code);
  }
}

}  // namespace dynaudit::cli
