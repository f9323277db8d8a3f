// The DynamoDB operation catalog: every operation of the DynamoDB and DynamoDB
// Streams JSON APIs with its class. CloudTrail's `readOnly` and
// `managementEvent` fields, and rule conditions on operation classes, follow
// from it. Checked against botocore's service model by a unit test.
#pragma once

#include <optional>
#include <span>
#include <string_view>

namespace dynaudit::ddb {

enum class OperationClass { read, write, admin };

enum class ApiFamily { dynamodb, streams };

// X-Amz-Target prefixes of the two JSON APIs.
inline constexpr std::string_view kDynamoDbTargetPrefix = "DynamoDB_20120810";
inline constexpr std::string_view kStreamsTargetPrefix = "DynamoDBStreams_20120810";

struct OperationInfo {
  std::string_view name;  // e.g. "GetItem"
  OperationClass op_class;
  ApiFamily family;
};

// All known operations, DynamoDB first, then Streams.
std::span<const OperationInfo> all_operations();

// Looks an operation up by family and name; nullptr when unknown.
const OperationInfo* find_operation(ApiFamily family, std::string_view name);

struct TargetParts {
  std::string_view prefix;     // before the dot
  std::string_view operation;  // after the dot
  std::optional<ApiFamily> family;  // empty for an unknown prefix
};

// Splits an X-Amz-Target value ("DynamoDB_20120810.GetItem"). Empty when the
// value has no dot or an empty side.
std::optional<TargetParts> split_target(std::string_view x_amz_target);

// CloudTrail semantics: admin (control-plane) calls are management events;
// reads and writes of items are data events.
constexpr bool is_management_event(OperationClass c) { return c == OperationClass::admin; }
// CloudTrail's readOnly: item reads, and control-plane calls that only look
// (Describe*, List*, Get*), so that filtering on readOnly == false finds
// every call that can change something and no DescribeTable polls.
bool is_read_only(const OperationInfo& op);
std::string_view to_string(OperationClass c);

}  // namespace dynaudit::ddb
