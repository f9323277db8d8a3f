// Anomaly <-> audit record (anomaly_record.hpp).
#include "analytics/anomaly_record.hpp"

namespace dynaudit::analytics {

storage::AuditEvent make_anomaly_record(const Anomaly& anomaly) {
  storage::AuditEvent e;
  e.event_id = storage::new_event_id();
  e.event_time = std::chrono::system_clock::now();
  e.event_name = std::string(kAnomalyEventName);
  e.user_identity.type = "dynaudit";
  e.user_identity.principal_id = std::string(kAnalyticsPrincipal);
  e.user_identity.user_name = std::string(kAnalyticsPrincipal);
  e.request_parameters_json = to_json(anomaly);
  e.tables = anomaly.tables;
  e.read_only = true;
  e.outcome = "anomaly";
  e.decision = "allow";
  e.tags = {"anomaly", "anomaly:" + anomaly.feature, "severity:" + std::string(to_string(anomaly.severity))};
  return e;
}

std::optional<Anomaly> anomaly_of_record(const storage::AuditEvent& record) {
  if (record.event_name != kAnomalyEventName || record.outcome != "anomaly" ||
      record.user_identity.principal_id != kAnalyticsPrincipal)
    return std::nullopt;
  return anomaly_from_json(record.request_parameters_json);
}

}  // namespace dynaudit::analytics
