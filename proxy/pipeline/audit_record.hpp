// Builds the audit record of a call from what the pipeline learnt about it:
// the caller, the request facts, the connection and the answer. Pure: no
// store, no sockets. Item values and ExpressionAttributeValues never enter
// the record; key values and attribute names do, as in CloudTrail. Whatever
// the rules, expressions keep only names and placeholders, PartiQL literals
// become hash tokens and error messages lose the request's values
// (audit_values.hpp).
#pragma once

#include <chrono>
#include <span>
#include <string>
#include <string_view>

#include "ddb/request_facts.hpp"
#include "masking/mask_plan.hpp"
#include "proxy/auth/principal.hpp"
#include "proxy/net/connection_info.hpp"
#include "proxy/net/upstream_attempt.hpp"
#include "proxy/pipeline/audit_tokens.hpp"
#include "storage/audit_event.hpp"

namespace dynaudit::proxy {

struct CallSummary {
  const ddb::RequestFacts* facts = nullptr;  // nullptr when the body was not read
  std::string_view target;                   // X-Amz-Target as sent
  const Principal* principal = nullptr;
  const ConnectionInfo* connection = nullptr;
  std::string_view user_agent;
  std::string_view host_header;
  std::string_view auth_mode;  // "trust" | "verify"
  std::string_view region;
  std::string_view account_id;
  unsigned status = 0;
  std::string_view response_body;  // for the error message and item counts
  std::string_view request_body;   // the values an error message must not echo into the record
  const masking::MaskKeys* mask_keys = nullptr;  // hash tokens; without them statements are not kept
  std::string error_type;          // short __type, empty on success
  std::string request_id;
  std::string outcome;             // "forwarded" | "rejected" | "upstream_error"
  std::uint64_t request_bytes = 0;
  std::uint64_t response_bytes = 0;
  std::chrono::microseconds proxy_latency{0};
  std::chrono::microseconds upstream_latency{0};
  std::span<const UpstreamAttempt> upstream_attempts;  // empty when not forwarded
  std::chrono::system_clock::time_point time;
};

storage::AuditEvent make_audit_event(const CallSummary& call);

// The intent record of write-ahead mode: written before forwarding.
storage::AuditEvent make_intent_event(const CallSummary& call);

// The record's upstreamAttempts: every try, or none when the call was
// answered on its first (the common case keeps its record short).
std::vector<storage::UpstreamAttemptRecord> upstream_attempt_records(std::span<const UpstreamAttempt> attempts);

// CloudTrail-style requestParameters for a call (JSON object text).
// PartiQL statements are kept (as `statements`, literals hashed) only when
// `tokens` is given.
std::string request_parameters_json(const ddb::RequestFacts& facts, AuditTokens* tokens = nullptr);

// Items the upstream returned (Count of Query/Scan, 1 for a found GetItem, the
// items of batch and transaction reads); 0 when unknown.
std::uint64_t response_item_count(std::string_view operation, std::string_view body);

// The "message" (or "Message") of a DynamoDB error body; empty if none.
std::string error_message_of(std::string_view body);

}  // namespace dynaudit::proxy
