// Reading an audit record into an Observation (observation.hpp).
#include "analytics/observation.hpp"

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <string_view>

#include "ddb/operation_catalog.hpp"

namespace dynaudit::analytics {
namespace {

// FNV-1a, 64 bits: item identities and call shapes only need to be told
// apart within one principal's window, not to resist a chosen collision.
struct Fnv {
  std::uint64_t h = 1469598103934665603ull;
  void add(std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ull;
    }
    h ^= 0xff;  // separator, so ("ab","c") and ("a","bc") differ
    h *= 1099511628211ull;
  }
};

void classify(std::string_view operation, Observation& o) {
  for (const auto& op : ddb::all_operations()) {
    if (op.name != operation) continue;
    o.read_only = ddb::is_read_only(op);
    switch (op.op_class) {
      case ddb::OperationClass::read: o.call_class = CallClass::read; return;
      case ddb::OperationClass::write: o.call_class = CallClass::write; return;
      case ddb::OperationClass::admin: o.call_class = CallClass::admin; return;
    }
  }
  o.call_class = CallClass::unknown;
  o.read_only = false;
}

bool is_refusal_code(std::string_view code) {
  static constexpr std::array<std::string_view, 6> kRefusals = {
      "AccessDeniedException",       "UnrecognizedClientException",    "InvalidSignatureException",
      "MissingAuthenticationTokenException", "IncompleteSignatureException", "ExpiredTokenException"};
  return std::find(kRefusals.begin(), kRefusals.end(), code) != kRefusals.end();
}

bool is_call_outcome(std::string_view outcome) {
  return outcome == "forwarded" || outcome == "rejected" || outcome == "upstream_error";
}

// Keys are listed flat ({"table","attribute",type: value} per attribute);
// an item ends where its table changes or an attribute of it repeats.
void read_request_parameters(std::string_view json, Observation& o) {
  if (json.empty() || json == "null") return;
  thread_local simdjson::dom::parser parser;
  simdjson::padded_string padded(json);
  simdjson::dom::element root;
  if (parser.parse(padded).get(root)) return;
  simdjson::dom::array keys;
  std::string first_item_text;
  if (!root["keys"].get(keys)) {
    Fnv item;
    std::string table, seen_attributes;
    bool open = false;
    for (auto entry : keys) {
      std::string_view t, a;
      if (entry["table"].get(t) || entry["attribute"].get(a)) continue;
      const std::string marker = "|" + std::string(a) + "|";
      if (open && (t != table || seen_attributes.find(marker) != std::string::npos)) {
        o.item_keys.push_back(item.h);
        item = Fnv{};
        seen_attributes.clear();
      }
      open = true;
      table = std::string(t);
      seen_attributes += marker;
      item.add(t);
      item.add(a);
      simdjson::dom::object obj;
      if (!entry.get(obj)) {
        for (auto field : obj) {
          if (field.key == "table" || field.key == "attribute") continue;
          std::string_view v;
          if (!field.value.get(v)) item.add(v);
        }
      }
    }
    if (open) o.item_keys.push_back(item.h);
  }
  simdjson::dom::array expressions;
  const bool conditional_operation = o.operation == "Query" || o.operation == "Scan" || o.operation == "PutItem" ||
                                     o.operation == "UpdateItem" || o.operation == "DeleteItem";
  if (conditional_operation && !root["expressions"].get(expressions) && expressions.size() > 0) {
    Fnv shape;
    for (const auto& t : o.tables) shape.add(t);
    for (auto k : o.item_keys) shape.add(std::string_view(reinterpret_cast<const char*>(&k), sizeof k));
    for (auto e : expressions) {
      std::string_view text;
      if (!e.get(text)) shape.add(text);
    }
    o.probe_shape = shape.h;
  }
}

}  // namespace

std::string network_of(std::string_view ip) {
  if (ip.empty()) return {};
  if (ip.find(':') == std::string_view::npos) {
    const auto last = ip.rfind('.');
    if (last == std::string_view::npos) return std::string(ip);
    return std::string(ip.substr(0, last)) + ".0/24";
  }
  // IPv6: the first three groups as written (a "::" in them keeps the
  // address as is, which is at worst a narrower network).
  std::size_t pos = 0;
  for (int group = 0; group < 3; ++group) {
    pos = ip.find(':', pos);
    if (pos == std::string_view::npos) return std::string(ip);
    ++pos;
  }
  if (ip.substr(0, pos).find("::") != std::string_view::npos) return std::string(ip);
  return std::string(ip.substr(0, pos)) + ":/48";
}

std::string user_agent_family(std::string_view user_agent) {
  const auto end = user_agent.find_first_of(" /");
  std::string family(user_agent.substr(0, std::min(end, std::size_t{64})));
  for (auto& c : family) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return family;
}

std::string table_family(std::string_view table) {
  std::string out;
  out.reserve(table.size());
  for (std::size_t i = 0; i < table.size(); ++i) {
    if (std::isdigit(static_cast<unsigned char>(table[i]))) {
      if (out.empty() || out.back() != '#') out += '#';
    } else {
      out += table[i];
    }
  }
  return out;
}

std::optional<Observation> observe(const storage::AuditEvent& record) {
  if (record.phase != storage::RecordPhase::outcome || !is_call_outcome(record.outcome)) return std::nullopt;
  Observation o;
  o.time = record.event_time;
  o.event_id = record.event_id;
  const auto& id = record.user_identity;
  o.principal = !id.principal_id.empty() ? id.principal_id : !id.access_key_id.empty() ? id.access_key_id : "anonymous";
  o.operation = record.event_name;
  classify(record.event_name, o);
  o.tables = record.tables;
  for (const auto& t : o.tables) o.table_families.push_back(table_family(t));
  o.source_network = network_of(record.source_ip);
  o.user_agent_family = user_agent_family(record.user_agent);
  o.items_returned = record.response_items;
  o.bytes_returned = record.response_bytes;
  o.refused = record.decision == "deny" || is_refusal_code(record.error_code);
  o.error = !o.refused && !record.error_code.empty();
  o.page = record.event_name == "Scan" || record.event_name == "Query";
  o.masked_uses = record.masked_uses.size();
  read_request_parameters(record.request_parameters_json, o);
  return o;
}

}  // namespace dynaudit::analytics
