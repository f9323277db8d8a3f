// The behaviour analyser's learned state in the store's "baselines" column
// family: one opaque value per principal (analytics/profile_codec.hpp says
// what is in it). Derived from the chain and rewritten as the analyser
// learns, so it lives outside the chain and its checkpoints.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/rocks_handle.hpp"

namespace dynaudit::storage {

using BaselineEntries = std::vector<std::pair<std::string, std::string>>;  // principal -> state
using BaselineVisitor = std::function<void(std::string_view principal, std::string_view state)>;

// False (with the reason) on a write error, or when the store predates the
// family and was not opened by a writer.
bool write_baselines(RocksHandle& store, const BaselineEntries& entries, std::string& error);
// Every entry, in principal order. A store without the family has none.
bool read_baselines(const RocksHandle& store, const BaselineVisitor& visit, std::string& error);

}  // namespace dynaudit::storage
