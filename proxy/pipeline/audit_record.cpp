// Audit record construction; see audit_record.hpp.
#include "proxy/pipeline/audit_record.hpp"

#include <simdjson.h>

#include <optional>

#include "ddb/error_response.hpp"
#include "proxy/pipeline/audit_values.hpp"

namespace dynaudit::proxy {
namespace {

void append_string(std::string& out, std::string_view value) {
  out += '"';
  ddb::append_json_escaped(out, value);
  out += '"';
}

void append_string_array(std::string& out, const std::vector<std::string>& values) {
  out += '[';
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i) out += ',';
    append_string(out, values[i]);
  }
  out += ']';
}

std::string operation_of(const CallSummary& call) {
  if (call.facts && !call.facts->operation.empty()) return call.facts->operation;
  if (auto dot = call.target.find('.'); dot != std::string_view::npos) return std::string(call.target.substr(dot + 1));
  return call.target.empty() ? "Unknown" : std::string(call.target);
}

}  // namespace

std::string request_parameters_json(const ddb::RequestFacts& facts, AuditTokens* tokens) {
  std::string out = "{";
  bool first = true;
  auto field = [&](std::string_view name) {
    if (!first) out += ',';
    first = false;
    append_string(out, name);
    out += ':';
  };
  if (facts.tables.size() == 1) {
    field("tableName");
    append_string(out, facts.tables.front());
  } else if (!facts.tables.empty()) {
    field("tableNames");
    append_string_array(out, facts.tables);
  }
  if (facts.index_name) {
    field("indexName");
    append_string(out, *facts.index_name);
  }
  if (!facts.keys.empty()) {
    // Key values, as CloudTrail logs them: {"table":…,"attribute":…,"S":"…"}.
    field("keys");
    out += '[';
    for (std::size_t i = 0; i < facts.keys.size(); ++i) {
      const auto& k = facts.keys[i];
      if (i) out += ',';
      out += "{\"table\":";
      append_string(out, k.table);
      out += ",\"attribute\":";
      append_string(out, k.attribute);
      out += ',';
      append_string(out, k.type);
      out += ':';
      append_string(out, k.value);
      out += '}';
    }
    out += ']';
  }
  // PartiQL calls carry statements, the others expressions; a literal in
  // either never reaches the record (audit_values.hpp).
  const AuditExpressions kept = audit_expressions(facts, tokens);
  if (!kept.attributes_read.empty()) {
    field("attributesRead");
    append_string_array(out, kept.attributes_read);
  }
  if (!kept.attributes_written.empty()) {
    field("attributesWritten");
    append_string_array(out, kept.attributes_written);
  }
  if (!kept.expressions.empty()) {
    field("expressions");
    append_string_array(out, kept.expressions);
  }
  if (!kept.statements.empty()) {
    field("statements");
    append_string_array(out, kept.statements);
  }
  if (facts.segment) {
    field("segment");
    out += std::to_string(*facts.segment);
  }
  if (facts.total_segments) {
    field("totalSegments");
    out += std::to_string(*facts.total_segments);
  }
  if (facts.limit) {
    field("limit");
    out += std::to_string(*facts.limit);
  }
  out += '}';
  return first ? "null" : out;
}

std::uint64_t response_item_count(std::string_view operation, std::string_view body) {
  const bool counted = operation == "Query" || operation == "Scan";
  const bool single = operation == "GetItem";
  const bool batch = operation == "BatchGetItem" || operation == "TransactGetItems" || operation == "ExecuteStatement";
  if (!counted && !single && !batch) return 0;
  thread_local simdjson::dom::parser parser;
  simdjson::padded_string padded(body);
  simdjson::dom::element root;
  if (parser.parse(padded).get(root)) return 0;
  if (counted) {
    int64_t count = 0;
    if (!root["Count"].get(count) && count > 0) return static_cast<std::uint64_t>(count);
    return 0;
  }
  if (single) {
    simdjson::dom::object item;
    return root["Item"].get(item) ? 0 : 1;
  }
  if (operation == "BatchGetItem") {
    simdjson::dom::object responses;
    if (root["Responses"].get(responses)) return 0;
    std::uint64_t n = 0;
    for (auto table : responses) {
      simdjson::dom::array items;
      if (!table.value.get(items)) n += items.size();
    }
    return n;
  }
  simdjson::dom::array items;  // TransactGetItems: Responses; ExecuteStatement: Items
  if (!root[operation == "TransactGetItems" ? "Responses" : "Items"].get(items)) return items.size();
  return 0;
}

std::string error_message_of(std::string_view body) {
  if (body.empty() || body.size() > 64 * 1024) return {};
  thread_local simdjson::dom::parser parser;
  simdjson::padded_string padded(body);
  simdjson::dom::element root;
  if (parser.parse(padded).get(root)) return {};
  std::string_view message;
  if (!root["message"].get(message) || !root["Message"].get(message)) return std::string(message);
  return {};
}

std::vector<storage::UpstreamAttemptRecord> upstream_attempt_records(std::span<const UpstreamAttempt> attempts) {
  std::vector<storage::UpstreamAttemptRecord> out;
  if (attempts.size() == 1 && attempts.front().result == UpstreamAttempt::Result::response) return out;
  out.reserve(attempts.size());
  for (const auto& a : attempts) {
    auto& r = out.emplace_back();
    r.connection = a.reused ? "reused" : "new";
    switch (a.sent) {
      case UpstreamAttempt::Sent::none: r.request_sent = "none"; break;
      case UpstreamAttempt::Sent::partial: r.request_sent = "partial"; break;
      case UpstreamAttempt::Sent::whole: r.request_sent = "whole"; break;
    }
    switch (a.result) {
      case UpstreamAttempt::Result::response: r.result = "response"; break;
      case UpstreamAttempt::Result::connect_failed: r.result = "connect_failed"; break;
      case UpstreamAttempt::Result::closed: r.result = "closed"; break;
      case UpstreamAttempt::Result::reset: r.result = "reset"; break;
      case UpstreamAttempt::Result::timeout: r.result = "timeout"; break;
      case UpstreamAttempt::Result::failed: r.result = "failed"; break;
    }
    r.error = a.error;
  }
  return out;
}

storage::AuditEvent make_audit_event(const CallSummary& call) {
  std::optional<AuditTokens> tokens;
  if (call.mask_keys) tokens.emplace(*call.mask_keys);
  AuditTokens* token_source = tokens ? &*tokens : nullptr;
  storage::AuditEvent e;
  e.event_id = storage::new_event_id();
  e.event_time = call.time;
  e.event_name = operation_of(call);
  e.aws_region = std::string(call.region);
  e.account_id = std::string(call.account_id);
  e.user_agent = std::string(call.user_agent);
  if (call.connection) {
    e.source_ip = call.connection->remote_address;
    e.listener = call.connection->listener;
    if (call.connection->tls)
      e.tls = storage::TlsDetails{call.connection->tls_version, call.connection->tls_cipher,
                                  std::string(call.host_header)};
  }
  if (call.principal) {
    const auto& p = *call.principal;
    e.user_identity.type = p.internal ? "dynaudit" : p.verified ? "IAMUser" : "Unknown";
    e.user_identity.principal_id = p.verified ? p.name : p.access_key_id;
    e.user_identity.access_key_id = p.access_key_id;
    e.user_identity.user_name = p.verified ? p.name : "";
    e.signature_verified = p.verified;
  }
  e.auth_mode = std::string(call.auth_mode);
  if (call.facts) {
    e.tables = call.facts->tables;
    e.request_parameters_json = request_parameters_json(*call.facts, token_source);
    e.request_items = call.facts->item_count;
    if (call.facts->info) {
      e.read_only = ddb::is_read_only(*call.facts->info);
      e.management_event = ddb::is_management_event(call.facts->info->op_class);
    }
  }
  e.request_id = call.request_id;
  e.http_status = call.status;
  e.error_code = call.error_type;
  // The client gets the upstream's message unchanged; the record keeps it
  // without the values the request carried (an upstream may echo them).
  if (!call.error_type.empty())
    e.error_message = scrub_error_message(error_message_of(call.response_body), call.request_body, token_source);
  else if (call.status == 200) e.response_items = response_item_count(e.event_name, call.response_body);
  e.outcome = call.outcome;
  e.decision = call.outcome == "rejected" || call.outcome == "denied" ? "deny" : "allow";
  e.request_bytes = call.request_bytes;
  e.response_bytes = call.response_bytes;
  e.proxy_latency_us = static_cast<std::uint64_t>(call.proxy_latency.count());
  e.upstream_latency_us = static_cast<std::uint64_t>(call.upstream_latency.count());
  e.upstream_attempts = upstream_attempt_records(call.upstream_attempts);
  return e;
}

storage::AuditEvent make_intent_event(const CallSummary& call) {
  auto e = make_audit_event(call);
  e.phase = storage::RecordPhase::intent;
  e.outcome = "pending";
  e.http_status = 0;
  e.request_id.clear();
  return e;
}

}  // namespace dynaudit::proxy
