// Reading the fleet table (see fleet_reader.hpp).
#include "fleet/fleet_reader.hpp"

#include <algorithm>
#include <ctime>

#include "fleet/fleet_table.hpp"
#include "fleet/item_reader.hpp"
#include "fleet/table_query.hpp"
#include "storage/query_plan.hpp"

namespace dynaudit::fleet {
namespace {

std::int64_t ms_of(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::string iso_ms(std::int64_t ms) {
  std::string key = time_sort_key(ms, "", 0);
  return key.substr(0, key.find('#'));
}

FleetRecord record_of(simdjson::dom::element element) {
  ItemReader item(element);
  FleetRecord r;
  r.proxy = item.s("proxy").value_or("");
  r.sequence = static_cast<std::uint64_t>(item.n("seq").value_or(0));
  const auto pk = item.s("pk").value_or("");
  r.day = pk.size() >= 10 ? pk.substr(pk.size() - 10) : "";
  r.hash = item.s("hash").value_or("");
  r.previous_hash = item.s("prev").value_or("");
  r.text = item.s("rec").value_or("");
  r.big = item.flag("big");
  r.refused = item.s("refused").value_or("");
  r.expires_at = item.n("exp").value_or(0);
  return r;
}

}  // namespace

std::string next_day(const std::string& day) {
  std::tm tm{};
  if (day.size() != 10 || std::sscanf(day.c_str(), "%d-%d-%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday) != 3) return "9999-12-31";
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  tm.tm_mday += 1;
  const std::time_t t = timegm(&tm);
  return day_of(static_cast<std::int64_t>(t) * 1000);
}

bool read_heartbeats(DynamoDbClient& client, const std::string& table, std::vector<ProxyHeartbeat>& out,
                     std::string& error) {
  out.clear();
  TableQuery query;
  query.table = table;
  query.key_name = "pk";
  query.key_value = std::string(kHeartbeatPartition);
  return run_query(client, query, [&](simdjson::dom::element element) {
    ItemReader item(element);
    ProxyHeartbeat h;
    const auto dash = [](std::optional<std::string> v) { return v && *v != "-" ? *v : std::string(); };
    h.proxy = item.s("sk").value_or("");  // the key, not an attribute a writer could set apart from it
    h.build = dash(item.s("build"));
    h.time_ms = item.n("time").value_or(0);
    h.interval_ms = item.n("intervalMs").value_or(0);
    h.shipped = static_cast<std::uint64_t>(item.n("shipped").value_or(0));
    h.shipped_hash = dash(item.s("shippedHash"));
    h.first_day = dash(item.s("firstDay"));
    h.shipped_day = dash(item.s("shippedDay"));
    h.head = static_cast<std::uint64_t>(item.n("head").value_or(0));
    h.lag_records = static_cast<std::uint64_t>(item.n("lagRecords").value_or(0));
    h.lag_ms = item.n("lagMs").value_or(0);
    h.health = item.s("health").value_or("");
    h.rules_version = static_cast<std::uint64_t>(item.n("rulesVersion").value_or(0));
    h.rules_sha256 = dash(item.s("rulesSha256"));
    h.rules_problem = dash(item.s("rulesProblem"));
    h.rules_fingerprint = dash(item.s("rulesFingerprint"));
    h.local_rule_files = static_cast<std::uint64_t>(item.n("localRuleFiles").value_or(0));
    h.rules_pull = item.s("rulesPull").value_or("") == "on";
    h.checkpoint_key_id = dash(item.s("checkpointKeyId"));
    if (!h.proxy.empty()) out.push_back(std::move(h));
    return true;
  }, error);
}

std::optional<RuleSet> newest_rule_set(DynamoDbClient& client, const std::string& table, std::string& error,
                                       std::vector<std::string>* skipped,
                                       const std::function<std::string(const RuleSet&)>& accept) {
  TableQuery query;
  query.table = table;
  query.key_name = "pk";
  query.key_value = std::string(kRulesPartition);
  query.forward = false;
  query.limit = 100;
  std::optional<RuleSet> newest;
  run_query(client, query, [&](simdjson::dom::element element) {
    ItemReader item(element);
    const std::string sk = item.s("sk").value_or("?");
    auto set = parse_rule_set_item(simdjson::minify(element));
    if (!set || sk != padded(set->version)) {
      if (skipped) skipped->push_back("RULES item " + sk + (set ? " claims another version" : " does not parse"));
      return true;
    }
    if (accept) {
      if (auto why = accept(*set); !why.empty()) {
        if (skipped) skipped->push_back("version " + std::to_string(set->version) + " refused: " + why);
        return true;
      }
    }
    newest = std::move(set);
    return false;
  }, error);
  return newest;
}

bool read_proxy_records(DynamoDbClient& client, const std::string& table, const std::string& proxy,
                        const std::string& first_day, const std::string& last_day,
                        const std::function<bool(FleetRecord&&)>& each, std::string& error) {
  bool go_on = true;
  for (std::string day = first_day; go_on && day <= last_day; day = next_day(day)) {
    TableQuery query;
    query.table = table;
    query.key_name = "pk";
    query.key_value = record_partition(proxy, day);
    if (!run_query(client, query, [&](simdjson::dom::element item) {
          go_on = each(record_of(item));
          return go_on;
        }, error))
      return false;
  }
  return true;
}

bool read_checkpoints(DynamoDbClient& client, const std::string& table, const std::string& proxy,
                      std::vector<storage::Checkpoint>& out, std::string& error) {
  out.clear();
  TableQuery query;
  query.table = table;
  query.key_name = "pk";
  query.key_value = checkpoint_partition(proxy);
  bool parsed = true;
  const bool read = run_query(client, query, [&](simdjson::dom::element element) {
    ItemReader item(element);
    const auto text = item.s("cp");
    auto checkpoint = text ? storage::parse_checkpoint(*text) : std::nullopt;
    if (!checkpoint) {
      parsed = false;
      error = "checkpoint item " + item.s("sk").value_or("?") + " does not parse";
      return false;
    }
    out.push_back(std::move(*checkpoint));
    return true;
  }, error);
  return read && parsed;
}

bool query_fleet(DynamoDbClient& client, const std::string& table, const storage::AuditQuery& q,
                 std::vector<FleetHit>& out, std::string& error) {
  out.clear();
  const auto consider = [&](const std::string& proxy, std::string_view text) {
    storage::AuditEvent record;
    if (text.empty() || !storage::parse_record(text, record)) return;
    if (!storage::matches(record, q)) return;
    out.push_back(FleetHit{proxy, std::move(record)});
  };
  const auto by_index = [&](std::string_view index, const std::string& attribute, const std::string& value) {
    TableQuery query;
    query.table = table;
    query.index = std::string(index);
    query.key_name = attribute;
    query.key_value = value;
    query.sort_name = "ts";
    if (q.since) query.sort_from = iso_ms(ms_of(*q.since));
    if (q.until) query.sort_to = iso_ms(ms_of(*q.until));
    return run_query(client, query, [&](simdjson::dom::element element) {
      ItemReader item(element);
      // Only a record item or its alias counts, under its own proxy's key
      // (an item planted elsewhere with index attributes is not a record).
      const std::string proxy = item.s("proxy").value_or("");
      const std::string pk = item.s("pk").value_or("");
      if (proxy.empty() || (pk.rfind("R#" + proxy + "#", 0) != 0 && pk.rfind("T#" + proxy + "#", 0) != 0)) return true;
      consider(proxy, item.s("rec").value_or(""));
      return true;
    }, error);
  };
  bool ok = true;
  if (q.principal) {
    ok = by_index(kIndexByPrincipal, "gp", *q.principal);
  } else if (q.table) {
    ok = by_index(kIndexByTable, "gtb", *q.table);
  } else {
    std::vector<ProxyHeartbeat> proxies;
    if (!read_heartbeats(client, table, proxies, error)) return false;
    const std::string today = day_of(ms_of(std::chrono::system_clock::now()));
    for (const auto& proxy : proxies) {
      if (proxy.first_day.empty()) continue;
      // A heartbeat's first day is bounded: one rewritten to year 1 must not
      // become a Query per day since then.
      const std::string oldest = day_of(ms_of(std::chrono::system_clock::now()) - 20LL * 366 * 86'400'000);
      std::string first = std::max(proxy.first_day, oldest);
      if (q.since) first = std::max(first, day_of(ms_of(*q.since)));
      // A record's bucket is never before its own day, and at most a
      // little after it (a late record follows its predecessor's day).
      std::string last = q.until ? next_day(day_of(ms_of(*q.until))) : next_day(today);
      // Nothing lies past the proxy's newest bucket (and tomorrow): a far
      // --until must not become one Query per day for centuries.
      last = std::min(last, std::max(proxy.shipped_day, next_day(today)));
      ok = read_proxy_records(client, table, proxy.proxy, first, last, [&](FleetRecord&& r) {
        consider(r.proxy, r.text);
        return true;
      }, error);
      if (!ok) break;
    }
  }
  std::sort(out.begin(), out.end(), [](const FleetHit& a, const FleetHit& b) {
    if (a.record.event_time != b.record.event_time) return a.record.event_time < b.record.event_time;
    if (a.proxy != b.proxy) return a.proxy < b.proxy;
    return a.record.sequence < b.record.sequence;
  });
  if (q.limit > 0 && out.size() > q.limit) out.resize(q.limit);
  return ok;
}

}  // namespace dynaudit::fleet
