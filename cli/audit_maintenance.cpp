// The audit subcommands that judge or change the store: verify (hash chain
// and signed checkpoints; exit 1 on damage), prune (needs the store to
// itself; exit 3 when `serve` holds it) and keygen (checkpoint keys and
// seal keys).
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>

#include "cli/audit_keygen.hpp"
#include "cli/audit_subcommands.hpp"
#include "cli/fleet_command.hpp"
#include "cli/audit_time.hpp"
#include "storage/checkpoint_signing.hpp"
#include "storage/time_format.hpp"
#include "storage/unrecorded_calls.hpp"
#include "storage/value_seal.hpp"

namespace dynaudit::cli {
namespace {

// Progress on stderr for long runs only: silent for the first two seconds,
// then at most once a second. On a terminal it rewrites one line.
class ProgressPrinter {
 public:
  explicit ProgressPrinter(bool quiet) : quiet_(quiet), tty_(::isatty(STDERR_FILENO) == 1) {}

  void operator()(const storage::VerifyProgress& p) {
    if (quiet_) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - start_ < std::chrono::seconds(2) || now - last_ < std::chrono::seconds(1)) return;
    last_ = now;
    printed_ = true;
    const double pct = p.total ? 100.0 * static_cast<double>(p.checked) / static_cast<double>(p.total) : 0.0;
    std::fprintf(stderr, "%sverify: %llu / %llu records (%.0f%%)%s", tty_ ? "\r" : "",
                 static_cast<unsigned long long>(p.checked), static_cast<unsigned long long>(p.total), pct,
                 tty_ ? "" : "\n");
    std::fflush(stderr);
  }

  void done() {
    if (printed_ && tty_) std::fputc('\n', stderr);
  }

 private:
  bool quiet_;
  bool tty_;
  bool printed_ = false;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace

namespace {

std::string short_hash(const std::string& hash) { return hash.size() > 16 ? hash.substr(0, 16) + "…" : hash; }

// What the witness says about the store, one line per finding; true when
// it found damage (a mismatch, or a loss accepted earlier).
bool print_witness_report(const std::string& witness_file, const storage::WitnessReport& report,
                          const std::vector<storage::WitnessReadIssue>& issues) {
  for (const auto& issue : issues) {
    std::cout << "note: witness line " << issue.line << " skipped: " << issue.problem << "\n";
  }
  for (const auto& a : report.acceptances) {
    std::cout << "DAMAGED: records were lost and the loss accepted: at " << storage::cloudtrail_time(a.time_ms)
              << " `serve --accept-witness-mismatch` started on store " << a.store_id << " at sequence "
              << a.store_last_sequence << ", though the witness vouched for checkpoint #" << a.witnessed_checkpoint
              << " at sequence " << a.witnessed_sequence << " (hash " << short_hash(a.witnessed_hash) << ") of store "
              << a.witnessed_store_id << "; the acceptance is record sequence " << a.record_sequence << "\n";
  }
  if (report.mismatch) std::cout << "DAMAGED: " << *report.mismatch << "\n";
  if (!report.mismatch) {
    std::cout << "witness " << witness_file << ": " << report.entries << " entries";
    if (report.newest) {
      std::cout << "; the store holds every witnessed checkpoint since "
                << (report.acceptances.empty() ? "the first" : "the last acceptance") << " (newest: "
                << storage::describe(*report.newest) << ")";
    } else {
      std::cout << "; none vouches for this store yet";
    }
    if (report.pruned) std::cout << "; " << report.pruned << " name records pruned since";
    std::cout << "\n";
  }
  if (report.unsigned_checkpoints) {
    std::cout << "note: " << report.unsigned_checkpoints
              << " witnessed checkpoints are not signed (no audit.checkpoint_key_file)\n";
  }
  return report.mismatch.has_value() || !report.acceptances.empty();
}

// The store is gone: damage if the witness vouched for anything.
int verify_missing_store(const std::string& path, const std::string& witness_file,
                         const std::string& public_key_file) {
  if (witness_file.empty()) {
    report("no audit store at " + path);
    return kAuditUsage;
  }
  storage::PkeyPtr public_key;
  std::string error;
  if (!public_key_file.empty() && !(public_key = storage::load_public_key_file(public_key_file, error))) {
    report(error);
    return kAuditUsage;
  }
  storage::StoreHead missing;
  missing.exists = false;
  storage::WitnessComparison comparison(
      missing, [](std::uint64_t, std::optional<std::string>&, std::string&) { return true; }, public_key.get());
  std::vector<storage::WitnessReadIssue> issues;
  if (!storage::read_witness(witness_file, [&](const storage::WitnessEntry& e) { comparison.add(e); }, issues,
                             error)) {
    report(error);
    return kAuditUsage;
  }
  const auto result = comparison.finish();
  if (result.entries == 0) {
    report("no audit store at " + path + " (and its witness " + witness_file + " vouches for none)");
    return kAuditUsage;
  }
  std::cout << "DAMAGED: no audit store at " << path << "\n";
  print_witness_report(witness_file, result, issues);
  return kAuditDamaged;
}

}  // namespace

int run_verify(const VerifyArgs& args) {
  if (args.fleet) return run_fleet_verify(args.store.config, args.fleet_public_keys);
  std::string error;
  if (!args.public_key.empty() && !check_public_key_file(args.public_key, error)) {
    report(error);
    return kAuditUsage;
  }
  std::string path, witness_file;
  if (!resolve_store_path(args.store, path, error, &witness_file)) {
    report(error);
    return kAuditUsage;
  }
  if (!args.witness.empty()) witness_file = args.witness;
  if (!std::filesystem::exists(std::filesystem::path(path) / "CURRENT")) {
    return verify_missing_store(path, witness_file, args.public_key);
  }
  int open_failure = kAuditUsage;
  auto reader = open_reader(args.store, nullptr, &open_failure);
  if (!reader) {
    if (open_failure == kAuditDamaged) std::cout << "DAMAGED: the store's files cannot be read (see the error above)\n";
    return open_failure;
  }
  const auto stats = reader->stats();
  ProgressPrinter progress(args.quiet);
  const auto result = reader->verify(args.public_key, [&](const storage::VerifyProgress& p) { progress(p); });
  progress.done();
  bool damaged = !result.ok;
  if (!result.ok) {
    std::cout << "DAMAGED: ";
    if (result.first_bad_sequence) std::cout << "first broken link at sequence " << *result.first_bad_sequence << ": ";
    std::cout << (result.problem.empty() ? "unspecified problem" : result.problem) << "\n"
              << "records checked before it: " << result.records_checked
              << ", checkpoints checked: " << result.checkpoints_checked << "\n";
  } else {
    std::cout << "OK: " << result.records_checked << " records";
    if (stats.records) std::cout << " (sequence " << stats.first_sequence << ".." << stats.last_sequence << ")";
    std::cout << ", " << result.checkpoints_checked << " checkpoints; the hash chain and the indexes are intact\n";
    if (args.public_key.empty() && result.checkpoints_checked > 0) {
      std::cout << "note: checkpoint signatures were not checked (no --public-key); their hashes were\n";
    }
  }

  // Calls a serve answered without a record (the store could not write)
  // and that are not in the chain yet: the next serve start records them.
  std::string gap_error;
  const auto gap = storage::read_unrecorded_file(unrecorded_file_for(args.store, path, witness_file), gap_error);
  if (!gap) {
    std::cout << "note: " << gap_error << "\n";
  } else if (gap->count > 0) {
    std::cout << "not in the chain: " << gap->count << " calls were answered without a record while the store could "
              << "not write (" << storage::cloudtrail_time(gap->first_ms) << " to "
              << storage::cloudtrail_time(gap->last_ms) << "); the next `dynaudit serve` start records them as "
              << "AuditStoreRecovered\n";
  }

  // The fleet table is a witness too (docs/fleet.md): what it holds of
  // this proxy's chain must still be in the store.
  if (!args.store.config.empty() && compare_with_fleet(args.store.config, *reader) == 1) damaged = true;

  if (witness_file.empty()) {
    std::cout << "not yet provable: all " << stats.records
              << " records (no witness: a store cut short or rolled back to an older copy looks intact without "
                 "one; give --witness FILE, or --config with audit.witness)\n";
    return damaged ? kAuditDamaged : kAuditOk;
  }
  storage::WitnessReport witness;
  std::vector<storage::WitnessReadIssue> issues;
  if (!reader->compare_witness(witness_file, args.public_key, witness, issues, error)) {
    report("cannot compare with the witness: " + error);
    return damaged ? kAuditDamaged : kAuditUsage;
  }
  if (!witness.error.empty()) {
    report("the audit store could not be read: " + witness.error);
    return kAuditDamaged;
  }
  damaged = print_witness_report(witness_file, witness, issues) || damaged;
  std::cout << "not yet provable: " << witness.not_yet_provable << " records follow the last witnessed checkpoint";
  if (witness.newest) std::cout << " (sequence " << witness.newest->sequence() << ")";
  std::cout << "\n";
  return damaged ? kAuditDamaged : kAuditOk;
}

int run_prune(const PruneArgs& args) {
  std::string path, error;
  if (!resolve_store_path(args.store, path, error)) {
    report(error);
    return kAuditUsage;
  }
  if (args.before.empty()) {
    report("prune needs --before TIME (RFC 3339, or an age such as 90d)");
    return kAuditUsage;
  }
  auto before = parse_time_arg(args.before, std::chrono::system_clock::now(), error);
  if (!before) {
    report(error);
    return kAuditUsage;
  }
  const std::string when = format_utc(*before);

  if (args.dry_run) {
    int open_failure = kAuditUsage;
    auto reader = open_reader(args.store, nullptr, &open_failure);
    if (!reader) return open_failure;
    storage::AuditQuery q;
    q.until = *before;
    std::uint64_t n = 0, first = 0, last = 0;
    const bool read = reader->query(
        q,
        [&](const storage::AuditEvent& e) {
          if (n++ == 0) first = e.sequence;
          last = e.sequence;
          return true;
        },
        error);
    if (!read) return report_read_failure(error);
    std::cout << "dry run: would remove " << n << " records from before " << when;
    if (n) std::cout << " (sequence " << first << ".." << last << ")";
    std::cout << "\n";
    return kAuditOk;
  }

  const auto busy_message = [&](long pid) {
    report("the audit store at " + path + " is in use by process " + std::to_string(pid) +
           " (a running `dynaudit serve`?). prune needs the store to itself: stop serve, prune, start it "
           "again. Reading commands (query, verify, export) work while serve runs.");
  };
  if (auto holder = store_lock_holder(path)) {
    busy_message(*holder);
    return kAuditBusy;
  }
  auto reader = storage::AuditReader::open_for_prune(path, error);
  if (!reader) {
    // It may have been taken between the probe and the open.
    if (auto holder = store_lock_holder(path)) {
      busy_message(*holder);
      return kAuditBusy;
    }
    report("cannot open the audit store at " + path + " for pruning: " + error);
    return kAuditUsage;
  }
  error.clear();
  const auto result = reader->prune_before(*before, error);
  if (!error.empty()) {
    report("prune failed: " + error);
    return kAuditDamaged;
  }
  std::cout << "removed " << result.removed << " records from before " << when;
  if (result.first_kept_sequence) std::cout << "; the chain now starts at sequence " << result.first_kept_sequence;
  std::cout << "\n";
  return kAuditOk;
}

int run_keygen(const KeygenArgs& args) {
  const bool checkpoint_keys = !args.private_key.empty() || !args.public_key.empty();
  if ((checkpoint_keys && (args.private_key.empty() || args.public_key.empty())) ||
      (!checkpoint_keys && args.seal_key.empty())) {
    report("keygen needs --private-key FILE and --public-key FILE, or --seal-key FILE (or all three)");
    return kAuditUsage;
  }
  if (!args.seal_key.empty() && (args.seal_key == args.private_key || args.seal_key == args.public_key)) {
    report("the seal key file must differ from the checkpoint key files");
    return kAuditUsage;
  }
  std::string error;
  // The seal key first: it is the one that is never replaced, so a run that
  // stops on an existing seal key has written nothing.
  std::optional<storage::SealKey> seal_key;
  if (!args.seal_key.empty()) {
    seal_key = storage::generate_seal_key(error);
    if (!seal_key || !storage::write_seal_key_file(args.seal_key, *seal_key, error)) {
      report(error);
      return kAuditUsage;
    }
  }
  if (checkpoint_keys && !generate_checkpoint_keys(args.private_key, args.public_key, args.force, error)) {
    // Nothing can have been sealed with the new key yet: all or nothing.
    if (seal_key) ::unlink(args.seal_key.c_str());
    report(error);
    return kAuditUsage;
  }
  if (checkpoint_keys) {
    std::cout << "wrote " << args.private_key << " (Ed25519 private key, mode 0600: point audit.checkpoint_key_file at it)\n"
              << "wrote " << args.public_key << " (public key: give it to `dynaudit audit verify --public-key`)\n";
  }
  if (seal_key) {
    std::cout << "wrote " << args.seal_key
              << " (AES-256 seal key, mode 0600: the proxy seals with it, `audit show --reveal --key-file` opens)\n"
              << "seal key id " << seal_key->id << "\n";
  }
  return kAuditOk;
}

}  // namespace dynaudit::cli
