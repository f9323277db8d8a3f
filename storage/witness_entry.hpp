// One line of the witness file: evidence about the audit store kept outside
// it. Every checkpoint the store writes is also appended to the witness as a
// checkpoint line; a start on a store that no longer matches its witness,
// when an operator accepts it, adds an acceptance line. See
// docs/audit-log.md ("The witness") for the format.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "storage/checkpoint.hpp"

namespace dynaudit::storage {

// A checkpoint as witnessed: which store, and the checkpoint with its
// signature ("" when the store has no checkpoint key) and the key's id.
struct WitnessedCheckpoint {
  std::string store_id;
  Checkpoint checkpoint;
  std::string key_id;
};

// `serve --accept-witness-mismatch` started on a store that lacked or
// contradicted the witness: what was witnessed, what the store held, and
// the record the store appended to say so (sequence and hash, so that the
// acceptance is itself a witnessed point of the chain).
struct WitnessedAcceptance {
  std::string store_id;  // the store as accepted (may differ from the witnessed one)
  std::int64_t time_ms = 0;
  std::uint64_t record_sequence = 0;
  std::string record_hash;
  std::string witnessed_store_id;
  std::uint64_t witnessed_checkpoint = 0;
  std::uint64_t witnessed_sequence = 0;
  std::string witnessed_hash;
  std::uint64_t store_last_sequence = 0;  // the head the store had before the record
  std::string store_last_hash;
};

struct WitnessEntry {
  enum class Kind { checkpoint, acceptance };
  Kind kind = Kind::checkpoint;
  WitnessedCheckpoint checkpoint;  // kind == checkpoint
  WitnessedAcceptance acceptance;  // kind == acceptance
  std::size_t line = 0;            // 1-based line number in the file (set by readers)

  // The point of the chain this entry vouches for.
  const std::string& store_id() const;
  std::uint64_t sequence() const;
  const std::string& hash() const;
};

// {"type":"checkpoint","storeId":"…","checkpoint":N,"time":"…","timeMs":T,
//  "lastSequence":S,"lastHash":"…","recordCount":C,"signature":"…","keyId":"…"}
std::string witness_line(const WitnessedCheckpoint& entry);
// {"type":"acceptance","storeId":"…","time":"…","timeMs":T,"recordSequence":R,
//  "recordHash":"…","witnessedStoreId":"…","witnessedCheckpoint":N,
//  "witnessedSequence":S,"witnessedHash":"…","storeLastSequence":L,"storeLastHash":"…"}
std::string witness_line(const WitnessedAcceptance& entry);
// Reads what witness_line wrote (no newline); nullopt for anything else.
std::optional<WitnessEntry> parse_witness_line(std::string_view line);

// "checkpoint #12 (sequence 40, line 17)" or "the acceptance at line 9 (record 31)".
std::string describe(const WitnessEntry& entry);

}  // namespace dynaudit::storage
