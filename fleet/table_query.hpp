// Paged Query calls on the fleet table: one partition (or one index key),
// items in sort-key order, every page followed, retried with backoff on
// throttling and network errors.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include <simdjson.h>

#include "fleet/dynamodb_client.hpp"

namespace dynaudit::fleet {

struct TableQuery {
  std::string table;
  std::string index;        // "" for the table itself
  std::string key_name;     // "pk", or the index's partition attribute
  std::string key_value;
  // Optional sort-key range (inclusive), on `sort_name`.
  std::string sort_name;
  std::optional<std::string> sort_from;
  std::optional<std::string> sort_to;
  bool forward = true;
  std::size_t limit = 0;    // items in all; 0: every item
};

// `each` returns false to stop. False with `error` when a call failed
// after retries (or an answer did not parse).
bool run_query(DynamoDbClient& client, const TableQuery& query,
               const std::function<bool(simdjson::dom::element)>& each, std::string& error);

// One item by key (GetItem, consistent read); nullopt with `error` empty when absent.
std::optional<std::string> get_item(DynamoDbClient& client, const std::string& table, const std::string& pk,
                                    const std::string& sk, std::string& error);

// A call retried on throttling, 5xx and network errors (up to `attempts`).
DynamoDbReply call_with_retries(DynamoDbClient& client, std::string_view operation, std::string_view body,
                                int attempts = 6);

}  // namespace dynaudit::fleet
