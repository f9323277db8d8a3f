// The audit record as CloudTrail-shaped JSON. The layout is fixed (field
// order, no white space) because the same bytes, minus `hash`, are what the
// hash chain covers; from_json (audit_event_parse.cpp) reads exactly this.
#include "storage/audit_event.hpp"

#include <openssl/rand.h>

#include <charconv>
#include <cstdio>
#include <cstring>
#include <random>

#include "storage/json_text.hpp"
#include "storage/record_json.hpp"
#include "storage/time_format.hpp"

namespace dynaudit::storage {
namespace {

using json::append_string;

template <typename Integer>
void append_number(std::string& out, Integer value) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  out.append(digits, end);
}

void append_uint(std::string& out, std::uint64_t value) { append_number(out, value); }
void append_int(std::string& out, std::int64_t value) { append_number(out, value); }

void append_bool(std::string& out, bool value) { out += value ? "true" : "false"; }

// The proxy hands these over as JSON text; surrounding white space is dropped
// (the reader could not give it back) and empty text stands for null.
void append_raw(std::string& out, std::string_view raw) {
  const auto first = raw.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) {
    out += "null";
    return;
  }
  const auto last = raw.find_last_not_of(" \t\r\n");
  out.append(raw.substr(first, last - first + 1));
}

void append_user_identity(std::string& out, const UserIdentity& identity) {
  out += "{\"type\":";
  append_string(out, identity.type);
  out += ",\"principalId\":";
  append_string(out, identity.principal_id);
  out += ",\"accessKeyId\":";
  append_string(out, identity.access_key_id);
  out += ",\"userName\":";
  append_string(out, identity.user_name);
  out += '}';
}

void append_resources(std::string& out, const AuditEvent& event) {
  out += '[';
  for (std::size_t i = 0; i < event.tables.size(); ++i) {
    if (i != 0) out += ',';
    out += "{\"accountId\":";
    append_string(out, event.account_id);
    out += ",\"type\":\"AWS::DynamoDB::Table\",\"ARN\":";
    append_string(out, "arn:aws:dynamodb:" + event.aws_region + ":" + event.account_id + ":table/" + event.tables[i]);
    out += '}';
  }
  out += ']';
}

void append_tls(std::string& out, const TlsDetails& tls) {
  out += "{\"tlsVersion\":";
  append_string(out, tls.tls_version);
  out += ",\"cipherSuite\":";
  append_string(out, tls.cipher_suite);
  out += ",\"clientProvidedHostHeader\":";
  append_string(out, tls.client_provided_host_header);
  out += '}';
}

void append_string_list(std::string& out, const std::vector<std::string>& values) {
  out += '[';
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i != 0) out += ',';
    append_string(out, values[i]);
  }
  out += ']';
}

// Optional members, in a fixed order (the canonical bytes depend on it).
void append_rule_details(std::string& out, const AuditEvent& event) {
  if (!event.determining_rule.empty()) {
    out += ",\"determiningRule\":";
    append_string(out, event.determining_rule);
  }
  if (!event.shadow_rules.empty()) {
    out += ",\"shadowRules\":";
    append_string_list(out, event.shadow_rules);
  }
  if (!event.shadow_decision.empty()) {
    out += ",\"shadowDecision\":";
    append_string(out, event.shadow_decision);
  }
  if (!event.tags.empty()) {
    out += ",\"tags\":";
    append_string_list(out, event.tags);
  }
  if (!event.alerted_rules.empty()) {
    out += ",\"alertedRules\":";
    append_string_list(out, event.alerted_rules);
  }
  if (!event.masked_rules.empty()) {
    out += ",\"maskedRules\":";
    append_string_list(out, event.masked_rules);
  }
  if (!event.masked_uses.empty()) {
    out += ",\"maskedUses\":";
    append_string_list(out, event.masked_uses);
  }
  if (!event.audit_level.empty()) {
    out += ",\"auditLevel\":";
    append_string(out, event.audit_level);
  }
  if (event.response_withheld) out += ",\"responseWithheld\":true";
  if (!event.request_body_json.empty()) {
    out += ",\"requestBody\":";
    append_string(out, event.request_body_json);
  }
  if (!event.sealed_values.empty()) {
    out += ",\"sealedValues\":";
    append_string(out, event.sealed_values);
  }
  if (!event.seal_key_id.empty()) {
    out += ",\"sealKeyId\":";
    append_string(out, event.seal_key_id);
  }
}

void append_upstream_attempts(std::string& out, const std::vector<UpstreamAttemptRecord>& attempts) {
  out += ",\"upstreamAttempts\":[";
  for (std::size_t i = 0; i < attempts.size(); ++i) {
    const auto& a = attempts[i];
    if (i != 0) out += ',';
    out += "{\"connection\":";
    append_string(out, a.connection);
    out += ",\"requestSent\":";
    append_string(out, a.request_sent);
    out += ",\"result\":";
    append_string(out, a.result);
    if (!a.error.empty()) {
      out += ",\"error\":";
      append_string(out, a.error);
    }
    out += '}';
  }
  out += ']';
}

void append_additional_data(std::string& out, const AuditEvent& event, bool include_hash) {
  out += "{\"sequence\":";
  append_uint(out, event.sequence);
  out += event.phase == RecordPhase::intent ? ",\"phase\":\"intent\"" : ",\"phase\":\"outcome\"";
  if (event.intent_sequence) {
    out += ",\"intentSequence\":";
    append_uint(out, *event.intent_sequence);
  }
  // CloudTrail's eventTime has whole seconds; the millisecond is kept here.
  out += ",\"eventTimeMs\":";
  append_int(out, unix_ms(event.event_time));
  out += ",\"authMode\":";
  append_string(out, event.auth_mode);
  out += ",\"signatureVerified\":";
  append_bool(out, event.signature_verified);
  out += ",\"decision\":";
  append_string(out, event.decision);
  out += ",\"matchedRules\":";
  append_string_list(out, event.matched_rules);
  append_rule_details(out, event);
  out += ",\"outcome\":";
  append_string(out, event.outcome);
  out += ",\"httpStatus\":";
  append_uint(out, event.http_status);
  out += ",\"requestItems\":";
  append_uint(out, event.request_items);
  out += ",\"responseItems\":";
  append_uint(out, event.response_items);
  out += ",\"requestBytes\":";
  append_uint(out, event.request_bytes);
  out += ",\"responseBytes\":";
  append_uint(out, event.response_bytes);
  out += ",\"proxyLatencyUs\":";
  append_uint(out, event.proxy_latency_us);
  out += ",\"upstreamLatencyUs\":";
  append_uint(out, event.upstream_latency_us);
  if (!event.upstream_attempts.empty()) append_upstream_attempts(out, event.upstream_attempts);
  out += ",\"listener\":";
  append_string(out, event.listener);
  out += ",\"previousHash\":";
  append_string(out, event.previous_hash);
  if (include_hash) {
    out += ",\"hash\":";
    append_string(out, event.hash);
  }
  out += '}';
}

}  // namespace

std::string to_json(const AuditEvent& event, bool include_hash) {
  std::string out;
  out.reserve(1024 + event.request_parameters_json.size() + event.response_elements_json.size());
  out += "{\"eventVersion\":\"1.09\",\"eventTime\":";
  append_string(out, cloudtrail_time(unix_ms(event.event_time)));
  out += ",\"eventSource\":\"dynamodb.amazonaws.com\",\"eventName\":";
  append_string(out, event.event_name);
  out += ",\"awsRegion\":";
  append_string(out, event.aws_region);
  out += ",\"sourceIPAddress\":";
  append_string(out, event.source_ip);
  out += ",\"userAgent\":";
  append_string(out, event.user_agent);
  out += ",\"userIdentity\":";
  append_user_identity(out, event.user_identity);
  out += ",\"requestParameters\":";
  append_raw(out, event.request_parameters_json);
  out += ",\"responseElements\":";
  append_raw(out, event.response_elements_json);
  out += ",\"requestID\":";
  append_string(out, event.request_id);
  out += ",\"eventID\":";
  append_string(out, event.event_id);
  out += ",\"readOnly\":";
  append_bool(out, event.read_only);
  out += ",\"resources\":";
  append_resources(out, event);
  out += ",\"eventType\":\"AwsApiCall\",\"apiVersion\":";
  append_string(out, event.api_version);
  out += ",\"managementEvent\":";
  append_bool(out, event.management_event);
  out += ",\"recipientAccountId\":";
  append_string(out, event.account_id);
  out += event.management_event ? ",\"eventCategory\":\"Management\"" : ",\"eventCategory\":\"Data\"";
  if (!event.error_code.empty()) {
    out += ",\"errorCode\":";
    append_string(out, event.error_code);
  }
  if (!event.error_message.empty()) {
    out += ",\"errorMessage\":";
    append_string(out, event.error_message);
  }
  if (event.tls) {
    out += ",\"tlsDetails\":";
    append_tls(out, *event.tls);
  }
  // Last on purpose: everything dynaudit adds, ending with the hash.
  out += ",\"additionalEventData\":";
  append_additional_data(out, event, include_hash);
  out += '}';
  return out;
}

std::string record_with_hash(std::string canonical, std::string_view hash) {
  // The canonical bytes end with previousHash's closing quote and the two
  // braces of additionalEventData and the record; hash goes right before.
  canonical.resize(canonical.size() - 2);
  canonical += ",\"hash\":";
  json::append_string(canonical, hash);
  canonical += "}}";
  return canonical;
}

namespace {

// Random bytes for event ids, drawn from OpenSSL a block at a time: each
// RAND_bytes call costs a getpid() (OpenSSL's fork check) and a lock, and an
// id per call made that one system call per request. An id is an
// identifier, not a secret; dynaudit never forks (a child it starts execs).
void random_id_bytes(unsigned char* out, std::size_t count) {
  constexpr std::size_t kBlock = 1024;
  thread_local unsigned char pool[kBlock];
  thread_local std::size_t used = kBlock;
  if (used + count > kBlock) {
    if (RAND_bytes(pool, static_cast<int>(kBlock)) != 1) {
      // OpenSSL's generator fails only when it cannot be seeded; the OS
      // generator will do.
      std::random_device device;
      for (auto& byte : pool) byte = static_cast<unsigned char>(device());
    }
    used = 0;
  }
  std::memcpy(out, pool + used, count);
  std::memset(pool + used, 0, count);  // each byte is handed out once
  used += count;
}

}  // namespace

std::string new_event_id() {
  unsigned char bytes[16];
  random_id_bytes(bytes, sizeof bytes);
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0F) | 0x40);  // version 4
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3F) | 0x80);  // RFC 4122 variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text(36, '-');
  std::size_t at = 0;
  for (std::size_t i = 0; i < sizeof bytes; ++i) {
    if (at == 8 || at == 13 || at == 18 || at == 23) ++at;  // the dashes of 8-4-4-4-12
    text[at++] = kHex[bytes[i] >> 4];
    text[at++] = kHex[bytes[i] & 0x0F];
  }
  return text;
}

}  // namespace dynaudit::storage
