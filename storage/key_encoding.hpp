// Keys of the audit store's column families. Records are keyed by 8-byte
// big-endian sequence so that RocksDB's byte order is sequence order; index
// keys end in <time><sequence> so that one value's entries sort by time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dynaudit::storage::keys {

// Column family names, as stored in the database.
inline constexpr const char* kRecords = "records";
inline constexpr const char* kTimeIndex = "idx_time";
inline constexpr const char* kPrincipalIndex = "idx_principal";
inline constexpr const char* kTableIndex = "idx_table";
inline constexpr const char* kOperationIndex = "idx_operation";
inline constexpr const char* kOutcomeIndex = "idx_outcome";
// Added after the first release: stores written before it lack this family
// until a writer opens them (see RocksHandle::open).
inline constexpr const char* kEventIndex = "idx_event";
inline constexpr const char* kCheckpoints = "checkpoints";
inline constexpr const char* kMeta = "meta";
// The behaviour analyser's learned state, one entry per principal: outside
// the chain (it is derived from it, and rewritten as it learns).
inline constexpr const char* kBaselines = "baselines";
// The sensitive-data inventory, one entry per table, path and class.
inline constexpr const char* kInventory = "inventory";

// Keys in "meta". Numbers are be64, hashes lower-case hex text.
inline constexpr std::string_view kMetaLastSequence = "last_sequence";
inline constexpr std::string_view kMetaLastHash = "last_hash";
inline constexpr std::string_view kMetaAnchorSequence = "anchor_sequence";        // first kept after a prune
inline constexpr std::string_view kMetaAnchorPreviousHash = "anchor_previous_hash";
inline constexpr std::string_view kMetaCheckpointCount = "checkpoint_count";
inline constexpr std::string_view kMetaLastProbe = "last_probe";  // written when probing a failed disk
// be64: the first sequence idx_event covers. Records before it were written
// before the store had that index; finding them by eventID means a scan.
inline constexpr std::string_view kMetaEventIndexFrom = "event_index_from";
// Text, 32 hex digits: a random id a writer gives the store when it first
// opens it, so that a witness can tell this store from a re-created one.
inline constexpr std::string_view kMetaStoreId = "store_id";

// Values in idx_outcome: one entry per decision, one per error code and one
// for "any error", so that each filter is an equality lookup.
std::string decision_value(std::string_view decision);   // "decision:<d>"
std::string error_value(std::string_view error_code);    // "error:<code>", "error:*" for any

void append_be64(std::string& out, std::uint64_t value);
std::uint64_t read_be64(std::string_view eight_bytes);

// Times are signed; flipping the sign bit makes the unsigned big-endian
// bytes sort the same way the signed numbers do (before 1970 sorts first).
std::uint64_t sortable_time(std::int64_t time_ms);
std::int64_t time_from_sortable(std::uint64_t sortable);

std::string record_key(std::uint64_t sequence);
std::optional<std::uint64_t> sequence_from_record_key(std::string_view key);

// idx_time: <be64 sortable time><be64 sequence>.
std::string time_index_key(std::int64_t time_ms, std::uint64_t sequence);
// Other indexes: <value bytes>\0<be64 sortable time><be64 sequence>; in
// idx_event the value is the eventID.
std::string value_index_prefix(std::string_view value);  // <value>\0
std::string value_index_key(std::string_view value, std::int64_t time_ms, std::uint64_t sequence);

// The time and sequence every index key ends with.
struct IndexKeyTail {
  std::int64_t time_ms = 0;
  std::uint64_t sequence = 0;
};
std::optional<IndexKeyTail> index_key_tail(std::string_view key);

// checkpoints: <be64 last sequence><be64 checkpoint number>: sequence order,
// and checkpoints written in silence (same sequence) in the order written.
std::string checkpoint_key(std::uint64_t last_sequence, std::uint64_t number);

}  // namespace dynaudit::storage::keys
