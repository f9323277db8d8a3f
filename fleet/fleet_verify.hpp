// `dynaudit audit verify --fleet`: checks every proxy's chain as the fleet
// table holds it — each record's hash recomputes from its text, each links
// to the one before, sequences have no holes up to what the proxy's
// heartbeat says it shipped, and every shipped checkpoint names the hash the
// chain has at its sequence (and, given the proxies' public keys, is signed
// by them). Problems are named per proxy as ranges ("missing records
// 41-57", "records 60-61 altered"), not only the first one. The walk
// starts at the earlier of the heartbeat's first day and the first
// checkpoint's, so a heartbeat rewritten to a later day cannot hide records.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "fleet/dynamodb_client.hpp"
#include "fleet/fleet_reader.hpp"

namespace dynaudit::fleet {

struct ProxyVerdict {
  std::string proxy;
  std::uint64_t records = 0;
  std::uint64_t first_sequence = 0;
  std::uint64_t last_sequence = 0;
  std::uint64_t checkpoints = 0;
  std::uint64_t signatures_checked = 0;
  std::vector<std::string> problems;  // empty: the chain holds
  // Not damage, but not proven either: records whose table TTL removed
  // them (a hole right before a record that has itself expired), records
  // shipped without their text (hashes only).
  std::vector<std::string> notes;
  bool ok() const { return problems.empty(); }
};

// `public_key_files`: Ed25519 public keys (PEM); a checkpoint is accepted
// when one of them verifies it. Empty: signatures are not checked (said in
// the verdict), hashes still are.
// `retention`: fleet.retention of the verifying config; with it, a hole at
// the start of a chain that a checkpoint older than the retention covers is
// a note (the table's TTL removed it), not damage.
bool verify_fleet(DynamoDbClient& client, const std::string& table, const std::vector<std::string>& public_key_files,
                  std::chrono::seconds retention, std::vector<ProxyVerdict>& out, std::string& error);

}  // namespace dynaudit::fleet
