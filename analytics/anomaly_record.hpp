// An anomaly as an audit record: eventName "Anomaly", made by dynaudit's own
// principal "dynaudit:analytics", the anomaly's JSON as requestParameters and
// its tables as resources — so it is hash-chained, checkpointed and found by
// `audit query --operation Anomaly` like any call. Outcome "anomaly": the
// analyser never learns from its own records.
#pragma once

#include <optional>

#include "analytics/anomaly.hpp"
#include "storage/audit_event.hpp"

namespace dynaudit::analytics {

inline constexpr std::string_view kAnomalyEventName = "Anomaly";
inline constexpr std::string_view kAnalyticsPrincipal = "dynaudit:analytics";

storage::AuditEvent make_anomaly_record(const Anomaly& anomaly);
// nullopt for any record that is not an Anomaly record.
std::optional<Anomaly> anomaly_of_record(const storage::AuditEvent& record);

}  // namespace dynaudit::analytics
