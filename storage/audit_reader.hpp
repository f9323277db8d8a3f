// AuditReader: the investigator's side of the audit store. Opens a store
// read-only (safe while `dynaudit serve` writes to it) and answers queries
// through the indexes, verifies the hash chain and signed checkpoints, and
// reports statistics. Pruning needs the store to itself (`open_for_prune`).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "storage/audit_event.hpp"
#include "storage/checkpoint.hpp"
#include "storage/audit_store.hpp"
#include "storage/witness_check.hpp"
#include "storage/witness_file.hpp"

namespace dynaudit::storage {

struct AuditQuery {
  std::optional<std::chrono::system_clock::time_point> since;  // inclusive
  std::optional<std::chrono::system_clock::time_point> until;  // exclusive
  std::optional<std::string> principal;   // user_identity.principal_id
  std::optional<std::string> table;
  std::optional<std::string> operation;   // event_name
  std::optional<std::string> decision;    // "allow" | "deny"
  std::optional<std::string> error_code;  // exact short type; "*" = any error
  // Not indexed: checked on the records the other filters select.
  std::optional<std::string> rule;  // matched, determining or shadow rule id
  std::optional<std::string> tag;   // exact tag, or a prefix ending in '*' ("pci-dss:*")
  bool alerted = false;             // only records whose call raised an alert
  std::optional<std::uint64_t> after_sequence;  // for tail -f
  std::size_t limit = 0;                  // 0: no limit
  // Newest first, by (time, sequence) through an index, reading only as
  // many entries as the answer needs: a page of a search over millions of
  // records costs its rows, not the range (the console). `before`: only
  // records older than this (unix ms, sequence) — the last row of the page
  // before. Off: oldest first by sequence, as everything else reads.
  bool newest_first = false;
  std::optional<std::pair<std::int64_t, std::uint64_t>> before;
  // newest_first: stop after reading this many index entries (0: no bound),
  // so that a filter no index serves cannot make one page read the whole
  // range; `cut_short` is then told the (unix ms, sequence) it stopped at.
  std::size_t max_examined = 0;
  std::function<void(std::int64_t, std::uint64_t)> cut_short;
};

// Sees the records while verify parses them, so that a caller reading the
// whole store anyway (a report) does not parse it twice. visit() runs on
// verify's helper threads: `lane` (< the `lanes` given to start()) names
// the thread, and one lane sees its records in increasing sequence. Every
// record that proves itself alone is visited, including ones after a broken
// link: a caller must not use what it gathered when verify fails.
class RecordVisitor {
 public:
  virtual ~RecordVisitor() = default;
  virtual void start(unsigned lanes) = 0;
  virtual void visit(unsigned lane, const AuditEvent& record) = 0;
};

struct VerifyProgress {
  std::uint64_t checked = 0;
  std::uint64_t total = 0;
};

struct VerifyReport {
  bool ok = true;
  std::uint64_t records_checked = 0;
  std::uint64_t checkpoints_checked = 0;
  // The first broken link, if any: which sequence and what is wrong with it
  // ("hash mismatch", "missing record 41", "out of order", "bad checkpoint
  // signature", ...).
  std::optional<std::uint64_t> first_bad_sequence;
  std::string problem;
};

struct PruneReport {
  std::uint64_t removed = 0;
  std::uint64_t first_kept_sequence = 0;
};

class AuditReader {
 public:
  // Read-only open; works while a writer has the store open (a RocksDB
  // secondary instance with a private temporary folder for its own files).
  // One reader is not meant for concurrent calls from several threads.
  // `damaged` (when given) says whether the open failed because the store's
  // files are damaged (rather than missing or busy).
  static std::unique_ptr<AuditReader> open(const std::string& path, std::string& error, bool* damaged = nullptr);
  // Exclusive open for prune and `anomalies learn` (fails if `serve` holds the store).
  static std::unique_ptr<AuditReader> open_for_prune(const std::string& path, std::string& error);
  ~AuditReader();

  // Calls `each` in sequence (= time) order for every matching record until
  // it returns false or `limit` is reached. Picks the most selective index.
  // False, with `error`, when the store could not be read (a RocksDB error,
  // a checksum mismatch, a record that does not parse): the records before
  // it were delivered, and the answer is incomplete.
  bool query(const AuditQuery& q, const std::function<bool(const AuditEvent&)>& each, std::string& error) const;

  // The record whose eventID is `event_id` (the newest, should two share
  // one). Through idx_event; records written before the store had that index
  // are found by reading them all (see docs/audit-log.md). nullopt if there
  // is none, or with `error` set if the store could not be read.
  std::optional<AuditEvent> find_event(std::string_view event_id, std::string* error = nullptr) const;

  // Re-reads the newest state of the store (read-only opens see a snapshot).
  bool refresh(std::string& error);

  // `public_key_file`: PEM Ed25519 public key for the checkpoints; empty skips
  // signature checks but still checks checkpoint hashes against the chain.
  VerifyReport verify(const std::string& public_key_file,
                      const std::function<void(const VerifyProgress&)>& progress = {},
                      RecordVisitor* visitor = nullptr, bool check_indexes = true) const;

  // From the store's files. `records` is last - first + 1 (verify finds
  // gaps); failed_appends and batches are the writer process's counters and
  // read 0 here. healthy is false, with `problem`, when the store could not
  // be read.
  StoreStats stats() const;

  // The first checkpoint filed at or after `sequence`: the one whose chain
  // hash covers that record. nullopt when none does yet (or on a read error,
  // in `error`).
  std::optional<Checkpoint> checkpoint_covering(std::uint64_t sequence, std::string& error) const;
  // Every checkpoint filed at or after chain head `sequence` whose number is
  // above `after_number`, in filing order, until `each` returns false (the
  // fleet shipper sends them on after the records they cover).
  bool checkpoints_from(std::uint64_t sequence, std::uint64_t after_number,
                        const std::function<bool(const Checkpoint&)>& each, std::string& error) const;

  // How many records of each decision ("allow", "deny") fall in each hour
  // of [since, until), from the outcome index's keys alone (no record is
  // read): `hours` gets one slot per hour from `since`. At most `max_entries`
  // keys a decision are read; `capped` says when that stopped the count.
  bool count_by_hour(std::string_view decision, std::chrono::system_clock::time_point since,
                     std::chrono::system_clock::time_point until, std::size_t max_entries,
                     std::vector<std::uint64_t>& hours, bool& capped, std::string& error) const;

  // The store's id, anchor and head, as a witness is compared with.
  bool head(StoreHead& out, std::string& error) const;

  // Compares the store with every entry of the witness file (see
  // witness_check.hpp); with a public key, the witnessed signatures too.
  // False, with `error`, when the witness or the store cannot be read.
  bool compare_witness(const std::string& witness_file, const std::string& public_key_file, WitnessReport& report,
                       std::vector<WitnessReadIssue>& issues, std::string& error) const;

  // Removes records (and their index entries) older than `before`, keeping
  // the chain verifiable from the first kept record (its previous hash is
  // kept as the new anchor).
  PruneReport prune_before(std::chrono::system_clock::time_point before, std::string& error);

  // State derived from the chain (side_state.hpp). Writing needs the store
  // to itself (open_for_prune), as `dynaudit anomalies learn` has it.
  bool read_side_state(SideState kind, const SideVisitor& visit, std::string& error) const;
  bool write_side_state(SideState kind, const SideEntries& entries, std::string& error);

 private:
  struct Impl;
  explicit AuditReader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace dynaudit::storage
