// Witness lines: writing and strictly reading them back (see witness_entry.hpp).
#include "storage/witness_entry.hpp"

#include "storage/json_text.hpp"
#include "storage/time_format.hpp"

namespace dynaudit::storage {
namespace {

void add_string(std::string& out, std::string_view name, std::string_view value) {
  out += ",\"";
  out += name;
  out += "\":";
  json::append_string(out, value);
}

void add_number(std::string& out, std::string_view name, std::uint64_t value) {
  out += ",\"";
  out += name;
  out += "\":" + std::to_string(value);
}

// ,"time":"…","timeMs":T — the text is derived from T and must agree with it.
void add_time(std::string& out, std::int64_t time_ms) {
  add_string(out, "time", cloudtrail_time(time_ms));
  out += ",\"timeMs\":" + std::to_string(time_ms);
}

bool read_time(json::Cursor& cursor, std::int64_t& time_ms) {
  std::string text;
  if (!(cursor.literal(",\"time\":") && cursor.string(text) && cursor.literal(",\"timeMs\":") &&
        cursor.int64(time_ms))) {
    return false;
  }
  return time_ms <= kMaxAbsUnixMs && time_ms >= -kMaxAbsUnixMs && text == cloudtrail_time(time_ms);
}

std::optional<WitnessEntry> parse_checkpoint_line(json::Cursor& cursor) {
  WitnessEntry entry;
  entry.kind = WitnessEntry::Kind::checkpoint;
  auto& w = entry.checkpoint;
  auto& c = w.checkpoint;
  const bool ok = cursor.literal(",\"storeId\":") && cursor.string(w.store_id) &&
                  cursor.literal(",\"checkpoint\":") && cursor.uint64(c.number) && read_time(cursor, c.time_ms) &&
                  cursor.literal(",\"lastSequence\":") && cursor.uint64(c.last_sequence) &&
                  cursor.literal(",\"lastHash\":") && cursor.string(c.last_hash) &&
                  cursor.literal(",\"recordCount\":") && cursor.uint64(c.record_count) &&
                  cursor.literal(",\"signature\":") && cursor.string(c.signature) &&
                  cursor.literal(",\"keyId\":") && cursor.string(w.key_id) && cursor.literal("}") &&
                  cursor.at_end();
  if (!ok) return std::nullopt;
  return entry;
}

std::optional<WitnessEntry> parse_acceptance_line(json::Cursor& cursor) {
  WitnessEntry entry;
  entry.kind = WitnessEntry::Kind::acceptance;
  auto& a = entry.acceptance;
  const bool ok = cursor.literal(",\"storeId\":") && cursor.string(a.store_id) && read_time(cursor, a.time_ms) &&
                  cursor.literal(",\"recordSequence\":") && cursor.uint64(a.record_sequence) &&
                  cursor.literal(",\"recordHash\":") && cursor.string(a.record_hash) &&
                  cursor.literal(",\"witnessedStoreId\":") && cursor.string(a.witnessed_store_id) &&
                  cursor.literal(",\"witnessedCheckpoint\":") && cursor.uint64(a.witnessed_checkpoint) &&
                  cursor.literal(",\"witnessedSequence\":") && cursor.uint64(a.witnessed_sequence) &&
                  cursor.literal(",\"witnessedHash\":") && cursor.string(a.witnessed_hash) &&
                  cursor.literal(",\"storeLastSequence\":") && cursor.uint64(a.store_last_sequence) &&
                  cursor.literal(",\"storeLastHash\":") && cursor.string(a.store_last_hash) &&
                  cursor.literal("}") && cursor.at_end();
  if (!ok) return std::nullopt;
  return entry;
}

}  // namespace

const std::string& WitnessEntry::store_id() const {
  return kind == Kind::checkpoint ? checkpoint.store_id : acceptance.store_id;
}

std::uint64_t WitnessEntry::sequence() const {
  return kind == Kind::checkpoint ? checkpoint.checkpoint.last_sequence : acceptance.record_sequence;
}

const std::string& WitnessEntry::hash() const {
  return kind == Kind::checkpoint ? checkpoint.checkpoint.last_hash : acceptance.record_hash;
}

std::string witness_line(const WitnessedCheckpoint& w) {
  const Checkpoint& c = w.checkpoint;
  std::string out = "{\"type\":\"checkpoint\"";
  add_string(out, "storeId", w.store_id);
  add_number(out, "checkpoint", c.number);
  add_time(out, c.time_ms);
  add_number(out, "lastSequence", c.last_sequence);
  add_string(out, "lastHash", c.last_hash);
  add_number(out, "recordCount", c.record_count);
  add_string(out, "signature", c.signature);
  add_string(out, "keyId", w.key_id);
  out += '}';
  return out;
}

std::string witness_line(const WitnessedAcceptance& a) {
  std::string out = "{\"type\":\"acceptance\"";
  add_string(out, "storeId", a.store_id);
  add_time(out, a.time_ms);
  add_number(out, "recordSequence", a.record_sequence);
  add_string(out, "recordHash", a.record_hash);
  add_string(out, "witnessedStoreId", a.witnessed_store_id);
  add_number(out, "witnessedCheckpoint", a.witnessed_checkpoint);
  add_number(out, "witnessedSequence", a.witnessed_sequence);
  add_string(out, "witnessedHash", a.witnessed_hash);
  add_number(out, "storeLastSequence", a.store_last_sequence);
  add_string(out, "storeLastHash", a.store_last_hash);
  out += '}';
  return out;
}

std::optional<WitnessEntry> parse_witness_line(std::string_view line) {
  json::Cursor cursor(line);
  if (cursor.literal("{\"type\":\"checkpoint\"")) return parse_checkpoint_line(cursor);
  if (cursor.literal("{\"type\":\"acceptance\"")) return parse_acceptance_line(cursor);
  return std::nullopt;
}

std::string describe(const WitnessEntry& entry) {
  const std::string line = entry.line ? ", witness line " + std::to_string(entry.line) : std::string();
  if (entry.kind == WitnessEntry::Kind::checkpoint) {
    return "witnessed checkpoint #" + std::to_string(entry.checkpoint.checkpoint.number) + " (sequence " +
           std::to_string(entry.sequence()) + ", " + cloudtrail_time(entry.checkpoint.checkpoint.time_ms) + line + ")";
  }
  return "the witnessed acceptance of " + cloudtrail_time(entry.acceptance.time_ms) + " (record sequence " +
         std::to_string(entry.sequence()) + line + ")";
}

}  // namespace dynaudit::storage
