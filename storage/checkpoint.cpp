// Checkpoint bytes: what is signed and what is stored (see checkpoint.hpp).
#include "storage/checkpoint.hpp"

#include "storage/json_text.hpp"
#include "storage/time_format.hpp"

namespace dynaudit::storage {

std::string checkpoint_signed_bytes(const Checkpoint& c) {
  std::string out = "{\"checkpoint\":" + std::to_string(c.number) + ",\"time\":";
  json::append_string(out, cloudtrail_time(c.time_ms));
  out += ",\"timeMs\":" + std::to_string(c.time_ms);
  out += ",\"lastSequence\":" + std::to_string(c.last_sequence) + ",\"lastHash\":";
  json::append_string(out, c.last_hash);
  out += ",\"recordCount\":" + std::to_string(c.record_count) + "}";
  return out;
}

std::string checkpoint_value(const Checkpoint& c) {
  std::string out = checkpoint_signed_bytes(c);
  out.pop_back();
  out += ",\"signature\":";
  json::append_string(out, c.signature);
  out += '}';
  return out;
}

std::optional<Checkpoint> parse_checkpoint(std::string_view value) {
  json::Cursor cursor(value);
  Checkpoint c;
  std::string time;
  const bool ok = cursor.literal("{\"checkpoint\":") && cursor.uint64(c.number) &&
                  cursor.literal(",\"time\":") && cursor.string(time) &&
                  cursor.literal(",\"timeMs\":") && cursor.int64(c.time_ms) &&
                  cursor.literal(",\"lastSequence\":") && cursor.uint64(c.last_sequence) &&
                  cursor.literal(",\"lastHash\":") && cursor.string(c.last_hash) &&
                  cursor.literal(",\"recordCount\":") && cursor.uint64(c.record_count) &&
                  cursor.literal(",\"signature\":") && cursor.string(c.signature) &&
                  cursor.literal("}") && cursor.at_end();
  if (!ok || c.time_ms > kMaxAbsUnixMs || c.time_ms < -kMaxAbsUnixMs) return std::nullopt;
  if (time != cloudtrail_time(c.time_ms)) return std::nullopt;
  return c;
}

}  // namespace dynaudit::storage
