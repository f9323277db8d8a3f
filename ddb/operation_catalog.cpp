// The operation catalog: one constexpr table of every DynamoDB and DynamoDB
// Streams operation with its class, searched by binary search so that a lookup
// on the request path costs a handful of string compares and no allocation.
#include "ddb/operation_catalog.hpp"

#include <algorithm>
#include <array>

namespace dynaudit::ddb {
namespace {

using enum OperationClass;
constexpr ApiFamily kDdb = ApiFamily::dynamodb;
constexpr ApiFamily kStreams = ApiFamily::streams;

// Each family's block is sorted by name (checked below) so find_operation can
// binary-search it. The list must equal botocore's service models exactly; the
// unit test regenerates it from botocore and compares both ways.
//
// Classes follow CloudTrail: item reads are `read` (readOnly data events),
// item writes are `write`, everything on the control plane (Describe*, List*,
// tables, backups, exports, tags, policies, ...) is `admin` (management events).
//
// The PartiQL operations (ExecuteStatement, BatchExecuteStatement,
// ExecuteTransaction) are `write`: a statement may be SELECT, INSERT, UPDATE or
// DELETE, and the operation alone cannot tell which. Calling them read would let
// a write slip through any rule that allows "reads" only.
constexpr std::array kOperations{
    // DynamoDB_20120810
    OperationInfo{"BatchExecuteStatement", write, kDdb},
    OperationInfo{"BatchGetItem", read, kDdb},
    OperationInfo{"BatchWriteItem", write, kDdb},
    OperationInfo{"CreateBackup", admin, kDdb},
    OperationInfo{"CreateGlobalTable", admin, kDdb},
    OperationInfo{"CreateTable", admin, kDdb},
    OperationInfo{"DeleteBackup", admin, kDdb},
    OperationInfo{"DeleteItem", write, kDdb},
    OperationInfo{"DeleteResourcePolicy", admin, kDdb},
    OperationInfo{"DeleteTable", admin, kDdb},
    OperationInfo{"DescribeBackup", admin, kDdb},
    OperationInfo{"DescribeContinuousBackups", admin, kDdb},
    OperationInfo{"DescribeContributorInsights", admin, kDdb},
    OperationInfo{"DescribeEndpoints", admin, kDdb},
    OperationInfo{"DescribeExport", admin, kDdb},
    OperationInfo{"DescribeGlobalTable", admin, kDdb},
    OperationInfo{"DescribeGlobalTableSettings", admin, kDdb},
    OperationInfo{"DescribeImport", admin, kDdb},
    OperationInfo{"DescribeKinesisStreamingDestination", admin, kDdb},
    OperationInfo{"DescribeLimits", admin, kDdb},
    OperationInfo{"DescribeTable", admin, kDdb},
    OperationInfo{"DescribeTableReplicaAutoScaling", admin, kDdb},
    OperationInfo{"DescribeTimeToLive", admin, kDdb},
    OperationInfo{"DisableKinesisStreamingDestination", admin, kDdb},
    OperationInfo{"EnableKinesisStreamingDestination", admin, kDdb},
    OperationInfo{"ExecuteStatement", write, kDdb},
    OperationInfo{"ExecuteTransaction", write, kDdb},
    OperationInfo{"ExportTableToPointInTime", admin, kDdb},
    OperationInfo{"GetItem", read, kDdb},
    OperationInfo{"GetResourcePolicy", admin, kDdb},
    OperationInfo{"ImportTable", admin, kDdb},
    OperationInfo{"ListBackups", admin, kDdb},
    OperationInfo{"ListContributorInsights", admin, kDdb},
    OperationInfo{"ListExports", admin, kDdb},
    OperationInfo{"ListGlobalTables", admin, kDdb},
    OperationInfo{"ListImports", admin, kDdb},
    OperationInfo{"ListTables", admin, kDdb},
    OperationInfo{"ListTagsOfResource", admin, kDdb},
    OperationInfo{"PutItem", write, kDdb},
    OperationInfo{"PutResourcePolicy", admin, kDdb},
    OperationInfo{"Query", read, kDdb},
    OperationInfo{"RestoreTableFromBackup", admin, kDdb},
    OperationInfo{"RestoreTableToPointInTime", admin, kDdb},
    OperationInfo{"Scan", read, kDdb},
    OperationInfo{"TagResource", admin, kDdb},
    OperationInfo{"TransactGetItems", read, kDdb},
    OperationInfo{"TransactWriteItems", write, kDdb},
    OperationInfo{"UntagResource", admin, kDdb},
    OperationInfo{"UpdateContinuousBackups", admin, kDdb},
    OperationInfo{"UpdateContributorInsights", admin, kDdb},
    OperationInfo{"UpdateGlobalTable", admin, kDdb},
    OperationInfo{"UpdateGlobalTableSettings", admin, kDdb},
    OperationInfo{"UpdateItem", write, kDdb},
    OperationInfo{"UpdateKinesisStreamingDestination", admin, kDdb},
    OperationInfo{"UpdateTable", admin, kDdb},
    OperationInfo{"UpdateTableReplicaAutoScaling", admin, kDdb},
    OperationInfo{"UpdateTimeToLive", admin, kDdb},
    // DynamoDBStreams_20120810: reading change records is a data read (CloudTrail
    // logs GetRecords/GetShardIterator as data events); describing and listing
    // streams is control plane.
    OperationInfo{"DescribeStream", admin, kStreams},
    OperationInfo{"GetRecords", read, kStreams},
    OperationInfo{"GetShardIterator", read, kStreams},
    OperationInfo{"ListStreams", admin, kStreams},
};

constexpr auto kFamilyThenName = [](const OperationInfo& a, const OperationInfo& b) {
  if (a.family != b.family) return a.family < b.family;
  return a.name < b.name;
};
static_assert(std::is_sorted(kOperations.begin(), kOperations.end(), kFamilyThenName),
              "kOperations must be sorted by family, then name");
static_assert(std::adjacent_find(kOperations.begin(), kOperations.end(),
                                 [](const OperationInfo& a, const OperationInfo& b) {
                                   return a.family == b.family && a.name == b.name;
                                 }) == kOperations.end(),
              "kOperations must not list an operation twice");

std::optional<ApiFamily> family_of_prefix(std::string_view prefix) {
  if (prefix == kDynamoDbTargetPrefix) return ApiFamily::dynamodb;
  if (prefix == kStreamsTargetPrefix) return ApiFamily::streams;
  return std::nullopt;
}

}  // namespace

std::span<const OperationInfo> all_operations() { return kOperations; }

const OperationInfo* find_operation(ApiFamily family, std::string_view name) {
  const OperationInfo probe{name, OperationClass::admin, family};
  const auto* it = std::lower_bound(kOperations.begin(), kOperations.end(), probe, kFamilyThenName);
  if (it == kOperations.end() || it->family != family || it->name != name) return nullptr;
  return &*it;
}

std::optional<TargetParts> split_target(std::string_view x_amz_target) {
  const auto dot = x_amz_target.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 == x_amz_target.size()) {
    return std::nullopt;
  }
  TargetParts parts;
  parts.prefix = x_amz_target.substr(0, dot);
  parts.operation = x_amz_target.substr(dot + 1);
  parts.family = family_of_prefix(parts.prefix);
  return parts;
}

std::string_view to_string(OperationClass c) {
  switch (c) {
    case OperationClass::read: return "read";
    case OperationClass::write: return "write";
    case OperationClass::admin: return "admin";
  }
  return "unknown";
}

bool is_read_only(const OperationInfo& op) {
  if (op.op_class == OperationClass::read) return true;
  if (op.op_class != OperationClass::admin) return false;
  return op.name.starts_with("Describe") || op.name.starts_with("List") || op.name.starts_with("Get");
}

}  // namespace dynaudit::ddb
