// Table names from names and ARNs.
#include <catch2/catch.hpp>

#include "ddb/table_reference.hpp"

namespace ddb = dynaudit::ddb;

TEST_CASE("table ARNs reduce to the table name", "[table]") {
  CHECK(ddb::table_name_from_arn("arn:aws:dynamodb:eu-west-1:123456789012:table/Orders") == "Orders");
  CHECK(ddb::table_name_from_arn("arn:aws:dynamodb:us-east-1:123456789012:table/Orders/index/ByDate") == "Orders");
  CHECK(ddb::table_name_from_arn(
            "arn:aws:dynamodb:us-east-1:123456789012:table/Orders/stream/2024-01-01T00:00:00.000") == "Orders");
  CHECK(ddb::table_name_from_arn("arn:aws:dynamodb:us-east-1:123456789012:table/Orders/backup/01700000000000-abc") ==
        "Orders");
  CHECK(ddb::table_name_from_arn("arn:aws-cn:dynamodb:cn-north-1:123456789012:table/my.table-1") == "my.table-1");
  CHECK(ddb::table_name_from_arn("arn:aws:dynamodb:ddblocal:000000000000:table/t") == "t");

  CHECK_FALSE(ddb::table_name_from_arn("arn:aws:kinesis:us-east-1:123456789012:stream/Orders").has_value());
  CHECK_FALSE(ddb::table_name_from_arn("arn:aws:dynamodb::123456789012:global-table/Orders").has_value());
  CHECK_FALSE(ddb::table_name_from_arn("arn:aws:dynamodb:us-east-1:123456789012:table/").has_value());
  CHECK_FALSE(ddb::table_name_from_arn("arn:aws:dynamodb:us-east-1:table/Orders").has_value());
  CHECK_FALSE(ddb::table_name_from_arn("Orders").has_value());
  CHECK_FALSE(ddb::table_name_from_arn("").has_value());
}

TEST_CASE("TableName values may be names or ARNs", "[table]") {
  CHECK(ddb::table_name_from_name_or_arn("Orders") == "Orders");
  CHECK(ddb::table_name_from_name_or_arn("arn:aws:dynamodb:eu-west-1:123456789012:table/Orders") == "Orders");
  CHECK(ddb::table_name_from_name_or_arn("arn:bogus") == "arn:bogus");
  CHECK_FALSE(ddb::table_name_from_name_or_arn("").has_value());
}
