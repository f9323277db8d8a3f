// extract_request_facts: parses a request body with simdjson (DOM, error
// codes only) in per-thread buffers that are reused across requests, walks it,
// and derives the operation-specific item count.
#include "ddb/request_facts.hpp"

#include <algorithm>
#include <cstring>
#include <new>

#include <simdjson.h>

#include "ddb/facts_builder.hpp"
#include "ddb/json_duplicates.hpp"
#include "ddb/request_walker.hpp"

namespace dynaudit::ddb {
namespace {

// Per-thread parsing state. The body buffer only grows: a worker that has
// seen a 1 MB request keeps 1 MB, which is cheaper than reallocating each time
// and bounded by the proxy's body-size limit.
struct ParseScratch {
  simdjson::dom::parser parser;
  simdjson::padded_string buffer;
};

ParseScratch& parse_scratch() {
  thread_local ParseScratch scratch;
  return scratch;
}

// Copies `body` into the scratch buffer (simdjson reads SIMDJSON_PADDING
// bytes past the end). False only if the buffer cannot be allocated.
bool load_padded(simdjson::padded_string& buffer, std::string_view body) {
  if (buffer.size() < body.size() || buffer.data() == nullptr) {
    constexpr std::size_t kMinimumCapacity = 4096;
    simdjson::padded_string grown(std::max(body.size(), kMinimumCapacity));
    if (grown.data() == nullptr) return false;
    buffer.swap(grown);
  }
  if (!body.empty()) std::memcpy(buffer.data(), body.data(), body.size());
  return true;
}

std::size_t item_count_of(const RequestFacts& facts, const RequestCounts& counts) {
  if (facts.info == nullptr || facts.info->family != ApiFamily::dynamodb) return 0;
  const std::string_view name = facts.info->name;
  if (name == "GetItem" || name == "PutItem" || name == "UpdateItem" || name == "DeleteItem") return 1;
  if (name == "BatchGetItem") return counts.batch_get_keys;
  if (name == "BatchWriteItem") return counts.batch_write_requests;
  if (name == "TransactGetItems" || name == "TransactWriteItems") return counts.transact_items;
  if (name == "BatchExecuteStatement" || name == "ExecuteTransaction") return counts.statements;
  return 0;
}

// What DynamoDB answers for a body that is not a JSON object: the type and no
// message at all ({"__type":"com.amazon.coral.service#SerializationException"};
// dynalite does the same), so the message is empty and error_body omits it.
DdbError malformed_body() { return DdbError{ErrorKind::serialization, ""}; }

void identify_operation(RequestFacts& facts, std::string_view x_amz_target) {
  facts.target = std::string(x_amz_target);
  const auto parts = split_target(x_amz_target);
  if (!parts) return;
  facts.operation = std::string(parts->operation);
  if (parts->family) facts.info = find_operation(*parts->family, parts->operation);
}

void extract_into(FactsResult& result, std::string_view body, std::vector<AttributeUse>* uses = nullptr) {
  // An empty body carries no facts, and whether it is acceptable depends on
  // the operation (DescribeLimits needs no input): DynamoDB decides.
  if (body.empty()) return;

  ParseScratch& scratch = parse_scratch();
  if (!load_padded(scratch.buffer, body)) {
    result.error = DdbError{ErrorKind::internal_server_error, "out of memory reading the request"};
    return;
  }
  simdjson::dom::element root;
  // Also fails for documents nested deeper than simdjson's limit (1024); no
  // DynamoDB request nests that deep (AttributeValues stop at 32 levels).
  if (scratch.parser.parse(scratch.buffer.data(), body.size(), false).get(root) != simdjson::SUCCESS) {
    result.error = malformed_body();
    return;
  }
  simdjson::dom::object members;
  if (root.get_object().get(members) != simdjson::SUCCESS) {
    result.error = malformed_body();
    return;
  }
  FactsBuilder builder(result.facts);
  builder.collect_uses(uses);
  const RequestCounts counts = walk_request_body(members, builder);
  result.facts.item_count = item_count_of(result.facts, counts);
  // Walked first so the record still names what the call touched.
  if (has_duplicate_member(root)) {
    result.error = DdbError{ErrorKind::serialization,
                            "The request body repeats a member name; dynaudit refuses an ambiguous request"};
  }
}

}  // namespace

FactsResult extract_request_facts(std::string_view x_amz_target, std::string_view body) {
  FactsResult result;
  try {
    identify_operation(result.facts, x_amz_target);
    result.facts.body_bytes = body.size();
    extract_into(result, body);
  } catch (const std::bad_alloc&) {
    // The only exception left (simdjson is used through error codes): keep
    // the promise that extraction never throws.
    result.error = DdbError{ErrorKind::internal_server_error, "out of memory reading the request"};
  }
  return result;
}

std::optional<std::vector<AttributeUse>> extract_attribute_uses(std::string_view x_amz_target, std::string_view body) {
  try {
    std::vector<AttributeUse> uses;
    FactsResult scratch;
    identify_operation(scratch.facts, x_amz_target);
    extract_into(scratch, body, &uses);
    if (scratch.error) return std::nullopt;
    return uses;
  } catch (const std::bad_alloc&) {
    return std::nullopt;
  }
}

}  // namespace dynaudit::ddb
