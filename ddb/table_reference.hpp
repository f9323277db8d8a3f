// Table names from the two forms a DynamoDB request can name a table in: a
// plain name, or an ARN of the table or of something under it (index, stream,
// backup, export, import). Rules match on names, so ARNs are reduced to them.
#pragma once

#include <optional>
#include <string_view>

namespace dynaudit::ddb {

// "arn:aws:dynamodb:eu-west-1:123456789012:table/Orders/stream/2024..." →
// "Orders". Empty for anything that is not a DynamoDB table-scoped ARN (e.g. a
// Kinesis stream ARN in EnableKinesisStreamingDestination).
std::optional<std::string_view> table_name_from_arn(std::string_view arn);

// A TableName value: since 2024 DynamoDB accepts a table ARN wherever a table
// name goes, so both forms must give the same name or a rule on the name
// could be bypassed with the ARN. A value starting with "arn:" that is not a
// table ARN is returned unchanged. Empty for an empty value.
std::optional<std::string_view> table_name_from_name_or_arn(std::string_view value);

}  // namespace dynaudit::ddb
