// Tallying a report's period (period_tally.hpp).
#include "report/period_tally.hpp"

#include <simdjson.h>

#include <algorithm>

#include "analytics/anomaly_record.hpp"
#include "storage/rules_change_record.hpp"
#include "storage/time_format.hpp"

namespace dynaudit::report {
namespace {

constexpr std::int64_t kDayMs = 86'400'000;

std::int64_t day_number(const storage::AuditEvent& e) {
  const std::int64_t ms = storage::unix_ms(e.event_time);
  return ms >= 0 ? ms / kDayMs : -((-ms + kDayMs - 1) / kDayMs);
}

DayCount& day_of(std::map<std::int64_t, DayCount>& days, std::int64_t day) {
  auto [it, fresh] = days.try_emplace(day);
  if (fresh) it->second.day = storage::cloudtrail_time(day * kDayMs).substr(0, 10);
  return it->second;
}

bool is_call(const storage::AuditEvent& e) {
  return e.phase == storage::RecordPhase::outcome &&
         (e.outcome == "forwarded" || e.outcome == "rejected" || e.outcome == "upstream_error" ||
          e.outcome == "denied" || e.outcome == "withheld" || e.outcome == "unknown");
}

std::string_view principal_of(const storage::AuditEvent& e) {
  return e.user_identity.principal_id.empty() ? e.user_identity.access_key_id : e.user_identity.principal_id;
}

CallRef ref_of(const storage::AuditEvent& e, std::string detail) {
  CallRef r;
  r.event_id = e.event_id;
  r.time = storage::cloudtrail_time(storage::unix_ms(e.event_time));
  r.principal = std::string(principal_of(e));
  r.operation = e.event_name;
  r.table = e.tables.empty() ? "" : e.tables.front();
  r.detail = std::move(detail);
  return r;
}

void count(std::map<std::string, std::uint64_t, std::less<>>& counts, std::string_view key, std::uint64_t n = 1) {
  auto it = counts.find(key);
  if (it == counts.end()) it = counts.emplace(std::string(key), 0).first;
  it->second += n;
}

// An AuditStoreRecovered record's count of calls answered without a record.
std::uint64_t unrecorded_of(const std::string& parameters) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  std::uint64_t n = 0;
  if (parser.parse(parameters).get(root) || root["unrecordedCalls"].get(n)) return 0;
  return n;
}

std::vector<std::pair<std::string, std::uint64_t>> top(const std::map<std::string, std::uint64_t, std::less<>>& counts,
                                                       std::size_t n) {
  std::vector<std::pair<std::string, std::uint64_t>> v(counts.begin(), counts.end());
  std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  if (v.size() > n) v.resize(n);
  return v;
}

}  // namespace

void PeriodTally::add(const storage::AuditEvent& e) {
  ++records_;
  const std::uint64_t seq = e.sequence;
  if (e.event_name == "AuditStoreRecovered") {
    unrecorded_ += unrecorded_of(e.request_parameters_json);
    recoveries_.keep(seq, ref_of(e, "calls answered without a record"));
    return;
  }
  if (auto change = storage::rules_change_of_record(e)) {
    if (!change->applied) ++rule_changes_refused_;
    rule_changes_.keep(seq, RuleChangeRef{e.event_id, storage::cloudtrail_time(storage::unix_ms(e.event_time)),
                                          std::move(*change)});
    return;
  }
  if (auto a = analytics::anomaly_of_record(e)) {
    CallRef r = ref_of(e, a->feature + " (" + std::string(analytics::to_string(a->severity)) + "): " + a->explanation);
    r.principal = a->principal;
    anomalies_.keep(seq, std::move(r));
    return;
  }
  if (!is_call(e)) return;
  ++calls_;
  const std::int64_t day = day_number(e);
  DayCount& d = day_of(days_, day);
  const bool denied = e.decision == "deny";
  if (denied) ++d.deny;
  else if (!e.error_code.empty()) ++d.error;
  else ++d.allow;
  const std::string_view principal = principal_of(e);
  count(principals_, principal.empty() ? std::string_view("(unauthenticated)") : principal);
  for (const auto& t : e.tables) count(tables_, t);
  for (const auto& t : e.tags) count(tags_, t);
  for (const auto& r : e.matched_rules)
    if (rules_.find(r) == rules_.end()) rules_.insert(r);
  if (!e.determining_rule.empty() && rules_.find(e.determining_rule) == rules_.end()) rules_.insert(e.determining_rule);
  // The references are built only while a list has room: most calls are in
  // no list, or past its first 25.
  if (denied) {
    if (denied_.first.size() < kListed)
      denied_.keep(seq, ref_of(e, e.error_code + (e.determining_rule.empty() ? "" : " (rule " + e.determining_rule + ")")));
    else ++denied_.total;
  }
  if (!e.alerted_rules.empty()) {
    if (alerted_.first.size() < kListed) alerted_.keep(seq, ref_of(e, "alerted by " + e.alerted_rules.front()));
    else ++alerted_.total;
  }
  if (e.management_event && !e.read_only) {
    if (privileged_.first.size() < kListed)
      privileged_.keep(seq, ref_of(e, denied ? "denied" : e.error_code.empty() ? "done" : e.error_code));
    else ++privileged_.total;
  }
  if (e.response_items >= kBulkItems) {
    if (bulk_.first.size() < kListed) bulk_.keep(seq, ref_of(e, std::to_string(e.response_items) + " items"));
    else ++bulk_.total;
  }
  if (!e.masked_rules.empty()) {
    if (masked_.first.size() < kListed) masked_.keep(seq, ref_of(e, "masked by " + e.masked_rules.front()));
    else ++masked_.total;
  }
  if (!denied && e.read_only && !e.management_event && e.error_code.empty()) {
    for (const auto& t : e.tables) {
      if (!sensitive_tables_->count(t)) continue;
      auto& s = sensitive_[{std::string(principal), t}];
      s.principal = std::string(principal);
      s.table = t;
      DayCount& sd = day_of(sensitive_days_, day);
      if (e.masked_rules.empty()) ++s.clear, ++sd.deny;
      else ++s.masked, ++sd.allow;
    }
  }
}

template <typename Ref>
void PeriodTally::merge_listed(std::vector<PeriodTally>& tallies, Listed<Ref> PeriodTally::*member, std::vector<Ref>& out,
                               std::uint64_t& total) {
  std::vector<std::pair<std::uint64_t, Ref>> all;
  for (auto& t : tallies) {
    auto& listed = t.*member;
    total += listed.total;
    for (auto& entry : listed.first) all.push_back(std::move(entry));
  }
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& entry : all) {
    if (out.size() == kListed) break;
    out.push_back(std::move(entry.second));
  }
}

void PeriodTally::merge(std::vector<PeriodTally>& tallies, ReportData& out) {
  std::map<std::int64_t, DayCount> days, sensitive_days;
  std::map<std::string, std::uint64_t, std::less<>> principals, tables;
  std::map<std::pair<std::string, std::string>, SensitiveAccess> sensitive;
  std::set<std::string, std::less<>> rules;
  const auto add_days = [](std::map<std::int64_t, DayCount>& into, const std::map<std::int64_t, DayCount>& from) {
    for (const auto& [day, c] : from) {
      DayCount& d = into[day];
      d.day = c.day;
      d.allow += c.allow, d.deny += c.deny, d.error += c.error;
    }
  };
  for (const auto& t : tallies) {
    out.records += t.records_;
    out.calls += t.calls_;
    out.unrecorded_calls += t.unrecorded_;
    out.rule_changes_refused += t.rule_changes_refused_;
    add_days(days, t.days_);
    add_days(sensitive_days, t.sensitive_days_);
    for (const auto& [k, n] : t.principals_) count(principals, k, n);
    for (const auto& [k, n] : t.tables_) count(tables, k, n);
    for (const auto& [k, n] : t.tags_) out.tags[k] += n;
    for (const auto& [k, s] : t.sensitive_) {
      SensitiveAccess& into = sensitive[k];
      into.principal = s.principal, into.table = s.table;
      into.masked += s.masked, into.clear += s.clear;
    }
    rules.insert(t.rules_.begin(), t.rules_.end());
  }
  std::uint64_t ignored = 0;
  merge_listed(tallies, &PeriodTally::recoveries_, out.recoveries, ignored);
  merge_listed(tallies, &PeriodTally::anomalies_, out.anomalies, out.anomalies_total);
  merge_listed(tallies, &PeriodTally::denied_, out.denied, out.denied_total);
  merge_listed(tallies, &PeriodTally::alerted_, out.alerted, out.alerted_total);
  merge_listed(tallies, &PeriodTally::privileged_, out.privileged, out.privileged_total);
  merge_listed(tallies, &PeriodTally::bulk_, out.bulk, out.bulk_total);
  merge_listed(tallies, &PeriodTally::masked_, out.masked, out.masked_replies);
  merge_listed(tallies, &PeriodTally::rule_changes_, out.rule_changes, out.rule_changes_total);
  for (auto& [day, c] : days) out.by_day.push_back(c);
  for (auto& [day, c] : sensitive_days) out.sensitive_by_day.push_back(c);
  for (auto& [key, s] : sensitive) out.sensitive.push_back(s);
  out.top_principals = top(principals, 10);
  out.top_tables = top(tables, 10);
  out.rules_seen.assign(rules.begin(), rules.end());
}

}  // namespace dynaudit::report
