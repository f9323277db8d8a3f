// Walks a parsed DynamoDB request body (simdjson DOM) and records what it
// touches into a FactsBuilder. Knows the shapes of the request members; has no
// opinion on which operation sent them, so unknown operations get facts too.
#pragma once

#include <cstddef>

#include <simdjson.h>

#include "ddb/facts_builder.hpp"

namespace dynaudit::ddb {

// Counts from which the caller derives RequestFacts::item_count for the
// operation at hand.
struct RequestCounts {
  std::size_t batch_get_keys = 0;        // RequestItems.<t>.Keys[*]
  std::size_t batch_write_requests = 0;  // RequestItems.<t>[*]
  std::size_t transact_items = 0;        // TransactItems[*]
  std::size_t statements = 0;            // Statements[*], TransactStatements[*]
};

RequestCounts walk_request_body(const simdjson::dom::object& body, FactsBuilder& builder);

}  // namespace dynaudit::ddb
