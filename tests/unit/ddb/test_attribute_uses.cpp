// How requests use the attributes they name (ddb/attribute_use.hpp): the
// input of the masked-use check. Each case is a shape an attacker could use to
// read a masked value some other way than reading it back, or a harmless
// shape that must stay harmless.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "ddb/expression_uses.hpp"
#include "ddb/request_facts.hpp"

namespace {

using dynaudit::ddb::AttributeUse;
using dynaudit::ddb::UseKind;

// "path kind member detail" per use, in order.
std::vector<std::string> uses_of(const std::string& operation, const std::string& body) {
  const auto uses = dynaudit::ddb::extract_attribute_uses("DynamoDB_20120810." + operation, body);
  REQUIRE(uses);
  std::vector<std::string> out;
  for (const AttributeUse& u : *uses) {
    std::string line = u.path + " " + std::string(dynaudit::ddb::to_string(u.kind)) + " " + u.member;
    if (!u.detail.empty()) line += " " + u.detail;
    out.push_back(line);
  }
  return out;
}

}  // namespace

TEST_CASE("condition expressions: functions, comparisons, equality, existence", "[uses]") {
  const auto uses = uses_of("Scan", R"J({"TableName":"t","FilterExpression":
      "begins_with(card, :p) AND size(#n) > :s AND a BETWEEN :x AND :y AND b IN (:x) AND :v = c AND d <> :v AND attribute_exists(e) AND attribute_not_exists(f.g[1]) AND h < :v AND (attribute_type(i, :t))",
      "ExpressionAttributeNames":{"#n":"notes"}})J");
  CHECK(uses == std::vector<std::string>{
                    "card function FilterExpression begins_with", "notes function FilterExpression size",
                    "a comparison FilterExpression BETWEEN", "b comparison FilterExpression IN",
                    "c equality FilterExpression =", "d equality FilterExpression <>",
                    "e exists FilterExpression attribute_exists", "f.g[1] exists FilterExpression attribute_not_exists",
                    "h comparison FilterExpression <", "i function FilterExpression attribute_type"});
}

TEST_CASE("key conditions: = is key equality, anything else probes", "[uses]") {
  const auto uses = uses_of("Query", R"J({"TableName":"t","KeyConditionExpression":"pk = :k AND begins_with(sk, :p)"})J");
  CHECK(uses == std::vector<std::string>{"pk key equality KeyConditionExpression =",
                                         "sk function KeyConditionExpression begins_with"});
  const auto legacy = uses_of("Query", R"J({"TableName":"t","KeyConditions":{
      "pk":{"ComparisonOperator":"EQ","AttributeValueList":[{"S":"1"}]},
      "sk":{"ComparisonOperator":"GT","AttributeValueList":[{"S":"1"}]}},
      "QueryFilter":{"x":{"ComparisonOperator":"EQ","AttributeValueList":[{"S":"1"}]},
                     "y":{"ComparisonOperator":"NOT_NULL"},"z":{"ComparisonOperator":"CONTAINS","AttributeValueList":[{"S":"1"}]}}})J");
  CHECK(legacy == std::vector<std::string>{"pk key equality KeyConditions EQ", "sk comparison KeyConditions GT",
                                           "x equality QueryFilter EQ", "y exists QueryFilter NOT_NULL",
                                           "z function QueryFilter CONTAINS"});
}

TEST_CASE("update expressions: targets are writes, sources are copies, self-updates stay", "[uses]") {
  const auto uses = uses_of("UpdateItem", R"J({"TableName":"t","Key":{"id":{"S":"1"}},
      "UpdateExpression":"SET leak = card, l = list_append(l, :x), m = if_not_exists(card, :z), n = n + :one, card = :v, o = card REMOVE p ADD q :n DELETE r :s",
      "ConditionExpression":"attribute_exists(card)"})J");
  CHECK(uses == std::vector<std::string>{
                    "id key equality Key", "leak write UpdateExpression SET", "card copy UpdateExpression SET",
                    "l write UpdateExpression SET", "l write UpdateExpression list_append",
                    "m write UpdateExpression SET", "card copy UpdateExpression if_not_exists",
                    "n write UpdateExpression SET", "n write UpdateExpression SET",
                    "card write UpdateExpression SET", "o write UpdateExpression SET", "card copy UpdateExpression SET",
                    "p write UpdateExpression REMOVE", "q write UpdateExpression ADD", "r write UpdateExpression DELETE",
                    "card exists ConditionExpression attribute_exists"});
}

TEST_CASE("a placeholder defined twice yields every definition", "[uses]") {
  // A body repeating ExpressionAttributeNames is refused as a whole...
  CHECK_FALSE(dynaudit::ddb::extract_attribute_uses("DynamoDB_20120810.Scan", R"J({"TableName":"t","FilterExpression":"begins_with(#a, :p)",
      "ExpressionAttributeNames":{"#a":"name"},"ExpressionAttributeNames":{"#a":"card"}})J"));
  // ...and the expression analysis itself never picks one definition.
  const dynaudit::ddb::ExpressionAttributeNames names({{"#a", "name"}, {"#a", "card"}});
  std::vector<AttributeUse> uses;
  dynaudit::ddb::collect_expression_uses(dynaudit::ddb::ExpressionRole::condition, "FilterExpression",
                                         "begins_with(#a, :p)", names, "t", uses);
  REQUIRE(uses.size() == 2);
  CHECK(uses[0].path == "name");
  CHECK(uses[1].path == "card");
  CHECK(uses[1].kind == UseKind::function);
}

TEST_CASE("legacy Expected: Exists false only tests presence, a Value is equality", "[uses]") {
  const auto uses = uses_of("PutItem", R"J({"TableName":"t","Item":{"id":{"S":"1"}},
      "Expected":{"a":{"Exists":false},"b":{"Value":{"S":"x"}},"c":{"Value":{"S":"x"},"Exists":true},
                  "d":{"ComparisonOperator":"BEGINS_WITH","AttributeValueList":[{"S":"4"}]}}})J");
  CHECK(uses == std::vector<std::string>{"id write Item", "a exists Expected", "b equality Expected",
                                         "c equality Expected", "d function Expected BEGINS_WITH"});
}

TEST_CASE("start keys keep their value for the sealed-token check; projections are reads", "[uses]") {
  const auto uses = dynaudit::ddb::extract_attribute_uses("DynamoDB_20120810.Query",
      R"J({"TableName":"t","ProjectionExpression":"a, b.c","AttributesToGet":["d"],"ExclusiveStartKey":{"pk":{"S":"p"},"sk":{"S":"dynaudit:v1:abc"}}})J");
  REQUIRE(uses);
  REQUIRE(uses->size() == 5);
  CHECK((*uses)[0].kind == UseKind::read);
  CHECK((*uses)[1].path == "b.c");
  CHECK((*uses)[2].kind == UseKind::read);
  CHECK((*uses)[3].kind == UseKind::start_key);
  CHECK((*uses)[3].start_key_value == "p");
  CHECK((*uses)[4].start_key_value == "dynaudit:v1:abc");
}

TEST_CASE("PartiQL: WHERE, ORDER BY, SET sources and SELECT lists", "[uses]") {
  const auto uses = uses_of("ExecuteStatement", R"J({"Statement":
      "SELECT a, size(b) FROM \"T\" WHERE pk = ? AND begins_with(card, '4') AND c > 1 AND d IS NOT MISSING AND 'x' = e AND f <> 'y' ORDER BY g"})J");
  CHECK(uses == std::vector<std::string>{
                    "a read PartiQL SELECT", "b function PartiQL SELECT size", "pk equality PartiQL WHERE =",
                    "card function PartiQL WHERE begins_with", "c comparison PartiQL WHERE",
                    "d exists PartiQL WHERE IS", "e equality PartiQL WHERE =", "f comparison PartiQL WHERE",
                    "g comparison PartiQL ORDER BY"});
  const auto update = uses_of("ExecuteStatement",
                              R"J({"Statement":"UPDATE T SET leak = card SET n = n + 1 REMOVE old WHERE pk = 'k'"})J");
  CHECK(update == std::vector<std::string>{"leak write PartiQL SET", "card copy PartiQL SET", "n write PartiQL SET",
                                           "n write PartiQL SET", "old write PartiQL REMOVE",
                                           "pk equality PartiQL WHERE ="});
  const auto insert = uses_of("ExecuteStatement", R"J({"Statement":"INSERT INTO T VALUE {'pk': 'k', 'card': ?}"})J");
  CHECK(insert == std::vector<std::string>{"pk write PartiQL INSERT", "card write PartiQL INSERT"});
}

TEST_CASE("uses carry the table of their item request", "[uses]") {
  const auto uses = dynaudit::ddb::extract_attribute_uses("DynamoDB_20120810.TransactWriteItems",
      R"J({"TransactItems":[{"ConditionCheck":{"TableName":"A","Key":{"id":{"S":"1"}},"ConditionExpression":"x = :v"}},
                          {"Update":{"TableName":"B","Key":{"id":{"S":"2"}},"UpdateExpression":"SET y = z"}}]})J");
  REQUIRE(uses);
  std::vector<std::string> tables;
  for (const auto& u : *uses) tables.push_back(u.path + "@" + u.table);
  CHECK(tables == std::vector<std::string>{"id@A", "x@A", "id@B", "y@B", "z@B"});
}

TEST_CASE("a body that cannot be analysed gives no uses, so the caller refuses", "[uses]") {
  CHECK_FALSE(dynaudit::ddb::extract_attribute_uses("DynamoDB_20120810.Scan", R"J({"TableName": )J"));
  CHECK_FALSE(dynaudit::ddb::extract_attribute_uses("DynamoDB_20120810.Scan", R"J({"a":1,"a":2})J"));
  CHECK(dynaudit::ddb::extract_attribute_uses("DynamoDB_20120810.Scan", "")->empty());
}
