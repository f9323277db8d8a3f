// The shipping cursor file (see ship_cursor.hpp).
#include "fleet/ship_cursor.hpp"

#include <simdjson.h>

#include "fleet/private_file.hpp"
#include "storage/json_text.hpp"

namespace dynaudit::fleet {

bool load_cursor(const std::string& path, ShipCursor& out, std::string& error) {
  out = ShipCursor{};
  const auto body = read_whole_file(path, error);
  if (!body) return error.empty();
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  std::uint64_t sequence = 0, number = 0, covered = 0;
  std::string_view hash, day, first_day;
  if (parser.parse(*body).get(doc) || doc["sequence"].get_uint64().get(sequence) ||
      doc["hash"].get_string().get(hash) || doc["day"].get_string().get(day) ||
      doc["firstDay"].get_string().get(first_day) || doc["checkpoint"].get_uint64().get(number) ||
      doc["checkpointSequence"].get_uint64().get(covered)) {
    error = path + ": not a shipping cursor (damaged?); move it away to ship everything again";
    return false;
  }
  out.sequence = sequence;
  out.hash = hash;
  out.day = day;
  out.first_day = first_day;
  out.checkpoint_number = number;
  out.checkpoint_sequence = covered;
  return true;
}

bool save_cursor(const std::string& path, const ShipCursor& cursor, std::string& error) {
  std::string text = "{\"sequence\":" + std::to_string(cursor.sequence) + ",\"hash\":";
  storage::json::append_string(text, cursor.hash);
  text += ",\"day\":";
  storage::json::append_string(text, cursor.day);
  text += ",\"firstDay\":";
  storage::json::append_string(text, cursor.first_day);
  text += ",\"checkpoint\":" + std::to_string(cursor.checkpoint_number) +
          ",\"checkpointSequence\":" + std::to_string(cursor.checkpoint_sequence) + "}\n";
  return write_file_atomically(path, text, error);
}

}  // namespace dynaudit::fleet
