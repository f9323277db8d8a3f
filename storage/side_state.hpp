// State derived from the chain and kept beside it, each kind in a column
// family of its own: the behaviour analyser's profiles ("baselines", keyed by
// principal; analytics/profile_codec.hpp) and the sensitive-data inventory
// ("inventory", keyed by table, path and class; discovery/inventory.hpp).
// Rewritten as it is learned, so it lives outside the chain and its
// checkpoints; opaque values, never item values.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/rocks_handle.hpp"

namespace dynaudit::storage {

enum class SideState { baselines, inventory };
std::string_view to_string(SideState kind);

using SideEntries = std::vector<std::pair<std::string, std::string>>;  // key -> state
using SideVisitor = std::function<void(std::string_view key, std::string_view state)>;

// False (with the reason) on a write error, or when the store predates the
// family and was not opened by a writer.
bool write_side_state(RocksHandle& store, SideState kind, const SideEntries& entries, std::string& error);
// Every entry, in key order. A store without the family has none.
bool read_side_state(const RocksHandle& store, SideState kind, const SideVisitor& visit, std::string& error);

}  // namespace dynaudit::storage
