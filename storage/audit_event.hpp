// The audit record: one per call through dynaudit (allowed, denied, failed
// authentication, malformed, upstream error). Follows the AWS CloudTrail
// record format so that tools reading CloudTrail read dynaudit's log;
// dynaudit's own facts live under additionalEventData. See docs/audit-log.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dynaudit::storage {

struct UserIdentity {
  std::string type;            // "IAMUser" when verified, "Unknown" in trust mode or on failure
  std::string principal_id;    // the principal name (verified) or the claimed access key
  std::string access_key_id;   // as claimed by the caller (never a secret)
  std::string user_name;       // principal name from the credentials file; empty if unverified
};

struct TlsDetails {
  std::string tls_version;                  // "TLSv1.3"
  std::string cipher_suite;
  std::string client_provided_host_header;  // Host the client sent
};

// One try of sending the call to the upstream, as the proxy saw it
// (additionalEventData.upstreamAttempts, docs/audit-log.md).
struct UpstreamAttemptRecord {
  std::string connection;    // "new" | "reused" (an idle pooled connection)
  std::string request_sent;  // "none" | "partial" | "whole": how much was written to the socket
  std::string result;        // "response" | "connect_failed" | "closed" | "reset" | "timeout" | "failed"
  std::string error;         // the transport error; "" for a response
};

// What kind of record: a call's outcome; in write-ahead mode, the intent
// written before forwarding (the outcome record follows and names it).
enum class RecordPhase { outcome, intent };

struct AuditEvent {
  // --- CloudTrail fields ---------------------------------------------------
  std::string event_id;  // UUID v4, made by the proxy
  std::chrono::system_clock::time_point event_time;
  std::string event_name;   // the operation ("GetItem"); the raw target if unknown
  std::string aws_region;   // the upstream region
  std::string source_ip;
  std::string user_agent;
  UserIdentity user_identity;
  // JSON object text, built by the proxy the way CloudTrail logs DynamoDB
  // calls: table names, key values, attribute *names*, expressions and
  // ExpressionAttributeNames; never item values or ExpressionAttributeValues.
  std::string request_parameters_json = "null";
  std::string response_elements_json = "null";  // JSON object text or "null"
  std::string request_id;                       // the upstream's x-amzn-RequestId
  bool read_only = false;
  bool management_event = false;
  std::vector<std::string> tables;  // resources: AWS::DynamoDB::Table with its ARN
  std::string account_id;           // for ARNs; configured, may be empty
  std::string error_code;           // short __type, e.g. "ConditionalCheckFailedException"
  std::string error_message;
  std::optional<TlsDetails> tls;    // absent for plain HTTP
  std::string api_version = "2012-08-10";

  // --- additionalEventData: dynaudit's own facts ---------------------------
  RecordPhase phase = RecordPhase::outcome;
  std::optional<std::uint64_t> intent_sequence;  // outcome records in write-ahead mode
  std::string auth_mode;          // "trust" | "verify"
  bool signature_verified = false;
  std::string decision = "allow"; // "allow" | "deny"
  std::vector<std::string> matched_rules;  // enforce-mode rules whose conditions held
  // The rules' own account of the call; each is written only when set, so
  // records of calls no rule touched stay short.
  std::string determining_rule;            // the rule that decided; "" = the default effect
  std::vector<std::string> shadow_rules;   // shadow-mode rules whose conditions held
  std::string shadow_decision;             // the decision had shadow rules been enforced
  std::vector<std::string> tags;           // compliance tags of the matched rules
  std::vector<std::string> alerted_rules;  // rules that raised an alert on this call
  std::vector<std::string> masked_rules;   // rules whose mask plan applied to the response
  // Uses of a masked attribute other than reading it back, each as
  // "<rule> <action>: <attribute> <use> in <member>" (refused or alerted).
  std::vector<std::string> masked_uses;
  std::string audit_level;                 // "" = metadata; "full" adds request_body_json
  bool response_withheld = false;          // a response-phase deny kept the data from the client
  std::string request_body_json;           // audit level full: the request body, kept as a JSON string
  // Clear values the proxy masked, sealed with AES-256-GCM (value_seal.hpp)
  // with the record's eventID as additional data, so the blob opens in this
  // record only. Its plaintext is a JSON object the proxy defines; storage
  // keeps the sealed text as it is. "" = nothing sealed.
  std::string sealed_values;
  std::string seal_key_id;                 // SealKey::id of the key sealed_values needs
  std::string outcome;            // "forwarded" | "rejected" | "upstream_error"
  unsigned http_status = 0;
  std::uint64_t request_items = 0;
  std::uint64_t response_items = 0;
  std::uint64_t request_bytes = 0;
  std::uint64_t response_bytes = 0;
  std::uint64_t proxy_latency_us = 0;
  std::uint64_t upstream_latency_us = 0;
  // Every try of sending the call upstream, in order. Written only when
  // there was more than one or one failed: absent means the call was not
  // forwarded, or was answered on the first try.
  std::vector<UpstreamAttemptRecord> upstream_attempts;
  std::string listener;

  // --- set by the store on append ------------------------------------------
  std::uint64_t sequence = 0;
  std::string previous_hash;  // hex SHA-256 of the previous record ("" before the first)
  std::string hash;           // hex SHA-256(previous hash bytes || canonical bytes)
};

// The record as one JSON object (CloudTrail field names). `include_hash`
// false gives the canonical bytes the hash is computed over: every field but
// `hash` itself, in a fixed order, with no insignificant white space.
// eventTime has whole seconds, as CloudTrail's; the millisecond is kept in
// additionalEventData.eventTimeMs, and finer parts of event_time are dropped.
// Raw JSON fields are inserted as given (trimmed; empty text becomes null).
std::string to_json(const AuditEvent& event, bool include_hash = true);

// Parses what to_json wrote. nullopt on anything else.
std::optional<AuditEvent> from_json(std::string_view json);
// The same into `out`, reusing its strings' and lists' storage (for readers
// of millions of records); false when `json` is not a record (`out` is then
// unspecified).
bool parse_record(std::string_view json, AuditEvent& out);

std::string new_event_id();  // random UUID v4

}  // namespace dynaudit::storage
