// Index entries of an audit record (see index_entries.hpp).
#include "storage/index_entries.hpp"

#include "storage/key_encoding.hpp"
#include "storage/time_format.hpp"

namespace dynaudit::storage {

std::vector<IndexEntry> index_entries(const AuditEvent& event) {
  const std::int64_t time_ms = unix_ms(event.event_time);
  const std::uint64_t seq = event.sequence;
  std::vector<IndexEntry> entries;
  entries.reserve(8 + event.tables.size());
  entries.push_back({IndexFamily::time, keys::time_index_key(time_ms, seq)});
  entries.push_back({IndexFamily::principal,
                     keys::value_index_key(event.user_identity.principal_id, time_ms, seq)});
  for (const auto& table : event.tables) {
    entries.push_back({IndexFamily::table, keys::value_index_key(table, time_ms, seq)});
  }
  entries.push_back({IndexFamily::operation, keys::value_index_key(event.event_name, time_ms, seq)});
  entries.push_back(
      {IndexFamily::outcome, keys::value_index_key(keys::decision_value(event.decision), time_ms, seq)});
  if (!event.error_code.empty()) {
    entries.push_back(
        {IndexFamily::outcome, keys::value_index_key(keys::error_value(event.error_code), time_ms, seq)});
    entries.push_back(
        {IndexFamily::outcome, keys::value_index_key(keys::error_value("*"), time_ms, seq)});
  }
  if (!event.event_id.empty()) {
    entries.push_back({IndexFamily::event, keys::value_index_key(event.event_id, time_ms, seq)});
  }
  return entries;
}

}  // namespace dynaudit::storage
