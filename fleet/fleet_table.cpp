// Keys and items of the central fleet table (see fleet_table.hpp).
#include "fleet/fleet_table.hpp"

#include <cstdio>
#include <ctime>

#include <simdjson.h>

#include "storage/json_text.hpp"

namespace dynaudit::fleet {

std::string day_of(std::int64_t unix_ms) {
  std::time_t seconds = static_cast<std::time_t>(unix_ms >= 0 ? unix_ms / 1000 : (unix_ms - 999) / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
  return buf;
}

std::string padded(std::uint64_t n) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%020llu", static_cast<unsigned long long>(n));
  return buf;
}

std::string record_partition(std::string_view proxy, std::string_view day) {
  std::string out = "R#";
  out += proxy;
  out += '#';
  out += day;
  return out;
}

std::string checkpoint_partition(std::string_view proxy) { return "C#" + std::string(proxy); }

std::string time_sort_key(std::int64_t unix_ms, std::string_view proxy, std::uint64_t sequence) {
  // Floored, as day_of: -1 ms is 1969-12-31T23:59:59.999Z.
  const std::int64_t floored = unix_ms >= 0 ? unix_ms / 1000 : (unix_ms - 999) / 1000;
  const std::time_t seconds = static_cast<std::time_t>(floored);
  const int millis = static_cast<int>(unix_ms - floored * 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ#", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
  std::string out = buf;
  out += proxy;
  out += '#';
  out += padded(sequence);
  return out;
}

void append_s(std::string& out, std::string_view name, std::string_view value) {
  storage::json::append_string(out, name);
  out += ":{\"S\":";
  storage::json::append_string(out, value);
  out += '}';
}

void append_n(std::string& out, std::string_view name, std::int64_t value) {
  storage::json::append_string(out, name);
  out += ":{\"N\":\"";
  out += std::to_string(value);
  out += "\"}";
}

std::string record_item(std::string_view proxy, std::string_view day, const storage::AuditEvent& record,
                        std::string_view record_text, std::int64_t expires_at) {
  const std::int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              record.event_time.time_since_epoch()).count();
  std::string item;
  item.reserve(record_text.size() + 512);
  item += '{';
  append_s(item, "pk", record_partition(proxy, day));
  item += ',';
  append_s(item, "sk", padded(record.sequence));
  item += ',';
  append_s(item, "proxy", proxy);
  item += ',';
  append_n(item, "seq", static_cast<std::int64_t>(record.sequence));
  item += ',';
  append_s(item, "eid", record.event_id);
  item += ',';
  append_n(item, "et", ms);
  item += ',';
  const std::string ts = time_sort_key(ms, proxy, record.sequence);
  append_s(item, "ts", ts);
  item += ',';
  append_s(item, "hash", record.hash);
  if (!record.previous_hash.empty()) {  // DynamoDB refuses empty key strings only, but keep items lean
    item += ',';
    append_s(item, "prev", record.previous_hash);
  }
  const auto indexable = [](const std::string& value) { return !value.empty() && value.size() <= kMaxIndexKey; };
  if (indexable(record.user_identity.principal_id)) {
    item += ',';
    append_s(item, "gp", record.user_identity.principal_id);
  }
  if (!record.tables.empty() && indexable(record.tables.front())) {
    item += ',';
    append_s(item, "gtb", record.tables.front());
  }
  if (indexable(record.request_id)) {
    item += ',';
    append_s(item, "rid", record.request_id);
  }
  if (record_text.size() <= kMaxRecordText) {
    item += ',';
    append_s(item, "rec", record_text);
  } else {
    item += ",\"big\":{\"BOOL\":true}";
  }
  if (expires_at > 0) {
    item += ',';
    append_n(item, "exp", expires_at);
  }
  item += '}';
  return item;
}

std::vector<std::string> record_items(std::string_view proxy, std::string_view day, const storage::AuditEvent& record,
                                      std::string_view record_text, std::int64_t expires_at) {
  std::vector<std::string> items{record_item(proxy, day, record, record_text, expires_at)};
  if (record_text.size() > kMaxRecordText) return items;  // an alias without text finds nothing
  const std::int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              record.event_time.time_since_epoch()).count();
  for (std::size_t i = 1; i < record.tables.size(); ++i) {
    const auto& table = record.tables[i];
    if (table.empty() || table.size() > kMaxIndexKey || table == record.tables.front()) continue;
    std::string alias = "{";
    append_s(alias, "pk", "T#" + std::string(proxy) + "#" + std::string(day));
    alias += ',';
    append_s(alias, "sk", padded(record.sequence) + "#" + std::to_string(i));
    alias += ',';
    append_s(alias, "proxy", proxy);
    alias += ',';
    append_n(alias, "seq", static_cast<std::int64_t>(record.sequence));
    alias += ',';
    append_s(alias, "gtb", table);
    alias += ',';
    append_s(alias, "ts", time_sort_key(ms, proxy, record.sequence));
    alias += ',';
    append_s(alias, "rec", record_text);
    if (expires_at > 0) {
      alias += ',';
      append_n(alias, "exp", expires_at);
    }
    alias += '}';
    items.push_back(std::move(alias));
  }
  return items;
}

std::optional<std::string> stub_item(std::string_view refused_item, std::string_view reason) {
  simdjson::dom::parser parser;
  simdjson::dom::object item;
  if (parser.parse(refused_item.data(), refused_item.size()).get(item)) return std::nullopt;
  std::string stub = "{";
  bool first = true;
  for (const char* keep : {"pk", "sk", "proxy", "seq", "eid", "et", "ts", "hash", "prev", "exp"}) {
    simdjson::dom::element value;
    if (item[keep].get(value)) continue;
    if (!first) stub += ',';
    first = false;
    storage::json::append_string(stub, keep);
    stub += ':';
    stub += simdjson::minify(value);
  }
  if (first) return std::nullopt;
  stub += ",\"big\":{\"BOOL\":true},";
  append_s(stub, "refused", reason.substr(0, 300));
  stub += '}';
  return stub;
}

std::string checkpoint_item(std::string_view proxy, const storage::Checkpoint& checkpoint, std::int64_t expires_at) {
  std::string item = "{";
  append_s(item, "pk", checkpoint_partition(proxy));
  item += ',';
  append_s(item, "sk", padded(checkpoint.number));
  item += ',';
  append_s(item, "proxy", proxy);
  item += ',';
  append_n(item, "last", static_cast<std::int64_t>(checkpoint.last_sequence));
  item += ',';
  append_s(item, "cp", storage::checkpoint_value(checkpoint));
  if (expires_at > 0) {
    item += ',';
    append_n(item, "exp", expires_at);
  }
  item += '}';
  return item;
}

std::string create_table_request(std::string_view table) {
  std::string out = "{\"TableName\":";
  storage::json::append_string(out, table);
  out += R"(,"BillingMode":"PAY_PER_REQUEST",)"
         R"("AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"sk","AttributeType":"S"},)"
         R"({"AttributeName":"gp","AttributeType":"S"},{"AttributeName":"gtb","AttributeType":"S"},)"
         R"({"AttributeName":"rid","AttributeType":"S"},{"AttributeName":"ts","AttributeType":"S"}],)"
         R"("KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],)"
         R"("GlobalSecondaryIndexes":[)"
         R"({"IndexName":"byPrincipal","KeySchema":[{"AttributeName":"gp","KeyType":"HASH"},{"AttributeName":"ts","KeyType":"RANGE"}],"Projection":{"ProjectionType":"ALL"}},)"
         R"({"IndexName":"byTable","KeySchema":[{"AttributeName":"gtb","KeyType":"HASH"},{"AttributeName":"ts","KeyType":"RANGE"}],"Projection":{"ProjectionType":"ALL"}},)"
         R"({"IndexName":"byRequest","KeySchema":[{"AttributeName":"rid","KeyType":"HASH"}],"Projection":{"ProjectionType":"KEYS_ONLY"}}]})";
  return out;
}

}  // namespace dynaudit::fleet
