// Reading the fleet table: the proxies (their heartbeats), one proxy's
// records in chain order (day bucket by day bucket, sequence within), the
// checkpoints, the newest rule set, and `audit query --fleet` with the same
// filters as the local store (storage::matches decides, so the two agree).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <simdjson.h>

#include "fleet/dynamodb_client.hpp"
#include "fleet/rule_set.hpp"
#include "storage/audit_event.hpp"
#include "storage/audit_reader.hpp"

namespace dynaudit::fleet {

struct ProxyHeartbeat {
  std::string proxy;
  std::string build;
  std::int64_t time_ms = 0;
  std::int64_t interval_ms = 0;
  std::uint64_t shipped = 0;
  std::string shipped_hash;
  std::string shipped_day;  // the newest shipped record's bucket
  std::string first_day;
  std::uint64_t head = 0;
  std::uint64_t lag_records = 0;
  std::int64_t lag_ms = 0;
  std::string health;
  std::uint64_t rules_version = 0;
  std::string rules_sha256;
  std::string rules_problem;
  std::string rules_fingerprint;
  std::uint64_t local_rule_files = 0;
  bool rules_pull = false;
  std::string checkpoint_key_id;
};

struct FleetRecord {
  std::string proxy;
  std::uint64_t sequence = 0;
  std::string day;
  std::string hash;
  std::string previous_hash;
  std::string text;  // the record as stored (to_json); empty when `big`
  bool big = false;
  std::string refused;  // why the table refused the whole item (a stub), if it did
  std::int64_t expires_at = 0;  // TTL (unix seconds); 0: kept
};

bool read_heartbeats(DynamoDbClient& client, const std::string& table, std::vector<ProxyHeartbeat>& out,
                     std::string& error);
// The published set with the highest version that `accept` takes ("" =
// accepted; no `accept`: any set that parses). Items under RULES that do
// not parse, whose sort key is not their own version, or that `accept`
// refuses (unsigned, another key: planted to hide newer sets) are passed
// over, at most 100 of them, and named in `skipped`.
std::optional<RuleSet> newest_rule_set(DynamoDbClient& client, const std::string& table, std::string& error,
                                       std::vector<std::string>* skipped = nullptr,
                                       const std::function<std::string(const RuleSet&)>& accept = {});

// "YYYY-MM-DD" of the next day.
std::string next_day(const std::string& day);

// A proxy's records from bucket `first_day` through `last_day`, in chain
// order; `each` returns false to stop.
bool read_proxy_records(DynamoDbClient& client, const std::string& table, const std::string& proxy,
                        const std::string& first_day, const std::string& last_day,
                        const std::function<bool(FleetRecord&&)>& each, std::string& error);
bool read_checkpoints(DynamoDbClient& client, const std::string& table, const std::string& proxy,
                      std::vector<storage::Checkpoint>& out, std::string& error);

struct FleetHit {
  std::string proxy;
  storage::AuditEvent record;
};
// Every record of every proxy that matches `query` (limit applied after
// ordering by time, proxy, sequence). Principal and table filters read
// their index; otherwise each proxy's day buckets in the time range.
bool query_fleet(DynamoDbClient& client, const std::string& table, const storage::AuditQuery& query,
                 std::vector<FleetHit>& out, std::string& error);

}  // namespace dynaudit::fleet
