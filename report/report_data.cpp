// Gathering a report's data from the store (report_data.hpp).
#include "report/report_data.hpp"

#include <simdjson.h>

#include <algorithm>
#include <future>
#include <set>

#include "analytics/anomaly_record.hpp"
#include "report/controls.hpp"
#include "storage/time_format.hpp"

namespace dynaudit::report {
namespace {

std::string day_of(SysTime t) { return storage::cloudtrail_time(storage::unix_ms(t)).substr(0, 10); }

bool is_call(const storage::AuditEvent& e) {
  return e.phase == storage::RecordPhase::outcome &&
         (e.outcome == "forwarded" || e.outcome == "rejected" || e.outcome == "upstream_error" ||
          e.outcome == "denied" || e.outcome == "withheld" || e.outcome == "unknown");
}

CallRef ref_of(const storage::AuditEvent& e, std::string detail) {
  CallRef r;
  r.event_id = e.event_id;
  r.time = storage::cloudtrail_time(storage::unix_ms(e.event_time));
  r.principal = e.user_identity.principal_id.empty() ? e.user_identity.access_key_id : e.user_identity.principal_id;
  r.operation = e.event_name;
  r.table = e.tables.empty() ? "" : e.tables.front();
  r.detail = std::move(detail);
  return r;
}

void keep(std::vector<CallRef>& list, std::uint64_t& total, CallRef ref) {
  ++total;
  if (list.size() < kListed) list.push_back(std::move(ref));
}

std::vector<std::pair<std::string, std::uint64_t>> top(const std::map<std::string, std::uint64_t>& counts,
                                                       std::size_t n) {
  std::vector<std::pair<std::string, std::uint64_t>> v(counts.begin(), counts.end());
  std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  if (v.size() > n) v.resize(n);
  return v;
}

// An AuditStoreRecovered record's count of calls answered without a record.
std::uint64_t unrecorded_of(const std::string& parameters) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  std::uint64_t count = 0;
  if (parser.parse(parameters).get(root) || root["unrecordedCalls"].get(count)) return 0;
  return count;
}

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

// The chain and its witness, checked on one reader.
struct Evidence {
  storage::VerifyReport verified;
  bool witness = false;
  storage::WitnessReport witnessed;
  std::string witness_error;
};

Evidence check_chain(const storage::AuditReader& reader, const ReportOptions& options) {
  Evidence e;
  e.verified = reader.verify(options.public_key_file);
  if (!options.witness_file.empty()) {
    e.witness = true;
    std::vector<storage::WitnessReadIssue> issues;
    if (!reader.compare_witness(options.witness_file, options.public_key_file, e.witnessed, issues, e.witness_error) &&
        e.witness_error.empty())
      e.witness_error = "the witness could not be compared";
  }
  return e;
}

void take_evidence(const Evidence& e, ReportData& out) {
  out.chain_verified = e.verified.ok;
  out.chain_records_checked = e.verified.records_checked;
  out.checkpoints_checked = e.verified.checkpoints_checked;
  out.chain_problem = e.verified.problem;
  out.witness_configured = e.witness;
  if (!e.witness) return;
  out.witness_ok = e.witness_error.empty() && e.witnessed.ok();
  out.witness_entries_checked = e.witnessed.checked;
  out.not_yet_provable = e.witnessed.not_yet_provable;
  out.witness_acceptances = e.witnessed.acceptances.size();
  out.witness_problem = !e.witness_error.empty() ? e.witness_error
                        : e.witnessed.mismatch ? *e.witnessed.mismatch
                                               : e.witnessed.error;
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

  // Verifying the whole chain is the longer half of a report: beside the
  // period's pass when there is a second reader.
  std::future<Evidence> verifying;
  if (options.verify_reader)
    verifying = std::async(std::launch::async, [&options] { return check_chain(*options.verify_reader, options); });
  if (!options.verify_reader) take_evidence(check_chain(reader, options), out);

  if (!rules_before(reader, options.since, out.rules_at_start, error)) {
    if (verifying.valid()) verifying.wait();
    return false;
  }
  std::map<std::string, DayCount> days, sensitive_days;
  std::map<std::string, std::uint64_t> principals, tables;
  std::map<std::pair<std::string, std::string>, SensitiveAccess> sensitive;
  std::set<std::string> rules;
  storage::AuditQuery q;
  q.since = options.since;
  q.until = options.until;
  const bool read = reader.query(
      q,
      [&](const storage::AuditEvent& e) {
        ++out.records;
        if (e.event_name == "AuditStoreRecovered") {
          out.unrecorded_calls += unrecorded_of(e.request_parameters_json);
          if (out.recoveries.size() < kListed) out.recoveries.push_back(ref_of(e, "calls answered without a record"));
          return true;
        }
        if (auto change = storage::rules_change_of_record(e)) {
          ++out.rule_changes_total;
          if (!change->applied) ++out.rule_changes_refused;
          if (out.rule_changes.size() < kListed) out.rule_changes.push_back(rule_change_ref(e, std::move(*change)));
          return true;
        }
        if (auto a = analytics::anomaly_of_record(e)) {
          CallRef r = ref_of(e, a->feature + " (" + std::string(analytics::to_string(a->severity)) + "): " + a->explanation);
          r.principal = a->principal;
          keep(out.anomalies, out.anomalies_total, std::move(r));
          return true;
        }
        if (!is_call(e)) return true;
        ++out.calls;
        const std::string day = day_of(e.event_time);
        auto& d = days[day];
        d.day = day;
        const bool denied = e.decision == "deny";
        if (denied) ++d.deny;
        else if (!e.error_code.empty()) ++d.error;
        else ++d.allow;
        const std::string principal =
            e.user_identity.principal_id.empty() ? e.user_identity.access_key_id : e.user_identity.principal_id;
        ++principals[principal.empty() ? "(unauthenticated)" : principal];
        for (const auto& t : e.tables) ++tables[t];
        for (const auto& t : e.tags) ++out.tags[t];
        for (const auto& r : e.matched_rules) rules.insert(r);
        if (!e.determining_rule.empty()) rules.insert(e.determining_rule);
        if (denied)
          keep(out.denied, out.denied_total,
               ref_of(e, e.error_code + (e.determining_rule.empty() ? "" : " (rule " + e.determining_rule + ")")));
        if (!e.alerted_rules.empty()) keep(out.alerted, out.alerted_total, ref_of(e, "alerted by " + e.alerted_rules.front()));
        if (e.management_event && !e.read_only)
          keep(out.privileged, out.privileged_total, ref_of(e, denied ? "denied" : e.error_code.empty() ? "done" : e.error_code));
        if (e.response_items >= kBulkItems)
          keep(out.bulk, out.bulk_total, ref_of(e, std::to_string(e.response_items) + " items"));
        if (!e.masked_rules.empty()) keep(out.masked, out.masked_replies, ref_of(e, "masked by " + e.masked_rules.front()));
        if (!denied && e.read_only && !e.management_event && e.error_code.empty()) {
          for (const auto& t : e.tables) {
            if (!sensitive_tables.count(t)) continue;
            auto& s = sensitive[{principal, t}];
            s.principal = principal;
            s.table = t;
            auto& sd = sensitive_days[day];
            sd.day = day;
            if (e.masked_rules.empty()) ++s.clear, ++sd.deny;
            else ++s.masked, ++sd.allow;
          }
        }
        return true;
      },
      error);
  if (verifying.valid()) take_evidence(verifying.get(), out);
  if (!read) return false;
  for (auto& [day, count] : days) out.by_day.push_back(count);
  for (auto& [day, count] : sensitive_days) out.sensitive_by_day.push_back(count);
  for (auto& [key, access] : sensitive) out.sensitive.push_back(access);
  out.top_principals = top(principals, 10);
  out.top_tables = top(tables, 10);
  out.rules_seen.assign(rules.begin(), rules.end());
  out.controls = judge_controls(out);
  return true;
}

}  // namespace dynaudit::report
