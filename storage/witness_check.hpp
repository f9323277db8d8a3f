// Comparing an audit store with its witness. A store must hold every point
// of the chain the witness vouches for: the same store id, and at each
// witnessed sequence the witnessed hash. A store that lacks one (truncated,
// rolled back to an older copy, deleted and re-created) or holds another
// hash there (rewritten) does not match. `serve` checks the newest entry at
// start; `audit verify` checks them all.
#pragma once

#include <openssl/evp.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "storage/witness_entry.hpp"

namespace dynaudit::storage {

// What the comparison needs to know about a store.
struct StoreHead {
  bool exists = true;
  std::string store_id;  // "" for a store written before store ids
  std::uint64_t anchor_sequence = 1;
  std::string anchor_previous_hash;
  std::uint64_t last_sequence = 0;
  std::string last_hash;
};

// The hash stored in record `sequence` (`hash` nullopt: no such record).
// False, with `error`, on a storage error.
using RecordHashLookup =
    std::function<bool(std::uint64_t sequence, std::optional<std::string>& hash, std::string& error)>;

enum class WitnessMatch {
  matches,
  pruned,    // the witnessed record was pruned since: nothing left to compare
  mismatch,  // `problem` says how, naming the entry and the sequence
  error,     // the store could not be read (`problem`)
};

WitnessMatch compare_with_witness(const StoreHead& store, const RecordHashLookup& lookup, const WitnessEntry& entry,
                                  std::string& problem);

struct WitnessReport {
  bool ok() const { return !mismatch && error.empty(); }
  std::uint64_t entries = 0;   // entries read
  std::uint64_t checked = 0;   // compared with the store (since the last acceptance)
  std::uint64_t pruned = 0;    // about records pruned since
  std::uint64_t unsigned_checkpoints = 0;  // checkpoint entries without a signature
  std::optional<std::string> mismatch;     // the first since the last acceptance
  std::vector<WitnessedAcceptance> acceptances;  // losses accepted by `serve --accept-witness-mismatch`
  std::optional<WitnessEntry> newest;      // the newest entry of this store since the last acceptance
  std::uint64_t not_yet_provable = 0;      // records after `newest` (all records when none)
  std::string error;                       // reading the store failed
};

// Feeds a whole witness, in file order, through compare_with_witness. With
// a public key, checkpoint signatures are checked too. Entries before an
// acceptance were accepted: they are not compared, and the acceptance is
// listed (verify keeps reporting what was lost).
class WitnessComparison {
 public:
  WitnessComparison(StoreHead store, RecordHashLookup lookup, EVP_PKEY* public_key = nullptr);
  void add(const WitnessEntry& entry);
  WitnessReport finish();

 private:
  StoreHead store_;
  RecordHashLookup lookup_;
  EVP_PKEY* public_key_;
  WitnessReport report_;
};

}  // namespace dynaudit::storage
