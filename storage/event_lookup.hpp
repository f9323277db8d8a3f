// Finding one record by its eventID: through idx_event, and by reading the
// records written before the store had that index.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "storage/audit_event.hpp"
#include "storage/rocks_handle.hpp"

namespace dynaudit::storage {

// The newest record with this eventID; nullopt if none (`error` empty) or if
// the store cannot be read (`error` says why).
std::optional<AuditEvent> find_event_by_id(const RocksHandle& store, std::string_view event_id, std::string& error);

}  // namespace dynaudit::storage
