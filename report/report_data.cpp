// Gathering a report's data from the store (report_data.hpp).
#include "report/report_data.hpp"


#include <set>

#include "report/controls.hpp"
#include "report/period_tally.hpp"
#include "storage/time_format.hpp"

namespace dynaudit::report {
namespace {

RuleChangeRef rule_change_ref(const storage::AuditEvent& e, storage::RulesChange change) {
  return RuleChangeRef{e.event_id, storage::cloudtrail_time(storage::unix_ms(e.event_time)), std::move(change)};
}

// The rule set in force when the period begins: the last load applied
// before it, found through the operation index (a few records a day).
bool rules_before(const storage::AuditReader& reader, SysTime since, std::optional<RuleChangeRef>& out,
                  std::string& error) {
  storage::AuditQuery q;
  q.operation = std::string(storage::kRulesLoadEventName);
  q.until = since;
  return reader.query(
      q,
      [&](const storage::AuditEvent& e) {
        if (auto change = storage::rules_change_of_record(e); change && change->applied)
          out = rule_change_ref(e, std::move(*change));
        return true;
      },
      error);
}

// Tallies the period's records while `audit verify` parses the whole store:
// one tally per verify thread, so the report reads and parses every record
// once (the time index's bounds, applied to each record's time).
class PeriodVisitor : public storage::RecordVisitor {
 public:
  PeriodVisitor(SysTime since, SysTime until, const std::set<std::string>* sensitive_tables)
      : since_ms_(storage::ceil_unix_ms(since)), until_ms_(storage::ceil_unix_ms(until)),
        sensitive_tables_(sensitive_tables) {}
  void start(unsigned lanes) override { tallies_.assign(lanes, PeriodTally(sensitive_tables_)); }
  void visit(unsigned lane, const storage::AuditEvent& record) override {
    const std::int64_t ms = storage::unix_ms(record.event_time);
    if (ms >= since_ms_ && ms < until_ms_) tallies_[lane].add(record);
  }
  std::vector<PeriodTally>& tallies() { return tallies_; }

 private:
  std::int64_t since_ms_, until_ms_;
  const std::set<std::string>* sensitive_tables_;
  std::vector<PeriodTally> tallies_;
};

void take_evidence(const storage::VerifyReport& verified, ReportData& out) {
  out.chain_verified = verified.ok;
  out.chain_records_checked = verified.records_checked;
  out.checkpoints_checked = verified.checkpoints_checked;
  out.chain_problem = verified.problem;
}

// What the store holds against its witness (audit.witness.file).
void compare_witness(const storage::AuditReader& reader, const ReportOptions& options, ReportData& out) {
  if (options.witness_file.empty()) return;
  out.witness_configured = true;
  storage::WitnessReport witnessed;
  std::vector<storage::WitnessReadIssue> issues;
  std::string error;
  if (!reader.compare_witness(options.witness_file, options.public_key_file, witnessed, issues, error) && error.empty())
    error = "the witness could not be compared";
  out.witness_ok = error.empty() && witnessed.ok();
  out.witness_entries_checked = witnessed.checked;
  out.not_yet_provable = witnessed.not_yet_provable;
  out.witness_acceptances = witnessed.acceptances.size();
  out.witness_problem = !error.empty() ? error : witnessed.mismatch ? *witnessed.mismatch : witnessed.error;
}

}  // namespace

bool gather_report(const storage::AuditReader& reader, const ReportOptions& options, ReportData& out,
                   std::string& error) {
  out.framework = options.framework;
  out.since = options.since;
  out.until = options.until;
  out.store = options.store;
  out.generated_at = storage::cloudtrail_time(storage::unix_ms(std::chrono::system_clock::now()));

  if (!reader.read_side_state(
          storage::SideState::inventory,
          [&](std::string_view, std::string_view state) {
            discovery::InventoryEntry e;
            if (discovery::decode_entry(state, e)) out.inventory.push_back(std::move(e));
          },
          error))
    return false;
  std::set<std::string> sensitive_tables;
  for (const auto& e : out.inventory) sensitive_tables.insert(e.table);
  if (!rules_before(reader, options.since, out.rules_at_start, error)) return false;

  // One read of the store: verification parses every record, and the
  // period's are tallied as it goes. The chain and its checkpoints are the
  // evidence; the indexes are not (the report reads records, not indexes),
  // so their check is left to `audit verify`.
  PeriodVisitor visitor(options.since, options.until, &sensitive_tables);
  take_evidence(reader.verify(options.public_key_file, {}, &visitor, /*check_indexes=*/false), out);
  compare_witness(reader, options, out);
  if (out.chain_verified) {
    PeriodTally::merge(visitor.tallies(), out);
  } else {
    // A broken chain: the walk stopped early, so the period is read again
    // through the time index — a report of a damaged store still says what
    // it holds.
    std::vector<PeriodTally> one(1, PeriodTally(&sensitive_tables));
    storage::AuditQuery q;
    q.since = options.since;
    q.until = options.until;
    const bool read = reader.query(
        q,
        [&](const storage::AuditEvent& e) {
          one.front().add(e);
          return true;
        },
        error);
    if (!read) return false;
    PeriodTally::merge(one, out);
  }
  out.controls = judge_controls(out);
  return true;
}

}  // namespace dynaudit::report
