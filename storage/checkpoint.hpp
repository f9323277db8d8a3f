// A signed checkpoint: the head of the hash chain at a moment, signed with
// the store's Ed25519 key. Written every N seconds or records, also when no
// record came in, so that a quiet period is provable and a rewritten chain
// no longer matches what was signed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dynaudit::storage {

struct Checkpoint {
  std::uint64_t number = 0;         // 1, 2, 3... in the order written
  std::int64_t time_ms = 0;
  std::uint64_t last_sequence = 0;  // the chain head when written (0: empty store)
  std::string last_hash;            // hash of record last_sequence ("" for none)
  std::uint64_t record_count = 0;   // records since the previous checkpoint (0: silence)
  std::string signature;            // hex Ed25519 signature over signed_bytes()
};

// What is signed: {"checkpoint":N,"time":"…","timeMs":T,"lastSequence":S,
// "lastHash":"…","recordCount":C}, in that order, no white space.
std::string checkpoint_signed_bytes(const Checkpoint& checkpoint);
// The stored value: the signed bytes with ,"signature":"…" before the brace.
std::string checkpoint_value(const Checkpoint& checkpoint);
std::optional<Checkpoint> parse_checkpoint(std::string_view value);

}  // namespace dynaudit::storage
