// The control mapping (controls.hpp).
#include "report/controls.hpp"

#include <algorithm>
#include <set>

namespace dynaudit::report {
namespace {

using discovery::DataClass;

bool covers(const ReportData& d, std::string_view framework) { return d.framework == "all" || d.framework == framework; }

std::string n(std::uint64_t v) { return std::to_string(v); }

std::vector<std::string> ids(const std::vector<CallRef>& refs, std::size_t max = 5) {
  std::vector<std::string> out;
  for (const auto& r : refs) {
    if (out.size() == max) break;
    out.push_back(r.event_id);
  }
  return out;
}

bool personal(DataClass c) {
  return c == DataClass::email || c == DataClass::phone || c == DataClass::us_ssn || c == DataClass::date_of_birth ||
         c == DataClass::ip_address || c == DataClass::iban;
}

// The log itself: every call recorded, the chain intact.
ControlRow logging_row(const ReportData& d, std::string framework, std::string id, std::string title) {
  ControlRow r{std::move(framework), std::move(id), std::move(title), "met", {}, {}};
  r.evidence.push_back(n(d.calls) + " calls recorded in the period (" + n(d.records) + " records)");
  if (d.chain_verified)
    r.evidence.push_back("hash chain verified over " + n(d.chain_records_checked) + " records and " +
                         n(d.checkpoints_checked) + " checkpoints");
  else
    r.evidence.push_back("hash chain NOT verified: " + d.chain_problem);
  if (d.unrecorded_calls) r.evidence.push_back(n(d.unrecorded_calls) + " calls were answered without a record (fail-open gaps)");
  if (d.calls == 0 || !d.chain_verified || d.unrecorded_calls) r.status = "gap";
  for (const auto& ref : d.recoveries) r.event_ids.push_back(ref.event_id);
  return r;
}

ControlRow integrity_row(const ReportData& d, std::string framework, std::string id, std::string title) {
  ControlRow r{std::move(framework), std::move(id), std::move(title), "met", {}, {}};
  if (!d.chain_verified) {
    r.status = "gap";
    r.evidence.push_back("the hash chain does not verify: " + d.chain_problem);
  } else if (d.checkpoints_checked == 0) {
    r.status = "gap";
    r.evidence.push_back("hash chain verified over " + n(d.chain_records_checked) +
                         " records, but no signed checkpoint: configure audit.checkpoint_key_file and a witness");
  } else {
    r.evidence.push_back("hash chain verified over " + n(d.chain_records_checked) + " records; " +
                         n(d.checkpoints_checked) + " signed checkpoints checked");
  }
  // Without a witness a store cut short or rolled back to an older copy
  // still verifies; with one, what it vouches for must be there.
  if (!d.witness_configured) {
    r.status = "gap";
    r.evidence.push_back("no witness: a store cut short or rolled back would look intact (audit.witness)");
  } else if (!d.witness_ok) {
    r.status = "gap";
    r.evidence.push_back("the store does not match its witness: " + d.witness_problem);
  } else {
    r.evidence.push_back("the witness matches: " + n(d.witness_entries_checked) + " witnessed checkpoints found in the store; " +
                         n(d.not_yet_provable) + " records after the newest are not yet provable");
  }
  if (d.witness_acceptances)
    r.evidence.push_back(n(d.witness_acceptances) + " losses were accepted with --accept-witness-mismatch (recorded in the chain)");
  return r;
}

ControlRow access_row(const ReportData& d, std::string framework, std::string id, std::string title) {
  ControlRow r{std::move(framework), std::move(id), std::move(title), "met", {}, ids(d.denied)};
  if (d.denied_total == 0) {
    r.status = "gap";
    r.evidence.push_back("no call was denied in the period: the log shows no access rule being enforced");
  } else {
    r.evidence.push_back(n(d.denied_total) + " calls denied by access rules");
    for (const auto& ref : d.denied) {
      if (r.evidence.size() == 4) break;
      r.evidence.push_back(ref.principal + " " + ref.operation + (ref.table.empty() ? "" : " on " + ref.table) + ": " +
                           ref.detail);
    }
  }
  if (!d.rules_seen.empty()) {
    std::string rules;
    for (const auto& rule : d.rules_seen) rules += (rules.empty() ? "" : ", ") + rule;
    r.evidence.push_back("rules that matched calls: " + rules);
  }
  return r;
}

// Sensitive values of the given classes: masked for readers, or not.
ControlRow masking_row(const ReportData& d, std::string framework, std::string id, std::string title,
                       bool (*wanted)(DataClass), std::string_view what) {
  ControlRow r{std::move(framework), std::move(id), std::move(title), "met", {}, ids(d.masked)};
  std::vector<std::string> unmasked;
  std::size_t found = 0;
  for (const auto& e : d.inventory) {
    if (!wanted(e.data_class)) continue;
    ++found;
    if (e.mask_rule.empty())
      unmasked.push_back(e.table + "." + e.path + " (" + std::string(discovery::to_string(e.data_class)) + ")");
  }
  if (found == 0) {
    r.status = "not applicable";
    r.evidence.push_back("discovery found no " + std::string(what) + " in the sampled replies");
    return r;
  }
  r.evidence.push_back(n(found) + " attributes hold " + std::string(what) + "; " + n(d.masked_replies) +
                       " replies were masked in the period");
  if (!unmasked.empty()) {
    r.status = "gap";
    std::string list;
    for (const auto& u : unmasked) list += (list.empty() ? "" : ", ") + u;
    r.evidence.push_back("unmasked: " + list + " (dynaudit discover suggest-rules)");
  }
  return r;
}

ControlRow admin_row(const ReportData& d, std::string framework, std::string id, std::string title) {
  ControlRow r{std::move(framework), std::move(id), std::move(title), "met", {}, ids(d.privileged)};
  if (d.privileged_total == 0) {
    r.status = "not applicable";
    r.evidence.push_back("no schema or administrative operation in the period");
    return r;
  }
  r.evidence.push_back(n(d.privileged_total) + " schema and administrative operations recorded");
  for (const auto& ref : d.privileged) {
    if (r.evidence.size() == 4) break;
    r.evidence.push_back(ref.principal + " " + ref.operation + (ref.table.empty() ? "" : " on " + ref.table) + " (" +
                         ref.detail + ")");
  }
  if (!d.chain_verified) {
    r.status = "gap";
    r.evidence.push_back("the hash chain does not verify");
  }
  return r;
}

// Changes to data structures and to the access rules themselves.
ControlRow change_row(const ReportData& d) {
  ControlRow r = admin_row(d, "SOX", "ITGC change management", "Changes to data structures and access rules are logged");
  const auto& start = d.rules_at_start;
  if (start)
    r.evidence.push_back("rules in force when the period began: " + n(start->change.rules) + " rules, " +
                         start->change.fingerprint + " (loaded " + start->time + ")");
  if (d.rule_changes_total) {
    r.evidence.push_back(n(d.rule_changes_total) + " loads of the rule files recorded in the period, " +
                         n(d.rule_changes_refused) + " refused");
    for (const auto& c : d.rule_changes) {
      if (r.event_ids.size() >= 10) break;
      r.event_ids.push_back(c.event_id);
    }
  } else if (!start) {
    r.evidence.push_back("no load of the rule files is recorded: the rules in force cannot be shown");
  }
  if (r.status == "not applicable" && (d.rule_changes_total || start)) r.status = d.chain_verified ? "met" : "gap";
  return r;
}

}  // namespace

std::vector<ControlRow> judge_controls(const ReportData& d) {
  std::vector<ControlRow> rows;
  const auto cards = [](DataClass c) { return c == DataClass::card_number; };
  if (covers(d, "pci-dss")) {
    rows.push_back(logging_row(d, "PCI DSS 4.0", "10.2.1", "Audit logs capture all individual access to cardholder data"));
    rows.push_back(admin_row(d, "PCI DSS 4.0", "10.2.1.2", "Actions by anyone with administrative access are logged"));
    rows.push_back(integrity_row(d, "PCI DSS 4.0", "10.3.2", "Audit logs are protected from modification"));
    rows.push_back(masking_row(d, "PCI DSS 4.0", "3.4.1", "PAN is masked when displayed", cards, "card numbers"));
    rows.push_back(access_row(d, "PCI DSS 4.0", "7.2.1", "Access is assigned by need to know and least privilege"));
  }
  if (covers(d, "hipaa")) {
    rows.push_back(logging_row(d, "HIPAA", "164.312(b)", "Audit controls record activity in systems holding ePHI"));
    rows.push_back(access_row(d, "HIPAA", "164.312(a)(1)", "Access control: only authorized persons or software"));
    rows.push_back(integrity_row(d, "HIPAA", "164.312(c)(1)", "Integrity: ePHI and its records are not improperly altered"));
  }
  if (covers(d, "gdpr")) {
    ControlRow art30{"GDPR", "Art. 30", "Records of processing activities", "met", {}, {}};
    std::set<std::string> tables, classes;
    for (const auto& e : d.inventory)
      if (personal(e.data_class)) tables.insert(e.table), classes.insert(std::string(discovery::to_string(e.data_class)));
    if (tables.empty()) {
      art30.status = "gap";
      art30.evidence.push_back("no inventory of personal data: discovery has not sampled any");
    } else {
      std::string t, c;
      for (const auto& x : tables) t += (t.empty() ? "" : ", ") + x;
      for (const auto& x : classes) c += (c.empty() ? "" : ", ") + x;
      art30.evidence.push_back("personal data (" + c + ") found in " + t);
      art30.evidence.push_back(n(d.sensitive.size()) + " principal and table pairs read it in the period; " + n(d.calls) +
                               " calls recorded");
    }
    rows.push_back(std::move(art30));
    rows.push_back(masking_row(d, "GDPR", "Art. 32", "Security of processing: personal data protected", personal,
                               "personal data"));
  }
  if (covers(d, "sox")) {
    ControlRow access = access_row(d, "SOX", "ITGC logical access", "Logical access to financial data is restricted and logged");
    if (d.calls == 0 || !d.chain_verified) {
      access.status = "gap";
      access.evidence.push_back("the log of the period is empty or does not verify");
    }
    rows.push_back(std::move(access));
    rows.push_back(change_row(d));
  }
  return rows;
}

}  // namespace dynaudit::report
