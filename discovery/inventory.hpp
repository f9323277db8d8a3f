// Inventory: where sensitive data lives, as the sampler found it —
// table.attribute-path → class, the best confidence seen, how many values,
// first and last seen, the mask rule that covered it (or none: UNMASKED),
// and who read it in clear. Never a value. Turned into JSON for `discover
// list` and into a rule file of mask rules for what nothing masks
// (`discover suggest-rules`).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "discovery/detectors.hpp"

namespace dynaudit::discovery {

struct InventoryEntry {
  std::string table;
  std::string path;  // `address.zip`, `cards[*].pan`
  DataClass data_class = DataClass::card_number;
  double confidence = 0;  // the highest seen
  std::uint64_t values = 0;         // values of this class seen at this path
  std::int64_t first_seen_ms = 0, last_seen_ms = 0;
  std::string mask_rule;            // a rule whose mask covered the path; "" = unmasked so far
  std::uint64_t clear_reads = 0;    // sampled replies that carried it in clear
  std::uint64_t masked_reads = 0;   // ... and masked
  std::vector<std::string> clear_readers;  // principals that read it in clear (at most kMaxReaders)
};

class Inventory {
 public:
  static constexpr std::size_t kMaxReaders = 16;
  explicit Inventory(std::size_t max_entries = 10'000) : max_entries_(max_entries) {}

  // One value of class d at table.path, in a reply to `principal`;
  // `mask_rule` is the rule whose mask covered the path for that caller, ""
  // when the caller got it in clear. An empty `principal` is dynaudit's own
  // scan: the value is counted, no read is. False when the inventory is full.
  bool record(std::string_view table, std::string_view path, const Detection& d, std::string_view principal,
              std::string_view mask_rule, std::int64_t now_ms);
  void put(InventoryEntry entry);  // loading
  std::vector<InventoryEntry> entries() const;  // by table, path, class
  std::size_t size() const { return entries_.size(); }

 private:
  using Key = std::tuple<std::string, std::string, DataClass>;
  std::map<Key, InventoryEntry> entries_;
  std::size_t max_entries_;
};

std::string to_json(const InventoryEntry& entry);  // one object
// Persistence: the entry as bytes and back (nullopt-like: false) for the store.
std::string encode_entry(const InventoryEntry& entry);
bool decode_entry(std::string_view bytes, InventoryEntry& out);
std::string entry_key(const InventoryEntry& entry);  // "table\0path\0class"

// A rule file (docs/rules.md) with one rule per table masking every entry
// that nothing masks and whose confidence is at least `min_confidence`,
// with the method that fits its class; entries whose path a rule cannot
// name are listed as comments.
std::string suggest_rules_yaml(const std::vector<InventoryEntry>& entries, double min_confidence);

}  // namespace dynaudit::discovery
