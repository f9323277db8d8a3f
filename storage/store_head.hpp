// A store as its witness sees it: id, anchor and head from "meta", and the
// hash stored in any record. Shared by the writer's start-up check and the
// reader's `audit verify`.
#pragma once

#include <string>

#include "storage/rocks_handle.hpp"
#include "storage/witness_check.hpp"

namespace dynaudit::storage {

bool read_store_head(const RocksHandle& store, StoreHead& out, std::string& error);

// Looks records up with checksums checked; a record that does not parse
// has no hash any witness can match.
RecordHashLookup record_hash_lookup(const RocksHandle& store);

}  // namespace dynaudit::storage
