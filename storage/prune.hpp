// Retention: removing the oldest records with their index entries while
// keeping the rest of the chain verifiable. The chain must stay contiguous,
// so pruning stops at the first record (by sequence) not older than the
// cut; "meta" then names that record and its previous hash as the anchor
// verification starts from.
#pragma once

#include <chrono>
#include <string>

#include "storage/audit_reader.hpp"
#include "storage/rocks_handle.hpp"

namespace dynaudit::storage {

// The store must be opened exclusively. Each record removed is checked
// against the chain first: a damaged prefix is not pruned (that would turn
// damage into a clean-looking anchor). Stops with `error` set on damage.
PruneReport prune_records(RocksHandle& store, std::chrono::system_clock::time_point before, std::string& error);

}  // namespace dynaudit::storage
