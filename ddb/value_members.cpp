// The value-carrying request members of botocore's DynamoDB model (2012-08-10).
// Regenerate the entries with
//   python3 tests/unit/ddb/botocore_value_members.py --cpp
// test_value_members.cpp recomputes them from the installed botocore and fails
// on any difference, so a new member (or operation) cannot go unnoticed.
#include "ddb/value_members.hpp"

#include <algorithm>
#include <array>

namespace dynaudit::ddb {
namespace {

constexpr std::array kValueMembers{
    ValueMember{"BatchExecuteStatement", "Statements[].Parameters", ValueKind::value_list},
    ValueMember{"BatchExecuteStatement", "Statements[].Statement", ValueKind::statement},
    ValueMember{"BatchGetItem", "RequestItems.*.Keys[]", ValueKind::item},
    ValueMember{"BatchGetItem", "RequestItems.*.ProjectionExpression", ValueKind::expression},
    ValueMember{"BatchWriteItem", "RequestItems.*[].DeleteRequest.Key", ValueKind::item},
    ValueMember{"BatchWriteItem", "RequestItems.*[].PutRequest.Item", ValueKind::item},
    ValueMember{"DeleteItem", "ConditionExpression", ValueKind::expression},
    ValueMember{"DeleteItem", "Expected", ValueKind::expected},
    ValueMember{"DeleteItem", "ExpressionAttributeValues", ValueKind::expression_values},
    ValueMember{"DeleteItem", "Key", ValueKind::item},
    ValueMember{"ExecuteStatement", "Parameters", ValueKind::value_list},
    ValueMember{"ExecuteStatement", "Statement", ValueKind::statement},
    ValueMember{"ExecuteTransaction", "TransactStatements[].Parameters", ValueKind::value_list},
    ValueMember{"ExecuteTransaction", "TransactStatements[].Statement", ValueKind::statement},
    ValueMember{"GetItem", "Key", ValueKind::item},
    ValueMember{"GetItem", "ProjectionExpression", ValueKind::expression},
    ValueMember{"PutItem", "ConditionExpression", ValueKind::expression},
    ValueMember{"PutItem", "Expected", ValueKind::expected},
    ValueMember{"PutItem", "ExpressionAttributeValues", ValueKind::expression_values},
    ValueMember{"PutItem", "Item", ValueKind::item},
    ValueMember{"Query", "ExclusiveStartKey", ValueKind::item},
    ValueMember{"Query", "ExpressionAttributeValues", ValueKind::expression_values},
    ValueMember{"Query", "FilterExpression", ValueKind::expression},
    ValueMember{"Query", "KeyConditionExpression", ValueKind::expression},
    ValueMember{"Query", "KeyConditions", ValueKind::conditions},
    ValueMember{"Query", "ProjectionExpression", ValueKind::expression},
    ValueMember{"Query", "QueryFilter", ValueKind::conditions},
    ValueMember{"Scan", "ExclusiveStartKey", ValueKind::item},
    ValueMember{"Scan", "ExpressionAttributeValues", ValueKind::expression_values},
    ValueMember{"Scan", "FilterExpression", ValueKind::expression},
    ValueMember{"Scan", "ProjectionExpression", ValueKind::expression},
    ValueMember{"Scan", "ScanFilter", ValueKind::conditions},
    ValueMember{"TransactGetItems", "TransactItems[].Get.Key", ValueKind::item},
    ValueMember{"TransactGetItems", "TransactItems[].Get.ProjectionExpression", ValueKind::expression},
    ValueMember{"TransactWriteItems", "TransactItems[].ConditionCheck.ConditionExpression", ValueKind::expression},
    ValueMember{"TransactWriteItems", "TransactItems[].ConditionCheck.ExpressionAttributeValues", ValueKind::expression_values},
    ValueMember{"TransactWriteItems", "TransactItems[].ConditionCheck.Key", ValueKind::item},
    ValueMember{"TransactWriteItems", "TransactItems[].Delete.ConditionExpression", ValueKind::expression},
    ValueMember{"TransactWriteItems", "TransactItems[].Delete.ExpressionAttributeValues", ValueKind::expression_values},
    ValueMember{"TransactWriteItems", "TransactItems[].Delete.Key", ValueKind::item},
    ValueMember{"TransactWriteItems", "TransactItems[].Put.ConditionExpression", ValueKind::expression},
    ValueMember{"TransactWriteItems", "TransactItems[].Put.ExpressionAttributeValues", ValueKind::expression_values},
    ValueMember{"TransactWriteItems", "TransactItems[].Put.Item", ValueKind::item},
    ValueMember{"TransactWriteItems", "TransactItems[].Update.ConditionExpression", ValueKind::expression},
    ValueMember{"TransactWriteItems", "TransactItems[].Update.ExpressionAttributeValues", ValueKind::expression_values},
    ValueMember{"TransactWriteItems", "TransactItems[].Update.Key", ValueKind::item},
    ValueMember{"TransactWriteItems", "TransactItems[].Update.UpdateExpression", ValueKind::expression},
    ValueMember{"UpdateItem", "AttributeUpdates", ValueKind::attribute_updates},
    ValueMember{"UpdateItem", "ConditionExpression", ValueKind::expression},
    ValueMember{"UpdateItem", "Expected", ValueKind::expected},
    ValueMember{"UpdateItem", "ExpressionAttributeValues", ValueKind::expression_values},
    ValueMember{"UpdateItem", "Key", ValueKind::item},
    ValueMember{"UpdateItem", "UpdateExpression", ValueKind::expression},
};

constexpr std::array kWrapperMembers{
    WrapperValueMember{"AttributeValueUpdate", "Value", ValueKind::value},
    WrapperValueMember{"Condition", "AttributeValueList", ValueKind::value_list},
    WrapperValueMember{"ExpectedAttributeValue", "AttributeValueList", ValueKind::value_list},
    WrapperValueMember{"ExpectedAttributeValue", "Value", ValueKind::value},
};

constexpr bool sorted_by_operation() {
  for (std::size_t i = 1; i < kValueMembers.size(); ++i) {
    const auto& a = kValueMembers[i - 1];
    const auto& b = kValueMembers[i];
    if (a.operation > b.operation || (a.operation == b.operation && a.path >= b.path)) return false;
  }
  return true;
}
static_assert(sorted_by_operation(), "value_members_of binary-searches the table: keep it sorted");

constexpr std::array<std::string_view, 9> kKindNames{
    "item", "attribute_updates", "expected", "conditions", "expression_values",
    "value_list", "value", "statement", "expression"};

}  // namespace

std::span<const ValueMember> all_value_members() { return kValueMembers; }

std::span<const ValueMember> value_members_of(std::string_view operation) {
  const auto [first, last] = std::equal_range(
      kValueMembers.begin(), kValueMembers.end(), ValueMember{operation, {}, ValueKind::value},
      [](const ValueMember& a, const ValueMember& b) { return a.operation < b.operation; });
  return {first, last};
}

std::span<const WrapperValueMember> wrapper_value_members() { return kWrapperMembers; }

std::string_view wrapper_of(ValueKind kind) {
  switch (kind) {
    case ValueKind::attribute_updates: return "AttributeValueUpdate";
    case ValueKind::expected: return "ExpectedAttributeValue";
    case ValueKind::conditions: return "Condition";
    default: return {};
  }
}

std::string_view to_string(ValueKind kind) { return kKindNames[static_cast<std::size_t>(kind)]; }

std::optional<ValueKind> parse_value_kind(std::string_view name) {
  for (std::size_t i = 0; i < kKindNames.size(); ++i) {
    if (kKindNames[i] == name) return static_cast<ValueKind>(i);
  }
  return std::nullopt;
}

}  // namespace dynaudit::ddb
