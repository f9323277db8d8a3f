// The operation catalog against botocore's service models (regenerated at test
// time, so a new botocore operation fails this test), plus lookups, classes
// and X-Amz-Target splitting.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <set>
#include <sstream>
#include <string>
#include <utility>

#include "ddb/operation_catalog.hpp"

namespace ddb = dynaudit::ddb;

namespace {

struct BotocoreModels {
  int exit_status = -1;
  std::string diagnostics;  // everything that is not data: versions, paths, tracebacks
  std::set<std::pair<std::string, std::string>> operations;  // (family, name)
  std::set<std::pair<std::string, std::string>> prefixes;    // (family, targetPrefix)
};

// Runs tests/unit/ddb/botocore_operations.py with $DYNAUDIT_PYTHON (default:
// the python3 on PATH, which the design names as the one carrying botocore).
BotocoreModels read_botocore_models() {
  const char* python = std::getenv("DYNAUDIT_PYTHON");
  const std::string command = std::string(python != nullptr ? python : "python3") + " '" DYNAUDIT_SOURCE_DIR
                              "/tests/unit/ddb/botocore_operations.py' 2>&1";
  BotocoreModels models;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    models.diagnostics = "popen failed: " + command;
    return models;
  }
  std::string output;
  char chunk[4096];
  for (std::size_t n; (n = std::fread(chunk, 1, sizeof chunk, pipe)) > 0;) output.append(chunk, n);
  const int status = pclose(pipe);
  models.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;

  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string kind, family, name;
    words >> kind >> family >> name;
    if (kind == "operation") {
      models.operations.emplace(family, name);
    } else if (kind == "prefix") {
      models.prefixes.emplace(family, name);
    } else {
      models.diagnostics += line + "\n";
    }
  }
  models.diagnostics += "command: " + command;
  return models;
}

std::string family_name(ddb::ApiFamily family) {
  return family == ddb::ApiFamily::dynamodb ? "dynamodb" : "streams";
}

}  // namespace

TEST_CASE("the catalog lists exactly the operations of botocore's models", "[catalog][botocore]") {
  const BotocoreModels models = read_botocore_models();
  INFO(models.diagnostics);
  // No python3 or no botocore is a failure: this test exists to catch drift.
  REQUIRE(models.exit_status == 0);
  REQUIRE(models.operations.size() > 50);

  std::set<std::pair<std::string, std::string>> catalog;
  for (const ddb::OperationInfo& info : ddb::all_operations()) {
    catalog.emplace(family_name(info.family), std::string(info.name));
  }
  for (const auto& [family, name] : models.operations) {
    INFO("in botocore, missing from the catalog: " << family << " " << name);
    CHECK(catalog.count({family, name}) == 1);
  }
  for (const auto& [family, name] : catalog) {
    INFO("in the catalog, not in botocore: " << family << " " << name);
    CHECK(models.operations.count({family, name}) == 1);
  }
  CHECK(catalog.size() == ddb::all_operations().size());  // no duplicates

  const std::set<std::pair<std::string, std::string>> expected_prefixes{
      {"dynamodb", std::string(ddb::kDynamoDbTargetPrefix)},
      {"streams", std::string(ddb::kStreamsTargetPrefix)}};
  CHECK(models.prefixes == expected_prefixes);
}

TEST_CASE("all_operations lists DynamoDB first, then Streams", "[catalog]") {
  const auto operations = ddb::all_operations();
  REQUIRE(operations.size() >= 4);
  bool seen_streams = false;
  std::size_t streams = 0;
  for (const ddb::OperationInfo& info : operations) {
    if (info.family == ddb::ApiFamily::streams) {
      seen_streams = true;
      ++streams;
    } else {
      CHECK_FALSE(seen_streams);
    }
  }
  CHECK(streams == 4);
}

TEST_CASE("find_operation finds every catalogued operation and nothing else", "[catalog]") {
  for (const ddb::OperationInfo& info : ddb::all_operations()) {
    INFO(info.name);
    CHECK(ddb::find_operation(info.family, info.name) == &info);
  }
  CHECK(ddb::find_operation(ddb::ApiFamily::dynamodb, "") == nullptr);
  CHECK(ddb::find_operation(ddb::ApiFamily::dynamodb, "getitem") == nullptr);
  CHECK(ddb::find_operation(ddb::ApiFamily::dynamodb, "GetItem ") == nullptr);
  CHECK(ddb::find_operation(ddb::ApiFamily::dynamodb, "GetItems") == nullptr);
  CHECK(ddb::find_operation(ddb::ApiFamily::dynamodb, "AAA") == nullptr);
  CHECK(ddb::find_operation(ddb::ApiFamily::dynamodb, "ZZZ") == nullptr);
  // Right name, wrong API.
  CHECK(ddb::find_operation(ddb::ApiFamily::dynamodb, "GetRecords") == nullptr);
  CHECK(ddb::find_operation(ddb::ApiFamily::streams, "GetItem") == nullptr);
  CHECK(ddb::find_operation(ddb::ApiFamily::streams, "ListTables") == nullptr);

  const ddb::OperationInfo* get_item = ddb::find_operation(ddb::ApiFamily::dynamodb, "GetItem");
  REQUIRE(get_item != nullptr);
  CHECK(get_item->name == "GetItem");
  CHECK(get_item->family == ddb::ApiFamily::dynamodb);
  const ddb::OperationInfo* list_streams = ddb::find_operation(ddb::ApiFamily::streams, "ListStreams");
  REQUIRE(list_streams != nullptr);
  CHECK(list_streams->family == ddb::ApiFamily::streams);
}

TEST_CASE("operation classes: item reads, item writes, everything else admin", "[catalog]") {
  using ddb::OperationClass;
  const std::set<std::pair<std::string, std::string>> reads{
      {"dynamodb", "GetItem"},        {"dynamodb", "BatchGetItem"},    {"dynamodb", "Query"},
      {"dynamodb", "Scan"},           {"dynamodb", "TransactGetItems"}, {"streams", "GetRecords"},
      {"streams", "GetShardIterator"}};
  // PartiQL operations may write, so they are writes.
  const std::set<std::pair<std::string, std::string>> writes{
      {"dynamodb", "PutItem"},          {"dynamodb", "UpdateItem"},           {"dynamodb", "DeleteItem"},
      {"dynamodb", "BatchWriteItem"},   {"dynamodb", "TransactWriteItems"},   {"dynamodb", "ExecuteStatement"},
      {"dynamodb", "BatchExecuteStatement"}, {"dynamodb", "ExecuteTransaction"}};

  for (const ddb::OperationInfo& info : ddb::all_operations()) {
    const std::pair<std::string, std::string> id{family_name(info.family), std::string(info.name)};
    INFO(id.first << " " << id.second);
    if (reads.count(id) != 0) {
      CHECK(info.op_class == OperationClass::read);
    } else if (writes.count(id) != 0) {
      CHECK(info.op_class == OperationClass::write);
    } else {
      CHECK(info.op_class == OperationClass::admin);
    }
  }
  // Every listed read and write exists.
  for (const auto& id : reads) CHECK(ddb::find_operation(id.first == "dynamodb" ? ddb::ApiFamily::dynamodb : ddb::ApiFamily::streams, id.second) != nullptr);
  for (const auto& id : writes) CHECK(ddb::find_operation(ddb::ApiFamily::dynamodb, id.second) != nullptr);

  // Spot checks named in the design: control-plane calls are admin.
  for (const char* name : {"DescribeTable", "ListTables", "CreateTable", "UpdateTimeToLive", "DescribeEndpoints",
                           "DescribeLimits", "TagResource", "PutResourcePolicy", "ExportTableToPointInTime"}) {
    INFO(name);
    const ddb::OperationInfo* info = ddb::find_operation(ddb::ApiFamily::dynamodb, name);
    REQUIRE(info != nullptr);
    CHECK(info->op_class == OperationClass::admin);
  }
  CHECK(ddb::find_operation(ddb::ApiFamily::streams, "DescribeStream")->op_class == OperationClass::admin);
}

TEST_CASE("CloudTrail flags and names of operation classes", "[catalog]") {
  using ddb::OperationClass;
  auto op = [](std::string_view name) { return *ddb::find_operation(ddb::ApiFamily::dynamodb, name); };
  CHECK(ddb::is_read_only(op("GetItem")));
  CHECK(ddb::is_read_only(op("Scan")));
  CHECK(ddb::is_read_only(op("DescribeTable")));  // CloudTrail: readOnly management event
  CHECK(ddb::is_read_only(op("ListTables")));
  CHECK(ddb::is_read_only(op("GetResourcePolicy")));
  CHECK_FALSE(ddb::is_read_only(op("PutItem")));
  CHECK_FALSE(ddb::is_read_only(op("ExecuteStatement")));
  CHECK_FALSE(ddb::is_read_only(op("CreateTable")));
  CHECK_FALSE(ddb::is_read_only(op("TagResource")));
  CHECK(ddb::is_read_only(*ddb::find_operation(ddb::ApiFamily::streams, "GetRecords")));
  CHECK(ddb::is_management_event(OperationClass::admin));
  CHECK_FALSE(ddb::is_management_event(OperationClass::read));
  CHECK_FALSE(ddb::is_management_event(OperationClass::write));
  CHECK(ddb::to_string(OperationClass::read) == "read");
  CHECK(ddb::to_string(OperationClass::write) == "write");
  CHECK(ddb::to_string(OperationClass::admin) == "admin");
}

TEST_CASE("split_target splits at the first dot and names the API", "[catalog][target]") {
  SECTION("DynamoDB") {
    const auto parts = ddb::split_target("DynamoDB_20120810.GetItem");
    REQUIRE(parts.has_value());
    CHECK(parts->prefix == "DynamoDB_20120810");
    CHECK(parts->operation == "GetItem");
    CHECK(parts->family == ddb::ApiFamily::dynamodb);
  }
  SECTION("Streams") {
    const auto parts = ddb::split_target("DynamoDBStreams_20120810.GetRecords");
    REQUIRE(parts.has_value());
    CHECK(parts->prefix == "DynamoDBStreams_20120810");
    CHECK(parts->operation == "GetRecords");
    CHECK(parts->family == ddb::ApiFamily::streams);
  }
  SECTION("an unknown prefix still splits, without a family") {
    const auto parts = ddb::split_target("DynamoDB_20111205.GetItem");
    REQUIRE(parts.has_value());
    CHECK(parts->prefix == "DynamoDB_20111205");
    CHECK(parts->operation == "GetItem");
    CHECK_FALSE(parts->family.has_value());
  }
  SECTION("prefixes compare exactly") {
    const auto parts = ddb::split_target("dynamodb_20120810.GetItem");
    REQUIRE(parts.has_value());
    CHECK_FALSE(parts->family.has_value());
  }
  SECTION("only the first dot splits") {
    const auto parts = ddb::split_target("DynamoDB_20120810.Get.Item");
    REQUIRE(parts.has_value());
    CHECK(parts->operation == "Get.Item");
  }
  SECTION("no dot or an empty side") {
    CHECK_FALSE(ddb::split_target("").has_value());
    CHECK_FALSE(ddb::split_target("GetItem").has_value());
    CHECK_FALSE(ddb::split_target(".GetItem").has_value());
    CHECK_FALSE(ddb::split_target("DynamoDB_20120810.").has_value());
    CHECK_FALSE(ddb::split_target(".").has_value());
  }
}
