// The sensitive-data inventory (inventory.hpp).
#include "discovery/inventory.hpp"

#include "storage/byte_codec.hpp"
#include "storage/json_text.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>

namespace dynaudit::discovery {
namespace {

// What a mask rule does with each class: enough left to recognise a value
// (the last four digits of a card), nothing that gives it back.
std::string mask_for(DataClass c) {
  switch (c) {
    case DataClass::card_number: return "method: partial, keep_last: 4";
    case DataClass::us_ssn: return "method: partial, keep_last: 4";
    case DataClass::iban: return "method: partial, keep_last: 4";
    case DataClass::phone: return "method: partial, keep_last: 2";
    case DataClass::email: return "method: email";
    case DataClass::ip_address: return "method: hash";
    case DataClass::date_of_birth:
    case DataClass::aws_access_key_id:
    case DataClass::secret: return "method: redact";
  }
  return "method: redact";
}

std::string_view tag_for(DataClass c) {
  switch (c) {
    case DataClass::card_number: return "pci-dss:3.4.1";
    case DataClass::aws_access_key_id:
    case DataClass::secret: return "soc2:cc6.1";
    default: return "gdpr:art32";
  }
}

// A path a rule can name: words of letters, digits, `_` and `-`, joined by
// dots, with [*] after a word.
bool expressible(std::string_view path) {
  if (path.empty()) return false;
  bool word = false;
  for (std::size_t i = 0; i < path.size(); ++i) {
    const char c = path[i];
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-') {
      word = true;
    } else if (c == '.' && word) {
      word = false;
    } else if (c == '[' && word && path.substr(i, 3) == "[*]") {
      i += 2;
    } else {
      return false;
    }
  }
  return word || path.back() == ']';
}

std::string rule_id_for(std::string_view table) {
  std::string id = "discovered-mask-";
  for (char c : table) id += (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-') ? c : '_';
  return id;
}

}  // namespace

bool Inventory::record(std::string_view table, std::string_view path, const Detection& d, std::string_view principal,
                       std::string_view mask_rule, std::int64_t now_ms) {
  Key key{std::string(table), std::string(path), d.data_class};
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    if (entries_.size() >= max_entries_) return false;
    InventoryEntry fresh;
    fresh.table = std::get<0>(key);
    fresh.path = std::get<1>(key);
    fresh.data_class = d.data_class;
    fresh.first_seen_ms = now_ms;
    it = entries_.emplace(std::move(key), std::move(fresh)).first;
  }
  auto& e = it->second;
  e.confidence = std::max(e.confidence, d.confidence);
  ++e.values;
  e.last_seen_ms = std::max(e.last_seen_ms, now_ms);
  if (principal.empty()) {  // dynaudit's own scan: found, but nobody's read
    if (e.mask_rule.empty() && !mask_rule.empty()) e.mask_rule = std::string(mask_rule);
  } else if (!mask_rule.empty()) {
    ++e.masked_reads;
    if (e.mask_rule.empty()) e.mask_rule = std::string(mask_rule);
  } else {
    ++e.clear_reads;
    if (e.clear_readers.size() < kMaxReaders &&
        std::find(e.clear_readers.begin(), e.clear_readers.end(), principal) == e.clear_readers.end())
      e.clear_readers.emplace_back(principal);
  }
  return true;
}

void Inventory::put(InventoryEntry entry) {
  Key key{entry.table, entry.path, entry.data_class};
  entries_[std::move(key)] = std::move(entry);
}

std::vector<InventoryEntry> Inventory::entries() const {
  std::vector<InventoryEntry> out;
  out.reserve(entries_.size());
  for (const auto& [key, entry] : entries_) out.push_back(entry);
  return out;
}

std::string entry_key(const InventoryEntry& e) {
  std::string key = e.table;
  key += '\0';
  key += e.path;
  key += '\0';
  key += to_string(e.data_class);
  return key;
}

std::string to_json(const InventoryEntry& e) {
  std::string out = "{\"table\":";
  storage::json::append_string(out, e.table);
  out += ",\"path\":";
  storage::json::append_string(out, e.path);
  out += ",\"class\":";
  storage::json::append_string(out, to_string(e.data_class));
  char number[32];
  std::snprintf(number, sizeof number, "%.2f", e.confidence);
  out += ",\"confidence\":" + std::string(number) + ",\"values\":" + std::to_string(e.values) +
         ",\"firstSeenMs\":" + std::to_string(e.first_seen_ms) + ",\"lastSeenMs\":" + std::to_string(e.last_seen_ms) +
         ",\"maskRule\":";
  if (e.mask_rule.empty()) out += "null";
  else storage::json::append_string(out, e.mask_rule);
  out += ",\"status\":";
  out += e.mask_rule.empty() ? "\"UNMASKED\"" : "\"masked\"";
  out += ",\"clearReads\":" + std::to_string(e.clear_reads) + ",\"maskedReads\":" + std::to_string(e.masked_reads) +
         ",\"clearReaders\":[";
  for (std::size_t i = 0; i < e.clear_readers.size(); ++i) {
    if (i) out += ',';
    storage::json::append_string(out, e.clear_readers[i]);
  }
  out += "]}";
  return out;
}

std::string encode_entry(const InventoryEntry& e) {
  storage::ByteWriter b;
  b.put(std::uint8_t{1});
  b.put_string(e.table);
  b.put_string(e.path);
  b.put(static_cast<std::uint8_t>(e.data_class));
  b.put(e.confidence);
  b.put(e.values);
  b.put(e.first_seen_ms);
  b.put(e.last_seen_ms);
  b.put_string(e.mask_rule);
  b.put(e.clear_reads);
  b.put(e.masked_reads);
  b.put(static_cast<std::uint32_t>(e.clear_readers.size()));
  for (const auto& r : e.clear_readers) b.put_string(r);
  return b.take();
}

bool decode_entry(std::string_view bytes, InventoryEntry& e) {
  storage::ByteReader r(bytes);
  std::uint8_t version = 0, cls = 0;
  std::uint32_t readers = 0;
  if (!r.get(version) || version != 1 || !r.get_string(e.table) || !r.get_string(e.path) || !r.get(cls) ||
      cls >= kDataClasses || !r.get(e.confidence) || !r.get(e.values) || !r.get(e.first_seen_ms) ||
      !r.get(e.last_seen_ms) || !r.get_string(e.mask_rule) || !r.get(e.clear_reads) || !r.get(e.masked_reads) ||
      !r.get(readers) || readers > Inventory::kMaxReaders)
    return false;
  e.data_class = static_cast<DataClass>(cls);
  e.clear_readers.resize(readers);
  for (auto& reader : e.clear_readers)
    if (!r.get_string(reader)) return false;
  return r.at_end() && e.confidence >= 0 && e.confidence <= 1;
}

std::string suggest_rules_yaml(const std::vector<InventoryEntry>& entries, double min_confidence) {
  std::map<std::string, std::vector<const InventoryEntry*>> by_table;
  for (const auto& e : entries)
    if (e.mask_rule.empty() && e.confidence >= min_confidence) by_table[e.table].push_back(&e);
  std::string out =
      "# Mask rules for the sensitive attributes dynaudit found unmasked (dynaudit discover suggest-rules).\n"
      "# Review before use: check with `dynaudit rules check FILE`, try with `dynaudit rules test`.\n"
      "rules:\n";
  if (by_table.empty()) out += "  []\n";
  for (const auto& [table, list] : by_table) {
    std::string masks, comments, tags;
    std::vector<std::string> seen_paths, seen_tags;
    for (const auto* e : list) {
      if (!expressible(e->path)) {
        comments += "    # " + std::string(to_string(e->data_class)) + " at an attribute path a rule cannot name: ";
        for (char c : e->path) comments += (c == '\n' || c == '\r') ? ' ' : c;
        comments += "\n";
        continue;
      }
      if (std::find(seen_paths.begin(), seen_paths.end(), e->path) != seen_paths.end()) continue;
      seen_paths.push_back(e->path);
      masks += "      - {path: \"" + e->path + "\", " + mask_for(e->data_class) + "}  # " +
               std::string(to_string(e->data_class)) + ", confidence " + std::to_string(e->confidence).substr(0, 4) +
               ", " + std::to_string(e->values) + " values seen\n";
      const std::string tag(tag_for(e->data_class));
      if (std::find(seen_tags.begin(), seen_tags.end(), tag) == seen_tags.end()) seen_tags.push_back(tag);
    }
    if (masks.empty()) {
      out += comments;
      continue;
    }
    for (std::size_t i = 0; i < seen_tags.size(); ++i) tags += (i ? ", \"" : "\"") + seen_tags[i] + "\"";
    std::string quoted_table;
    storage::json::append_string(quoted_table, table);
    out += "  - id: " + rule_id_for(table) + "\n    description: sensitive attributes found unmasked by discovery\n" +
           "    when: {table: " + quoted_table + "}\n    mask:\n" + masks + comments + "    tags: [" + tags + "]\n";
  }
  return out;
}

}  // namespace dynaudit::discovery
