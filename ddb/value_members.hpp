// Every request member that can carry a value (an AttributeValue, a legacy
// condition or update holding one, a PartiQL statement, an expression), per
// operation, as botocore's service model defines them. The audit log sends
// each of them through its mask plan and the error-message scrubber, so a
// member the model has cannot be forgotten. A unit test recomputes the table
// from botocore (tests/unit/ddb/botocore_value_members.py) and compares.
#pragma once

#include <optional>
#include <span>
#include <string_view>

namespace dynaudit::ddb {

enum class ValueKind {
  item,               // map<AttributeName, AttributeValue>: Key, Item, ExclusiveStartKey, Keys[]
  attribute_updates,  // map<AttributeName, AttributeValueUpdate>: legacy AttributeUpdates
  expected,           // map<AttributeName, ExpectedAttributeValue>: legacy Expected
  conditions,         // map<AttributeName, Condition>: KeyConditions, QueryFilter, ScanFilter
  expression_values,  // map<":placeholder", AttributeValue>: ExpressionAttributeValues
  value_list,         // list<AttributeValue>: PartiQL Parameters
  value,              // one AttributeValue
  statement,          // a PartiQL statement (may hold literals)
  expression,         // condition, key condition, filter, projection or update expression
};

// One member: `path` joins member names with '.', '*' stands for any key of
// a map and "[]" for any element of a list: "RequestItems.*[].PutRequest.Item".
struct ValueMember {
  std::string_view operation;
  std::string_view path;
  ValueKind kind;
};

// The members of AttributeValueUpdate, ExpectedAttributeValue and Condition
// that hold values (kind `value` or `value_list`).
struct WrapperValueMember {
  std::string_view wrapper;  // "AttributeValueUpdate", "ExpectedAttributeValue", "Condition"
  std::string_view member;   // "Value", "AttributeValueList"
  ValueKind kind;
};

// Sorted by operation, then path.
std::span<const ValueMember> all_value_members();
// The members of one operation; empty for one that carries no values.
std::span<const ValueMember> value_members_of(std::string_view operation);
std::span<const WrapperValueMember> wrapper_value_members();
// The wrapper shape whose map a legacy kind holds; empty for the other kinds.
std::string_view wrapper_of(ValueKind kind);

std::string_view to_string(ValueKind kind);
std::optional<ValueKind> parse_value_kind(std::string_view name);

}  // namespace dynaudit::ddb
