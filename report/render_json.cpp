// The report as JSON (render.hpp).
#include "report/render.hpp"

#include "storage/json_text.hpp"
#include "storage/time_format.hpp"

namespace dynaudit::report {
namespace {

using storage::json::append_string;

std::string str(std::string_view s) {
  std::string out;
  append_string(out, s);
  return out;
}

std::string time_of(SysTime t) {
  return str(storage::cloudtrail_time(storage::unix_ms(t)));
}

std::string strings(const std::vector<std::string>& v) {
  std::string out = "[";
  for (std::size_t i = 0; i < v.size(); ++i) out += (i ? "," : "") + str(v[i]);
  return out + "]";
}

std::string call(const CallRef& c) {
  return "{\"eventID\":" + str(c.event_id) + ",\"time\":" + str(c.time) + ",\"principal\":" + str(c.principal) +
         ",\"operation\":" + str(c.operation) + ",\"table\":" + str(c.table) + ",\"detail\":" + str(c.detail) + "}";
}

std::string section(std::uint64_t total, const std::vector<CallRef>& calls) {
  std::string out = "{\"total\":" + std::to_string(total) + ",\"calls\":[";
  for (std::size_t i = 0; i < calls.size(); ++i) out += (i ? "," : "") + call(calls[i]);
  return out + "]}";
}

std::string days(const std::vector<DayCount>& v, const char* a, const char* b, const char* c) {
  std::string out = "[";
  for (std::size_t i = 0; i < v.size(); ++i) {
    out += (i ? "," : "") + std::string("{\"day\":") + str(v[i].day) + ",\"" + a + "\":" + std::to_string(v[i].allow) +
           ",\"" + b + "\":" + std::to_string(v[i].deny);
    if (c) out += ",\"" + std::string(c) + "\":" + std::to_string(v[i].error);
    out += "}";
  }
  return out + "]";
}

std::string ranking(const std::vector<std::pair<std::string, std::uint64_t>>& v) {
  std::string out = "[";
  for (std::size_t i = 0; i < v.size(); ++i)
    out += (i ? "," : "") + std::string("{\"name\":") + str(v[i].first) + ",\"calls\":" + std::to_string(v[i].second) + "}";
  return out + "]";
}

std::string rule_change(const RuleChangeRef& c) {
  return "{\"eventID\":" + str(c.event_id) + ",\"time\":" + str(c.time) + ",\"trigger\":" + str(c.change.trigger) +
         ",\"applied\":" + (c.change.applied ? "true" : "false") + ",\"rules\":" + std::to_string(c.change.rules) +
         ",\"fingerprint\":" + str(c.change.fingerprint) + ",\"files\":" + strings(c.change.files) +
         ",\"errors\":" + strings(c.change.errors) + "}";
}

}  // namespace

std::string render_json(const ReportData& d) {
  std::string out = "{\"report\":\"dynaudit compliance report\",\"version\":1,\"framework\":" + str(d.framework) +
                    ",\"period\":{\"since\":" + time_of(d.since) + ",\"until\":" + time_of(d.until) +
                    "},\"generatedAt\":" + str(d.generated_at) + ",\"store\":" + str(d.store);
  out += ",\"integrity\":{\"records\":" + std::to_string(d.records) + ",\"calls\":" + std::to_string(d.calls) +
         ",\"chainVerified\":" + (d.chain_verified ? "true" : "false") +
         ",\"recordsChecked\":" + std::to_string(d.chain_records_checked) +
         ",\"checkpointsChecked\":" + std::to_string(d.checkpoints_checked) + ",\"problem\":" + str(d.chain_problem) +
         ",\"witness\":{\"configured\":" + (d.witness_configured ? "true" : "false") +
         ",\"matches\":" + (d.witness_ok ? "true" : "false") + ",\"entriesChecked\":" + std::to_string(d.witness_entries_checked) +
         ",\"notYetProvable\":" + std::to_string(d.not_yet_provable) +
         ",\"acceptances\":" + std::to_string(d.witness_acceptances) + ",\"problem\":" + str(d.witness_problem) + "}" +
         ",\"unrecordedCalls\":" + std::to_string(d.unrecorded_calls) + ",\"recoveries\":" +
         section(d.recoveries.size(), d.recoveries) + "}";
  out += ",\"controls\":[";
  for (std::size_t i = 0; i < d.controls.size(); ++i) {
    const auto& c = d.controls[i];
    out += (i ? "," : "") + std::string("{\"framework\":") + str(c.framework) + ",\"id\":" + str(c.id) +
           ",\"title\":" + str(c.title) + ",\"status\":" + str(c.status) + ",\"evidence\":" + strings(c.evidence) +
           ",\"eventIds\":" + strings(c.event_ids) + "}";
  }
  out += "],\"activity\":{\"byDay\":" + days(d.by_day, "allow", "deny", "error") +
         ",\"topPrincipals\":" + ranking(d.top_principals) + ",\"topTables\":" + ranking(d.top_tables) + ",\"tags\":{";
  bool first = true;
  for (const auto& [tag, count] : d.tags) out += (first ? "" : ",") + str(tag) + ":" + std::to_string(count), first = false;
  out += "},\"rules\":" + strings(d.rules_seen) + "}";
  out += ",\"ruleSet\":{\"atStart\":" + (d.rules_at_start ? rule_change(*d.rules_at_start) : "null") +
         ",\"changes\":" + std::to_string(d.rule_changes_total) + ",\"refused\":" + std::to_string(d.rule_changes_refused) +
         ",\"history\":[";
  for (std::size_t i = 0; i < d.rule_changes.size(); ++i) out += (i ? "," : "") + rule_change(d.rule_changes[i]);
  out += "]}";
  out += ",\"denied\":" + section(d.denied_total, d.denied) + ",\"alerted\":" + section(d.alerted_total, d.alerted) +
         ",\"privileged\":" + section(d.privileged_total, d.privileged) + ",\"bulkReads\":" + section(d.bulk_total, d.bulk) +
         ",\"anomalies\":" + section(d.anomalies_total, d.anomalies) +
         ",\"maskedReplies\":" + section(d.masked_replies, d.masked);
  std::uint64_t unmasked = 0;
  out += ",\"sensitiveData\":{\"inventory\":[";
  for (std::size_t i = 0; i < d.inventory.size(); ++i) {
    out += (i ? "," : "") + discovery::to_json(d.inventory[i]);
    unmasked += d.inventory[i].mask_rule.empty();
  }
  out += "],\"unmasked\":" + std::to_string(unmasked) + ",\"access\":[";
  for (std::size_t i = 0; i < d.sensitive.size(); ++i) {
    const auto& s = d.sensitive[i];
    out += (i ? "," : "") + std::string("{\"principal\":") + str(s.principal) + ",\"table\":" + str(s.table) +
           ",\"masked\":" + std::to_string(s.masked) + ",\"clear\":" + std::to_string(s.clear) + "}";
  }
  out += "],\"byDay\":" + days(d.sensitive_by_day, "masked", "clear", nullptr) + "}}";
  return out;
}

}  // namespace dynaudit::report
