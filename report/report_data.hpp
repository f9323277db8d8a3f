// ReportData: what a compliance report says about a period of the audit log
// (docs/compliance.md): the period's records tallied while the chain is
// verified (one read of the store; period_tally.hpp), plus the witness and
// the discovery inventory. Renderers (render.hpp) turn it into HTML or JSON; controls.hpp
// judges each framework control from it.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "discovery/inventory.hpp"
#include "storage/audit_reader.hpp"
#include "storage/rules_change_record.hpp"

namespace dynaudit::report {

using SysTime = std::chrono::system_clock::time_point;

struct DayCount {
  std::string day;  // YYYY-MM-DD (UTC)
  std::uint64_t allow = 0, deny = 0, error = 0;
};

// One call the report names: enough to find it (`dynaudit audit show ID`).
struct CallRef {
  std::string event_id;
  std::string time;
  std::string principal;
  std::string operation;
  std::string table;
  std::string detail;  // the error, the rule, the items, the anomaly
};

struct SensitiveAccess {
  std::string principal, table;
  std::uint64_t masked = 0, clear = 0;  // reads of a table holding sensitive data: masked for the caller or not
};

// A load or reload of the rule files, as the chain records it.
struct RuleChangeRef {
  std::string event_id;
  std::string time;
  storage::RulesChange change;
};

struct ControlRow {
  std::string framework;  // "PCI DSS 4.0", "HIPAA", "GDPR", "SOX"
  std::string id;         // "10.2.1", "164.312(b)", "Art. 30", "ITGC logical access"
  std::string title;
  std::string status;     // "met" | "gap" | "not applicable"
  std::vector<std::string> evidence;  // sentences, each naming what the log holds
  std::vector<std::string> event_ids;  // records that show it
};

struct ReportData {
  std::string framework;  // pci-dss | hipaa | gdpr | sox | all
  SysTime since{}, until{};
  std::string generated_at;
  std::string store;
  // Completeness and integrity.
  std::uint64_t records = 0;      // in the period
  std::uint64_t calls = 0;        // of them, calls (not the store's own notes)
  bool chain_verified = false;
  std::uint64_t chain_records_checked = 0, checkpoints_checked = 0;
  std::string chain_problem;
  // The witness (audit.witness.file): what it vouches for must be in the store.
  bool witness_configured = false;
  bool witness_ok = false;
  std::uint64_t witness_entries_checked = 0;
  std::uint64_t not_yet_provable = 0;  // records after the newest witnessed checkpoint
  std::uint64_t witness_acceptances = 0;  // losses accepted with --accept-witness-mismatch
  std::string witness_problem;
  std::uint64_t unrecorded_calls = 0;  // fail-open gaps the chain admits (AuditStoreRecovered)
  std::vector<CallRef> recoveries;
  // Activity.
  std::vector<DayCount> by_day;
  std::vector<std::pair<std::string, std::uint64_t>> top_principals, top_tables;
  std::map<std::string, std::uint64_t> tags;
  std::uint64_t denied_total = 0, alerted_total = 0, privileged_total = 0, bulk_total = 0, anomalies_total = 0;
  std::vector<CallRef> denied, alerted, privileged, bulk, anomalies;  // the first of each (kListed)
  std::vector<std::string> rules_seen;  // rules that matched a call in the period
  // The rule set in force when the period began (the last load applied
  // before it) and every load and reload in the period (the first kListed).
  std::optional<RuleChangeRef> rules_at_start;
  std::vector<RuleChangeRef> rule_changes;
  std::uint64_t rule_changes_total = 0, rule_changes_refused = 0;
  // Sensitive data.
  std::uint64_t masked_replies = 0;  // replies a mask rule rewrote
  std::vector<CallRef> masked;       // the first of them
  std::vector<SensitiveAccess> sensitive;
  std::vector<DayCount> sensitive_by_day;  // allow = masked reads, deny = clear reads
  std::vector<discovery::InventoryEntry> inventory;
  std::vector<ControlRow> controls;
};

inline constexpr std::size_t kListed = 25;   // calls listed per section
inline constexpr std::uint64_t kBulkItems = 1'000;  // a read returning this many items is bulk

struct ReportOptions {
  std::string framework = "all";
  SysTime since{}, until{};
  std::string store;
  std::string public_key_file;  // checkpoints' signatures, when given
  std::string witness_file;     // the store's witness, when it has one
};

// False (with `error`) when the store cannot be read; the report would be
// incomplete and is not made.
bool gather_report(const storage::AuditReader& reader, const ReportOptions& options, ReportData& out,
                   std::string& error);

}  // namespace dynaudit::report
