// libFuzzer target for extract_request_facts and extract_attribute_uses: the
// first byte picks the X-Amz-Target, the rest is the body. Besides crashes
// and sanitizer reports it checks the invariants callers rely on (see
// check_invariants) and that the facts (which rules see) and the uses (which
// the masking check sees) agree on the attributes a request names.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ddb/request_facts.hpp"
#include "fuzz_check.hpp"

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

void check_invariants(const dynaudit::ddb::FactsResult& result, std::string_view body) {
  const auto& facts = result.facts;
  FUZZ_CHECK(facts.body_bytes == body.size());
  for (const auto& table : facts.tables) FUZZ_CHECK(!table.empty());
  for (const auto& path : facts.attributes_read) FUZZ_CHECK(!path.empty());
  for (const auto& path : facts.attributes_written) FUZZ_CHECK(!path.empty());
  for (const auto& key : facts.keys) FUZZ_CHECK(key.type == "S" || key.type == "N" || key.type == "B");
  if (result.error) {
    // The answer the proxy would send must be well formed.
    FUZZ_CHECK(!dynaudit::ddb::error_body(*result.error).empty());
    FUZZ_CHECK(dynaudit::ddb::http_status(result.error->kind) >= 400);
  }
}

std::vector<std::string> sorted(std::vector<std::string> list) {
  std::sort(list.begin(), list.end());
  return list;
}

bool contains(const std::vector<std::string>& sorted_list, const std::string& value) {
  return std::binary_search(sorted_list.begin(), sorted_list.end(), value);
}

// Key maps and ExclusiveStartKey name key attributes that are not "read" in
// the facts; a PartiQL INSERT's tuple values are not paths of the table.
bool named_only_in_uses(const dynaudit::ddb::AttributeUse& use) {
  return use.member == "Key" || use.member == "Keys" || use.member == "ExclusiveStartKey" ||
         use.member == "PartiQL VALUE";
}

void check_uses(const dynaudit::ddb::FactsResult& result, std::string_view target, std::string_view body) {
  const auto uses = dynaudit::ddb::extract_attribute_uses(target, body);
  // The masking check refuses a request whose uses are unknown; a request
  // the facts accept must have them, and one they refuse must not.
  FUZZ_CHECK(uses.has_value() == !result.error.has_value());
  if (!uses) return;
  const std::vector<std::string> read = sorted(result.facts.attributes_read);
  const std::vector<std::string> written = sorted(result.facts.attributes_written);
  std::vector<std::string> use_paths;
  for (const auto& use : *uses) {
    FUZZ_CHECK(!use.path.empty() && !use.member.empty());
    if (use.kind == dynaudit::ddb::UseKind::start_key) FUZZ_CHECK(use.member == "ExclusiveStartKey");
    use_paths.push_back(use.path);
    if (!named_only_in_uses(use)) FUZZ_CHECK(contains(read, use.path) || contains(written, use.path));
  }
  use_paths = sorted(std::move(use_paths));
  for (const std::string& path : read) FUZZ_CHECK(contains(use_paths, path));
  for (const std::string& path : written) FUZZ_CHECK(contains(use_paths, path));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view target = kTargets[data[0] % std::size(kTargets)];
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  const auto result = dynaudit::ddb::extract_request_facts(target, body);
  check_invariants(result, body);
  check_uses(result, target, body);
  return 0;
}
