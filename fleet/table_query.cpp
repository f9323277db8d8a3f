// Paged queries on the fleet table (see table_query.hpp).
#include "fleet/table_query.hpp"

#include <thread>

#include "fleet/item_reader.hpp"
#include "storage/json_text.hpp"

namespace dynaudit::fleet {

DynamoDbReply call_with_retries(DynamoDbClient& client, std::string_view operation, std::string_view body,
                                int attempts) {
  auto delay = std::chrono::milliseconds(100);
  for (int attempt = 1;; ++attempt) {
    auto reply = client.call(operation, body);
    if (reply.ok || !reply.retryable || attempt >= attempts) return reply;
    std::this_thread::sleep_for(delay);
    delay = std::min(delay * 2, std::chrono::milliseconds(5'000));
  }
}

bool run_query(DynamoDbClient& client, const TableQuery& query,
               const std::function<bool(simdjson::dom::element)>& each, std::string& error) {
  using storage::json::append_string;
  std::string start_key;
  std::size_t delivered = 0;
  for (;;) {
    std::string body = "{\"TableName\":";
    append_string(body, query.table);
    if (!query.index.empty()) {
      body += ",\"IndexName\":";
      append_string(body, query.index);
    }
    std::string condition = "#k = :k";
    std::string names = "\"#k\":";
    append_string(names, query.key_name);
    std::string values = "\":k\":{\"S\":";
    append_string(values, query.key_value);
    values += '}';
    if (!query.sort_name.empty() && (query.sort_from || query.sort_to)) {
      names += ",\"#s\":";
      append_string(names, query.sort_name);
      if (query.sort_from && query.sort_to) {
        condition += " AND #s BETWEEN :a AND :b";
      } else if (query.sort_from) {
        condition += " AND #s >= :a";
      } else {
        condition += " AND #s <= :b";
      }
      if (query.sort_from) {
        values += ",\":a\":{\"S\":";
        append_string(values, *query.sort_from);
        values += '}';
      }
      if (query.sort_to) {
        values += ",\":b\":{\"S\":";
        append_string(values, *query.sort_to);
        values += '}';
      }
    }
    body += ",\"KeyConditionExpression\":";
    append_string(body, condition);
    body += ",\"ExpressionAttributeNames\":{" + names + "},\"ExpressionAttributeValues\":{" + values + "}";
    if (!query.forward) body += ",\"ScanIndexForward\":false";
    if (query.index.empty()) body += ",\"ConsistentRead\":true";
    if (query.limit > 0) body += ",\"Limit\":" + std::to_string(query.limit - delivered);
    if (!start_key.empty()) body += ",\"ExclusiveStartKey\":" + start_key;
    body += '}';
    const auto reply = call_with_retries(client, "Query", body);
    if (!reply.ok) {
      error = "Query: " + reply.error_type + (reply.message.empty() ? "" : ": " + reply.message);
      return false;
    }
    bool go_on = true;
    if (!for_each_item(reply.body, [&](simdjson::dom::element item) {
          if (!go_on) return;
          ++delivered;
          go_on = each(item);
          if (query.limit > 0 && delivered >= query.limit) go_on = false;
        }, start_key)) {
      error = "Query: an answer that does not parse";
      return false;
    }
    if (!go_on || start_key.empty()) return true;
  }
}

std::optional<std::string> get_item(DynamoDbClient& client, const std::string& table, const std::string& pk,
                                    const std::string& sk, std::string& error) {
  using storage::json::append_string;
  std::string body = "{\"TableName\":";
  append_string(body, table);
  body += ",\"ConsistentRead\":true,\"Key\":{\"pk\":{\"S\":";
  append_string(body, pk);
  body += "},\"sk\":{\"S\":";
  append_string(body, sk);
  body += "}}}";
  const auto reply = call_with_retries(client, "GetItem", body);
  if (!reply.ok) {
    error = "GetItem: " + reply.error_type + (reply.message.empty() ? "" : ": " + reply.message);
    return std::nullopt;
  }
  simdjson::dom::parser parser;
  simdjson::dom::element doc, item;
  if (parser.parse(reply.body).get(doc)) {
    error = "GetItem: an answer that does not parse";
    return std::nullopt;
  }
  if (doc["Item"].get(item)) return std::nullopt;
  return std::string(simdjson::minify(item));
}

}  // namespace dynaudit::fleet
