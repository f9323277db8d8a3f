// The policy stage: turns what the pipeline knows about a call into the rule
// engine's inputs, and the engine's Decision into what the proxy does with
// it (an AccessDeniedException, the audit record's rule fields, alerts).
// Pure functions of values; no sockets, no store, unit-tested on their own.
#pragma once

#include <chrono>
#include <string_view>

#include "alerts/alert.hpp"
#include "ddb/error_response.hpp"
#include "ddb/request_facts.hpp"
#include "proxy/auth/principal.hpp"
#include "proxy/net/connection_info.hpp"
#include "rules/context.hpp"
#include "rules/decision.hpp"
#include "storage/audit_event.hpp"

namespace dynaudit::proxy {

rules::RequestContext rule_request_context(const ddb::RequestFacts* facts, const Principal& principal,
                                           const ConnectionInfo& connection,
                                           std::chrono::system_clock::time_point time);

// Status, error type, items returned, consumed capacity and size of an
// upstream answer. Parses the body once; only called when some rule reads
// response facts.
rules::ResponseContext rule_response_context(std::string_view operation, unsigned status,
                                             std::string_view error_type, std::string_view body);

// The AccessDeniedException a denied call gets: the determining rule's
// message, or a default-deny message naming no rule.
ddb::DdbError denial_error(const rules::Decision& decision);

// Copies the decision into the record: decision, matched, determining and
// shadow rules, tags, alerting rules, audit level, withheld response.
void record_decision(const rules::Decision& decision, storage::AuditEvent& event);

// Whether a call is recorded at all: audit level `none` skips the record of
// an allowed call; a denied call is always recorded.
bool decision_wants_record(const rules::Decision& decision);

// The facts every alert about a call carries (rule, time, event, principal,
// operation, tables, source, decision, tags); channel and message are the caller's.
alerts::Alert alert_about(const rules::Rule& rule, const rules::Decision& decision, const storage::AuditEvent& event);

// The alert a matched rule raises about the call its record describes.
alerts::Alert alert_for(const rules::Rule& rule, const rules::Decision& decision, const storage::AuditEvent& event);

}  // namespace dynaudit::proxy
