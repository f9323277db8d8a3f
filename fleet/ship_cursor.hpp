// How far a proxy has shipped its chain to the fleet table, kept in a small
// private file beside the store and rewritten atomically after each round
// the table acknowledged. A crash between the table's answer and the file's
// rename ships that round again, which writes the same items again
// (fleet_table.hpp): at-least-once delivery, never a hole.
#pragma once

#include <cstdint>
#include <string>

namespace dynaudit::fleet {

struct ShipCursor {
  std::uint64_t sequence = 0;   // every record up to this one is in the table
  std::string hash;             // its hash: the next record must link to it
  std::string day;              // its day bucket (the next is never earlier)
  std::string first_day;        // the bucket of the first record shipped
  std::uint64_t checkpoint_number = 0;    // the newest checkpoint shipped
  std::uint64_t checkpoint_sequence = 0;  // and the chain head it covers
};

// A missing file is a fresh cursor (true). False with `error` when the file
// exists but cannot be read or parsed: shipping must not restart from 0
// silently over a damaged cursor.
bool load_cursor(const std::string& path, ShipCursor& out, std::string& error);
// Write to a temporary file, fsync, rename, fsync the folder; mode 0600.
bool save_cursor(const std::string& path, const ShipCursor& cursor, std::string& error);

}  // namespace dynaudit::fleet
