// libFuzzer target for extract_request_facts: the first byte picks the
// X-Amz-Target, the rest is the body. Besides crashes and sanitizer reports it
// checks the invariants callers rely on (see check_invariants).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ddb/request_facts.hpp"

namespace {

constexpr std::string_view kTargets[] = {
    "DynamoDB_20120810.GetItem",
    "DynamoDB_20120810.PutItem",
    "DynamoDB_20120810.UpdateItem",
    "DynamoDB_20120810.DeleteItem",
    "DynamoDB_20120810.Query",
    "DynamoDB_20120810.Scan",
    "DynamoDB_20120810.BatchGetItem",
    "DynamoDB_20120810.BatchWriteItem",
    "DynamoDB_20120810.TransactGetItems",
    "DynamoDB_20120810.TransactWriteItems",
    "DynamoDB_20120810.ExecuteStatement",
    "DynamoDB_20120810.BatchExecuteStatement",
    "DynamoDB_20120810.ExecuteTransaction",
    "DynamoDB_20120810.CreateTable",
    "DynamoDB_20120810.TagResource",
    "DynamoDBStreams_20120810.GetRecords",
    "DynamoDBStreams_20120810.DescribeStream",
    "DynamoDB_20120810.NoSuchOperation",
    "NoDot",
};

void check(bool condition) {
  if (!condition) __builtin_trap();
}

void check_invariants(const dynaudit::ddb::FactsResult& result, std::string_view body) {
  const auto& facts = result.facts;
  check(facts.body_bytes == body.size());
  for (const auto& table : facts.tables) check(!table.empty());
  for (const auto& path : facts.attributes_read) check(!path.empty());
  for (const auto& path : facts.attributes_written) check(!path.empty());
  for (const auto& key : facts.keys) check(key.type == "S" || key.type == "N" || key.type == "B");
  if (result.error) {
    // The answer the proxy would send must be well formed.
    check(!dynaudit::ddb::error_body(*result.error).empty());
    check(dynaudit::ddb::http_status(result.error->kind) >= 400);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view target = kTargets[data[0] % std::size(kTargets)];
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  check_invariants(dynaudit::ddb::extract_request_facts(target, body), body);
  return 0;
}
