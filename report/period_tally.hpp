// PeriodTally: what the records of a report's period add up to — counts by
// day, principal, table and tag, the sensitive reads, and the first calls
// of each kind the report lists. Tallies are filled independently (one per
// thread of `audit verify`, which parses every record anyway: a report then
// reads the store once) and merged into ReportData in sequence order, so
// the result is the same however the records were split.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "report/report_data.hpp"
#include "storage/audit_event.hpp"

namespace dynaudit::report {

class PeriodTally {
 public:
  // `sensitive_tables`: tables the discovery inventory holds; must outlive
  // the tally.
  explicit PeriodTally(const std::set<std::string>* sensitive_tables) : sensitive_tables_(sensitive_tables) {}

  void add(const storage::AuditEvent& record);
  // Everything into `out` (its lists, counts and charts); call once, with
  // every tally of the period.
  static void merge(std::vector<PeriodTally>& tallies, ReportData& out);

 private:
  // The first kListed of a kind by sequence, and how many there were.
  template <typename Ref>
  struct Listed {
    std::vector<std::pair<std::uint64_t, Ref>> first;
    std::uint64_t total = 0;
    void keep(std::uint64_t sequence, Ref ref) {
      ++total;
      if (first.size() < kListed) first.emplace_back(sequence, std::move(ref));
    }
  };
  template <typename Ref>
  static void merge_listed(std::vector<PeriodTally>& tallies, Listed<Ref> PeriodTally::*member,
                           std::vector<Ref>& out, std::uint64_t& total);

  const std::set<std::string>* sensitive_tables_;
  std::uint64_t records_ = 0, calls_ = 0, unrecorded_ = 0;
  std::map<std::int64_t, DayCount> days_, sensitive_days_;  // by day number since 1970
  std::map<std::string, std::uint64_t, std::less<>> principals_, tables_, tags_;
  std::map<std::pair<std::string, std::string>, SensitiveAccess> sensitive_;
  std::set<std::string, std::less<>> rules_;
  Listed<CallRef> recoveries_, anomalies_, denied_, alerted_, privileged_, bulk_, masked_;
  Listed<RuleChangeRef> rule_changes_;
  std::uint64_t rule_changes_refused_ = 0;
};

}  // namespace dynaudit::report
