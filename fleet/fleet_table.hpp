// The central fleet table's layout (docs/fleet.md): one DynamoDB table with a
// string partition key `pk` and sort key `sk` holding four kinds of items,
//   records      pk "R#<proxy>#<day>"  sk <sequence, 20 digits>
//   checkpoints  pk "C#<proxy>"        sk <checkpoint number, 20 digits>
//   heartbeats   pk "H"                sk <proxy>
//   rule sets    pk "RULES"            sk <version, 20 digits>
// and three global secondary indexes over records: byPrincipal (gp, ts),
// byTable (gtb, ts) and byRequest (rid; keys only, for CloudTrail matching).
// An item's key follows from the record alone (proxy, day bucket, sequence),
// so shipping a record twice writes the same item twice: idempotent.
#pragma once

#include <cstdint>
#include <string>
#include <optional>
#include <string_view>
#include <vector>

#include "storage/audit_event.hpp"
#include "storage/checkpoint.hpp"

namespace dynaudit::fleet {

inline constexpr std::string_view kHeartbeatPartition = "H";
inline constexpr std::string_view kRulesPartition = "RULES";
inline constexpr std::string_view kIndexByPrincipal = "byPrincipal";
inline constexpr std::string_view kIndexByTable = "byTable";
inline constexpr std::string_view kIndexByRequest = "byRequest";
// DynamoDB refuses items over 400 KB; a record whose text would not fit
// travels without it (its hashes still do) and verify says so.
inline constexpr std::size_t kMaxRecordText = 350 * 1024;

// "YYYY-MM-DD" (UTC) of a unix-ms time.
std::string day_of(std::int64_t unix_ms);
// 20 digits, zero-padded, so that string order is numeric order.
std::string padded(std::uint64_t n);
std::string record_partition(std::string_view proxy, std::string_view day);
std::string checkpoint_partition(std::string_view proxy);
// "2026-12-07T10:00:00.123Z#<proxy>#<sequence>": the indexes' sort key.
std::string time_sort_key(std::int64_t unix_ms, std::string_view proxy, std::uint64_t sequence);

// A DynamoDB-JSON string attribute {"S":"…"}, number {"N":"…"}.
void append_s(std::string& out, std::string_view name, std::string_view value);
void append_n(std::string& out, std::string_view name, std::int64_t value);

// DynamoDB refuses an index key over 1024 bytes (sort) or 2048 (partition):
// a longer principal, table or request id is left out of the index (the
// record still ships; only the index cannot find it).
inline constexpr std::size_t kMaxIndexKey = 1024;

// The item for one committed record. `day` is its bucket (see
// record_shipper.hpp: never earlier than the previous record's);
// `expires_at` (unix seconds, 0: none) feeds the table's TTL.
std::string record_item(std::string_view proxy, std::string_view day, const storage::AuditEvent& record,
                        std::string_view record_text, std::int64_t expires_at);
// The record's item, then one alias item per further table it names
// (BatchGetItem, BatchWriteItem, transactions), pk "T#<proxy>#<day>", sk
// "<sequence>#<n>", so that the byTable index finds the call under every
// table, as the local store's table index does. Verify reads only "R#".
std::vector<std::string> record_items(std::string_view proxy, std::string_view day, const storage::AuditEvent& record,
                                      std::string_view record_text, std::int64_t expires_at);
// What is shipped for a record whose item the table refused (a value no
// index takes, an item over the size limit): the key, sequence, time and
// hashes only, marked "big" with the reason, so the chain stays whole.
std::optional<std::string> stub_item(std::string_view refused_item, std::string_view reason);
std::string checkpoint_item(std::string_view proxy, const storage::Checkpoint& checkpoint, std::int64_t expires_at);

// CreateTable input for `dynaudit fleet init-table` (on-demand billing).
std::string create_table_request(std::string_view table);

}  // namespace dynaudit::fleet
