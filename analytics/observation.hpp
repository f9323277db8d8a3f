// What the analyser takes from one committed audit record: who, when, what
// kind of call, from where, how much came back, whether it was refused, and
// the identities of the items it named. Everything is derived from the
// record as stored, so `anomalies learn` over history and the live feed see
// the same thing. Item identities are 64-bit hashes: the analyser never
// keeps key values.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "storage/audit_event.hpp"

namespace dynaudit::analytics {

enum class CallClass : std::uint8_t { read, write, admin, unknown };

struct Observation {
  std::chrono::system_clock::time_point time;
  std::string event_id;
  std::string principal;      // principal id, else the claimed access key, else "anonymous"
  std::string operation;      // eventName
  CallClass call_class = CallClass::unknown;
  bool read_only = false;     // CloudTrail's readOnly, from the catalog: reads and Describe/List/Get calls
  std::vector<std::string> tables;        // as named in the call
  std::vector<std::string> table_families;  // digit runs folded to '#': events_20261207 -> events_#
  std::string source_network;  // IPv4 /24 or IPv6 /48 of the source address; "" when unknown
  std::string user_agent_family;  // the user agent's first product name, lower case, no version
  std::uint64_t items_returned = 0;
  std::uint64_t bytes_returned = 0;
  bool error = false;          // any error answer other than a refusal
  bool refused = false;        // denied by a rule, AccessDenied, or failed authentication
  bool page = false;           // a Scan or Query call (one page of a read)
  std::vector<std::uint64_t> item_keys;  // hash per item the call named by key
  // A conditional or filtered call's shape on one item: table, key and the
  // expressions (never ExpressionAttributeValues, which the record does not
  // hold). The same shape sent again and again with changing values is how
  // a masked value is read back through a condition.
  std::optional<std::uint64_t> probe_shape;
  std::size_t masked_uses = 0;
};

// nullopt for records that are not calls: write-ahead intents (their outcome
// record follows), the store's own notes, and Anomaly records (so the
// analyser never learns from what it said itself).
std::optional<Observation> observe(const storage::AuditEvent& record);

// Helpers, exposed for tests.
std::string network_of(std::string_view ip);
std::string user_agent_family(std::string_view user_agent);
std::string table_family(std::string_view table);

}  // namespace dynaudit::analytics
