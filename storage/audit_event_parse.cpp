// Reads an audit record back from the JSON to_json wrote. Strict: the fields
// must come in to_json's order, so anything else (a record edited by hand,
// another tool's JSON) is refused rather than half understood.
#include <string>

#include "storage/audit_event.hpp"
#include "storage/json_text.hpp"
#include "storage/time_format.hpp"

namespace dynaudit::storage {
namespace {

using json::Cursor;

// "key": for the next field; keys are plain ASCII, written without escapes.
bool key(Cursor& c, std::string_view name) {
  return c.literal("\"") && c.literal(name) && c.literal("\":");
}

bool string_field(Cursor& c, std::string_view name, std::string& out, bool first = false) {
  return (first || c.literal(",")) && key(c, name) && c.string(out);
}

bool uint_field(Cursor& c, std::string_view name, std::uint64_t& out) {
  return c.literal(",") && key(c, name) && c.uint64(out);
}

bool bool_field(Cursor& c, std::string_view name, bool& out) {
  return c.literal(",") && key(c, name) && c.boolean(out);
}

bool read_user_identity(Cursor& c, UserIdentity& identity) {
  return c.literal("{") && string_field(c, "type", identity.type, true) &&
         string_field(c, "principalId", identity.principal_id) &&
         string_field(c, "accessKeyId", identity.access_key_id) &&
         string_field(c, "userName", identity.user_name) && c.literal("}");
}

// Resources name the table in an ARN; the account is checked against
// recipientAccountId later, when that field has been read.
bool read_resources(Cursor& c, const std::string& region, std::vector<std::string>& tables,
                    std::vector<std::string>& accounts) {
  if (!c.literal("[")) return false;
  if (c.literal("]")) return true;
  // Scratch kept per thread: verify parses millions of records.
  thread_local std::string account;
  thread_local std::string arn;
  do {
    if (!(c.literal("{") && string_field(c, "accountId", account, true) &&
          c.literal(",\"type\":\"AWS::DynamoDB::Table\"") && string_field(c, "ARN", arn) &&
          c.literal("}"))) {
      return false;
    }
    // "arn:aws:dynamodb:<region>:<account>:table/<name>", piece by piece.
    std::string_view rest = arn;
    const auto take = [&rest](std::string_view piece) {
      if (!rest.starts_with(piece)) return false;
      rest.remove_prefix(piece.size());
      return true;
    };
    if (!(take("arn:aws:dynamodb:") && take(region) && take(":") && take(account) && take(":table/"))) return false;
    tables.emplace_back(rest);
    accounts.push_back(account);
  } while (c.literal(","));
  return c.literal("]");
}

bool read_tls(Cursor& c, TlsDetails& tls) {
  return c.literal("{") && string_field(c, "tlsVersion", tls.tls_version, true) &&
         string_field(c, "cipherSuite", tls.cipher_suite) &&
         string_field(c, "clientProvidedHostHeader", tls.client_provided_host_header) &&
         c.literal("}");
}

bool read_string_list(Cursor& c, std::vector<std::string>& rules) {
  if (!c.literal("[")) return false;
  if (c.literal("]")) return true;
  do {
    std::string rule;
    if (!c.string(rule)) return false;
    rules.push_back(std::move(rule));
  } while (c.literal(","));
  return c.literal("]");
}

bool read_matched_rules(Cursor& c, std::vector<std::string>& rules) {
  return c.literal(",") && key(c, "matchedRules") && read_string_list(c, rules);
}

bool optional_list(Cursor& c, std::string_view name, std::vector<std::string>& values) {
  if (!c.member(name)) return true;
  return read_string_list(c, values) && !values.empty();
}

bool optional_string(Cursor& c, std::string_view name, std::string& value) {
  if (!c.member(name)) return true;
  return c.string(value) && !value.empty();
}

// The optional members append_rule_details writes, in its order.
bool read_rule_details(Cursor& c, AuditEvent& e) {
  if (!(optional_string(c, "determiningRule", e.determining_rule) && optional_list(c, "shadowRules", e.shadow_rules) &&
        optional_string(c, "shadowDecision", e.shadow_decision) && optional_list(c, "tags", e.tags) &&
        optional_list(c, "alertedRules", e.alerted_rules) && optional_list(c, "maskedRules", e.masked_rules) &&
        optional_list(c, "maskedUses", e.masked_uses) &&
        optional_string(c, "auditLevel", e.audit_level))) {
    return false;
  }
  if (c.literal(",\"responseWithheld\":true")) e.response_withheld = true;
  return optional_string(c, "requestBody", e.request_body_json) &&
         optional_string(c, "sealedValues", e.sealed_values) && optional_string(c, "sealKeyId", e.seal_key_id);
}

// additionalEventData.upstreamAttempts: written only when not empty.
bool read_upstream_attempts(Cursor& c, std::vector<UpstreamAttemptRecord>& attempts) {
  if (!c.literal(",\"upstreamAttempts\":[")) return true;
  do {
    UpstreamAttemptRecord a;
    if (!(c.literal("{") && string_field(c, "connection", a.connection, true) &&
          string_field(c, "requestSent", a.request_sent) && string_field(c, "result", a.result))) {
      return false;
    }
    if (c.peek(",\"error\":") && !(string_field(c, "error", a.error) && !a.error.empty())) return false;
    if (!c.literal("}")) return false;
    attempts.push_back(std::move(a));
  } while (c.literal(","));
  return c.literal("]");
}

bool read_additional_data(Cursor& c, AuditEvent& e, std::int64_t& time_ms) {
  if (!(c.literal("{") && key(c, "sequence") && c.uint64(e.sequence))) return false;
  if (c.literal(",\"phase\":\"outcome\"")) {
    e.phase = RecordPhase::outcome;
  } else if (c.literal(",\"phase\":\"intent\"")) {
    e.phase = RecordPhase::intent;
  } else {
    return false;
  }
  if (c.peek(",\"intentSequence\":")) {
    std::uint64_t intent = 0;
    if (!uint_field(c, "intentSequence", intent)) return false;
    e.intent_sequence = intent;
  }
  std::uint64_t status = 0;
  const bool ok =
      c.literal(",") && key(c, "eventTimeMs") && c.int64(time_ms) &&
      string_field(c, "authMode", e.auth_mode) &&
      bool_field(c, "signatureVerified", e.signature_verified) &&
      string_field(c, "decision", e.decision) && read_matched_rules(c, e.matched_rules) &&
      read_rule_details(c, e) && string_field(c, "outcome", e.outcome) && uint_field(c, "httpStatus", status) &&
      uint_field(c, "requestItems", e.request_items) &&
      uint_field(c, "responseItems", e.response_items) &&
      uint_field(c, "requestBytes", e.request_bytes) &&
      uint_field(c, "responseBytes", e.response_bytes) &&
      uint_field(c, "proxyLatencyUs", e.proxy_latency_us) &&
      uint_field(c, "upstreamLatencyUs", e.upstream_latency_us) &&
      read_upstream_attempts(c, e.upstream_attempts) &&
      string_field(c, "listener", e.listener) && string_field(c, "previousHash", e.previous_hash);
  if (!ok || status > 0xFFFFFFFFu) return false;
  e.http_status = static_cast<unsigned>(status);
  if (c.peek(",\"hash\":") && !string_field(c, "hash", e.hash)) return false;
  return c.literal("}");
}

}  // namespace

// Every member back to what a new AuditEvent holds, keeping the strings'
// and lists' storage. The size check fails when a member is added: clear
// it here too, or a reused event would carry it over from the last record.
void reset_keeping_storage(AuditEvent& e) {
  static_assert(sizeof(AuditEvent) == 1312 || sizeof(void*) != 8,
                "AuditEvent changed: reset the new member in reset_keeping_storage");
  e.event_id.clear();
  e.event_time = {};
  e.event_name.clear();
  e.aws_region.clear();
  e.source_ip.clear();
  e.user_agent.clear();
  e.user_identity.type.clear();
  e.user_identity.principal_id.clear();
  e.user_identity.access_key_id.clear();
  e.user_identity.user_name.clear();
  e.request_parameters_json.assign("null");
  e.response_elements_json.assign("null");
  e.request_id.clear();
  e.read_only = false;
  e.management_event = false;
  e.tables.clear();
  e.account_id.clear();
  e.error_code.clear();
  e.error_message.clear();
  e.tls.reset();
  e.api_version.assign("2012-08-10");
  e.phase = RecordPhase::outcome;
  e.intent_sequence.reset();
  e.auth_mode.clear();
  e.signature_verified = false;
  e.decision.assign("allow");
  e.matched_rules.clear();
  e.determining_rule.clear();
  e.shadow_rules.clear();
  e.shadow_decision.clear();
  e.tags.clear();
  e.alerted_rules.clear();
  e.masked_rules.clear();
  e.masked_uses.clear();
  e.audit_level.clear();
  e.response_withheld = false;
  e.request_body_json.clear();
  e.sealed_values.clear();
  e.seal_key_id.clear();
  e.outcome.clear();
  e.http_status = 0;
  e.request_items = e.response_items = e.request_bytes = e.response_bytes = 0;
  e.proxy_latency_us = e.upstream_latency_us = 0;
  e.upstream_attempts.clear();
  e.listener.clear();
  e.sequence = 0;
  e.previous_hash.clear();
  e.hash.clear();
}

std::optional<AuditEvent> from_json(std::string_view text) {
  AuditEvent e;
  if (!parse_record(text, e)) return std::nullopt;
  return e;
}

bool parse_record(std::string_view text, AuditEvent& e) {
  Cursor c(text);
  reset_keeping_storage(e);
  e.api_version.clear();
  e.decision.clear();
  thread_local std::string event_time;
  thread_local std::vector<std::string> resource_accounts;
  resource_accounts.clear();
  bool ok = c.literal("{\"eventVersion\":\"1.09\",\"eventTime\":") && c.string(event_time) &&
            c.literal(",\"eventSource\":\"dynamodb.amazonaws.com\"") &&
            string_field(c, "eventName", e.event_name) &&
            string_field(c, "awsRegion", e.aws_region) &&
            string_field(c, "sourceIPAddress", e.source_ip) &&
            string_field(c, "userAgent", e.user_agent) && c.literal(",") &&
            key(c, "userIdentity") && read_user_identity(c, e.user_identity) && c.literal(",") &&
            key(c, "requestParameters") && c.raw_value(e.request_parameters_json) &&
            c.literal(",") && key(c, "responseElements") &&
            c.raw_value(e.response_elements_json) && string_field(c, "requestID", e.request_id) &&
            string_field(c, "eventID", e.event_id) && bool_field(c, "readOnly", e.read_only) &&
            c.literal(",") && key(c, "resources") &&
            read_resources(c, e.aws_region, e.tables, resource_accounts) &&
            c.literal(",\"eventType\":\"AwsApiCall\"") &&
            string_field(c, "apiVersion", e.api_version) &&
            bool_field(c, "managementEvent", e.management_event) &&
            string_field(c, "recipientAccountId", e.account_id) &&
            c.literal(e.management_event ? ",\"eventCategory\":\"Management\""
                                         : ",\"eventCategory\":\"Data\"");
  if (!ok) return false;
  for (const auto& account : resource_accounts) {
    if (account != e.account_id) return false;
  }
  // Written only when set, so present means non-empty.
  if (c.peek(",\"errorCode\":") &&
      !(string_field(c, "errorCode", e.error_code) && !e.error_code.empty())) {
    return false;
  }
  if (c.peek(",\"errorMessage\":") &&
      !(string_field(c, "errorMessage", e.error_message) && !e.error_message.empty())) {
    return false;
  }
  if (c.peek(",\"tlsDetails\":")) {
    TlsDetails tls;
    if (!(c.literal(",") && key(c, "tlsDetails") && read_tls(c, tls))) return false;
    e.tls = std::move(tls);
  }
  std::int64_t time_ms = 0;
  if (!(c.literal(",") && key(c, "additionalEventData") && read_additional_data(c, e, time_ms) &&
        c.literal("}") && c.at_end())) {
    return false;
  }
  if (time_ms > kMaxAbsUnixMs || time_ms < -kMaxAbsUnixMs) return false;
  if (event_time != cloudtrail_time(time_ms)) return false;  // the two times must agree
  e.event_time = from_unix_ms(time_ms);
  return true;
}

}  // namespace dynaudit::storage
