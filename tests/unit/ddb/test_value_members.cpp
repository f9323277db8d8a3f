// The value-member table against botocore's service models (recomputed at
// test time by botocore_value_members.py, so a new value-carrying member or
// operation fails here), and the walk that follows it through a body.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <tuple>

#include "ddb/operation_catalog.hpp"
#include "ddb/value_member_walk.hpp"
#include "ddb/value_members.hpp"

namespace ddb = dynaudit::ddb;

namespace {

struct ModelMembers {
  int exit_status = -1;
  std::string diagnostics;
  std::set<std::tuple<std::string, std::string, std::string>> members;   // operation, path, kind
  std::set<std::tuple<std::string, std::string, std::string>> wrappers;  // wrapper, member, kind
  std::set<std::string> operations_with_members;
};

ModelMembers read_model_members() {
  const char* python = std::getenv("DYNAUDIT_PYTHON");
  const std::string command = std::string(python != nullptr ? python : "python3") + " '" DYNAUDIT_SOURCE_DIR
                              "/tests/unit/ddb/botocore_value_members.py' 2>&1";
  ModelMembers model;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    model.diagnostics = "popen failed: " + command;
    return model;
  }
  std::string output;
  char chunk[4096];
  for (std::size_t n; (n = std::fread(chunk, 1, sizeof chunk, pipe)) > 0;) output.append(chunk, n);
  const int status = pclose(pipe);
  model.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string what;
    words >> what;
    if (what == "member") {
      std::string family, operation, path, kind;
      words >> family >> operation >> path >> kind;
      model.members.emplace(operation, path, kind);
      model.operations_with_members.insert(operation);
    } else if (what == "wrapper") {
      std::string wrapper, member, kind;
      words >> wrapper >> member >> kind;
      model.wrappers.emplace(wrapper, member, kind);
    } else {
      model.diagnostics += line + "\n";
    }
  }
  model.diagnostics += "command: " + command;
  return model;
}

// Records what the walk hands over: (kind, the member's JSON).
class Recorder : public ddb::ValueMemberVisitor {
 public:
  void visit(ddb::ValueKind kind, simdjson::dom::element value, std::string* out) override {
    seen.emplace_back(std::string(ddb::to_string(kind)), simdjson::minify(value));
    if (out) *out += "\"X\"";
  }
  std::vector<std::pair<std::string, std::string>> seen;
};

Recorder walk(std::string_view body, std::string* out = nullptr) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  REQUIRE(parser.parse(simdjson::padded_string(body)).get(root) == simdjson::SUCCESS);
  Recorder recorder;
  ddb::walk_value_members(root, recorder, out);
  return recorder;
}

}  // namespace

TEST_CASE("the value-member table equals botocore's models", "[value_members][botocore]") {
  const ModelMembers model = read_model_members();
  INFO(model.diagnostics);
  REQUIRE(model.exit_status == 0);  // no python3, botocore or an unclassifiable shape: fail
  REQUIRE(model.members.size() > 40);

  std::set<std::tuple<std::string, std::string, std::string>> table;
  for (const ddb::ValueMember& member : ddb::all_value_members())
    table.emplace(std::string(member.operation), std::string(member.path), std::string(ddb::to_string(member.kind)));
  for (const auto& [operation, path, kind] : model.members) {
    INFO("in botocore, missing from ddb/value_members.cpp: " << operation << " " << path << " " << kind
                                                              << " (regenerate with botocore_value_members.py --cpp)");
    CHECK(table.count({operation, path, kind}) == 1);
  }
  for (const auto& [operation, path, kind] : table) {
    INFO("in ddb/value_members.cpp, not in botocore: " << operation << " " << path << " " << kind);
    CHECK(model.members.count({operation, path, kind}) == 1);
  }
  CHECK(table.size() == ddb::all_value_members().size());

  std::set<std::tuple<std::string, std::string, std::string>> wrappers;
  for (const ddb::WrapperValueMember& member : ddb::wrapper_value_members())
    wrappers.emplace(std::string(member.wrapper), std::string(member.member), std::string(ddb::to_string(member.kind)));
  CHECK(wrappers == model.wrappers);
}

TEST_CASE("every operation of the table is in the catalog; lookups find exactly its members",
          "[value_members]") {
  std::map<std::string, std::size_t> per_operation;
  for (const ddb::ValueMember& member : ddb::all_value_members()) {
    INFO(member.operation);
    CHECK(ddb::find_operation(ddb::ApiFamily::dynamodb, member.operation) != nullptr);
    ++per_operation[std::string(member.operation)];
  }
  for (const auto& [operation, count] : per_operation) {
    const auto members = ddb::value_members_of(operation);
    CHECK(members.size() == count);
    for (const auto& member : members) CHECK(member.operation == operation);
  }
  CHECK(ddb::value_members_of("CreateTable").empty());
  CHECK(ddb::value_members_of("").empty());
  CHECK(ddb::value_members_of("Zzz").empty());
  // The legacy members the audit plan once missed are all there.
  const std::set<std::pair<std::string, std::string>> legacy{
      {"UpdateItem", "AttributeUpdates"}, {"UpdateItem", "Expected"}, {"PutItem", "Expected"},
      {"DeleteItem", "Expected"},        {"Query", "KeyConditions"},  {"Query", "QueryFilter"},
      {"Scan", "ScanFilter"},            {"Query", "ExclusiveStartKey"}, {"Scan", "ExclusiveStartKey"}};
  for (const auto& [operation, path] : legacy) {
    INFO(operation << " " << path);
    bool found = false;
    for (const auto& member : ddb::value_members_of(operation)) found = found || member.path == path;
    CHECK(found);
  }
}

TEST_CASE("a path has one kind in every operation (the walk uses their union)", "[value_members]") {
  std::map<std::string, ddb::ValueKind> kinds;
  for (const ddb::ValueMember& member : ddb::all_value_members()) {
    const auto [it, inserted] = kinds.emplace(std::string(member.path), member.kind);
    INFO(member.operation << " " << member.path);
    CHECK(it->second == member.kind);
  }
}

TEST_CASE("kind names round-trip", "[value_members]") {
  for (const auto kind : {ddb::ValueKind::item, ddb::ValueKind::attribute_updates, ddb::ValueKind::expected,
                          ddb::ValueKind::conditions, ddb::ValueKind::expression_values, ddb::ValueKind::value_list,
                          ddb::ValueKind::value, ddb::ValueKind::statement, ddb::ValueKind::expression}) {
    CHECK(ddb::parse_value_kind(ddb::to_string(kind)) == kind);
  }
  CHECK_FALSE(ddb::parse_value_kind("items"));
  CHECK(ddb::wrapper_of(ddb::ValueKind::conditions) == "Condition");
  CHECK(ddb::wrapper_of(ddb::ValueKind::item).empty());
}

TEST_CASE("the walk visits each value member of the operation, every occurrence", "[value_members][walk]") {
  SECTION("UpdateItem: key, legacy members, placeholders, expressions") {
    const auto r = walk(R"({"TableName":"t","Key":{"id":{"S":"k"}},
      "AttributeUpdates":{"a":{"Value":{"S":"v"},"Action":"PUT"}},
      "Expected":{"b":{"Value":{"N":"1"}}},
      "UpdateExpression":"SET x = :v","ExpressionAttributeValues":{":v":{"S":"w"}},
      "Key":{"id":{"S":"again"}}})");
    const std::vector<std::pair<std::string, std::string>> expected{
        {"item", R"({"id":{"S":"k"}})"},
        {"attribute_updates", R"({"a":{"Value":{"S":"v"},"Action":"PUT"}})"},
        {"expected", R"({"b":{"Value":{"N":"1"}}})"},
        {"expression", R"("SET x = :v")"},
        {"expression_values", R"({":v":{"S":"w"}})"},
        {"item", R"({"id":{"S":"again"}})"}};
    CHECK(r.seen == expected);
  }
  SECTION("BatchWriteItem: through maps and lists") {
    std::string out;
    const auto r = walk(R"({"RequestItems":{"t1":[{"PutRequest":{"Item":{"a":{"S":"1"}}}},
      {"DeleteRequest":{"Key":{"k":{"S":"2"}}}}],"t2":[{"PutRequest":{"Item":{}}}]},"ReturnConsumedCapacity":"TOTAL"})",
                        &out);
    CHECK(r.seen.size() == 3);
    CHECK(out == R"({"RequestItems":{"t1":[{"PutRequest":{"Item":"X"}},{"DeleteRequest":{"Key":"X"}}],"t2":[{"PutRequest":{"Item":"X"}}]},"ReturnConsumedCapacity":"TOTAL"})");
  }
  SECTION("members in the wrong place are not value members") {
    const auto r = walk(R"({"TableName":"t","Nested":{"Key":{"a":{"S":"1"}}},"Keys":[{"a":{"S":"1"}}]})");
    CHECK(r.seen.empty());
  }
  SECTION("a member is visited whatever the operation (the walk follows every operation's members)") {
    const auto r = walk(R"({"Statement":"SELECT 1","Item":{"a":{"S":"1"}},"ScanFilter":{}})");
    CHECK(r.seen.size() == 3);
  }
}
