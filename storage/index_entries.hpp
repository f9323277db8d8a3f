// The index entries one audit record gets. The writer adds them in the same
// WriteBatch as the record and prune removes them with it, so both must
// derive them from the record the same way: here.
#pragma once

#include <string>
#include <vector>

#include "storage/audit_event.hpp"

namespace dynaudit::storage {

enum class IndexFamily { time, principal, table, operation, outcome, event };

struct IndexEntry {
  IndexFamily family;
  std::string key;  // values are empty: the key says everything
};

// Uses event.sequence and the event time in whole milliseconds.
std::vector<IndexEntry> index_entries(const AuditEvent& event);

}  // namespace dynaudit::storage
