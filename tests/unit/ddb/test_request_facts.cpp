// extract_request_facts on the bodies boto3 sends for every data-plane
// operation (generated with botocore's own JSON serializer), on control-plane
// and Streams calls, and on hostile input: malformed JSON, non-objects, deep
// nesting, duplicate keys, huge batches.
#include <catch2/catch.hpp>

#include <string>
#include <thread>
#include <vector>

#include "ddb/request_facts.hpp"

namespace ddb = dynaudit::ddb;
using Strings = std::vector<std::string>;

namespace {

ddb::RequestFacts facts_of(std::string_view operation, std::string_view body) {
  const std::string target = "DynamoDB_20120810." + std::string(operation);
  ddb::FactsResult result = ddb::extract_request_facts(target, body);
  INFO("body: " << body);
  if (result.error) FAIL_CHECK("unexpected error: " << ddb::error_body(*result.error));
  CHECK(result.facts.target == target);
  CHECK(result.facts.operation == operation);
  CHECK(result.facts.body_bytes == body.size());
  return std::move(result.facts);
}

// Keys as "table/attribute/type/value", for exact comparison.
Strings keys_of(const ddb::RequestFacts& facts) {
  Strings keys;
  for (const auto& key : facts.keys) keys.push_back(key.table + "/" + key.attribute + "/" + key.type + "/" + key.value);
  return keys;
}

void check_class(const ddb::RequestFacts& facts, ddb::OperationClass expected) {
  REQUIRE(facts.info != nullptr);
  CHECK(facts.info->name == facts.operation);
  CHECK(facts.info->op_class == expected);
}

bool is_serialization_error(const ddb::FactsResult& result) {
  return result.error.has_value() && result.error->kind == ddb::ErrorKind::serialization &&
         result.error->message.empty();
}

}  // namespace

TEST_CASE("GetItem", "[facts][data-plane]") {
  const auto facts = facts_of("GetItem",
      R"({"TableName": "Orders", "Key": {"pk": {"S": "customer#42"}, "sk": {"N": "7"}}, "ProjectionExpression": "#s, total, items[0].sku", "ExpressionAttributeNames": {"#s": "status"}, "ConsistentRead": true})");
  check_class(facts, ddb::OperationClass::read);
  CHECK(facts.tables == Strings{"Orders"});
  CHECK(keys_of(facts) == Strings{"Orders/pk/S/customer#42", "Orders/sk/N/7"});
  CHECK(facts.attributes_read == Strings{"status", "total", "items[0].sku"});
  CHECK(facts.attributes_written.empty());
  CHECK(facts.expressions == Strings{"#s, total, items[0].sku"});
  CHECK(facts.item_count == 1);
  CHECK_FALSE(facts.index_name.has_value());
  CHECK_FALSE(facts.limit.has_value());
  CHECK_FALSE(facts.partiql_statement.has_value());
}

TEST_CASE("PutItem records the attribute names written, not keys", "[facts][data-plane]") {
  const auto facts = facts_of("PutItem",
      R"j({"TableName": "Orders", "Item": {"pk": {"S": "c1"}, "sk": {"N": "1"}, "total": {"N": "12.5"}, "card": {"M": {"number": {"S": "4111"}}}, "blob": {"B": "AAE="}}, "ConditionExpression": "attribute_not_exists(pk)", "ReturnValues": "ALL_OLD"})j");
  check_class(facts, ddb::OperationClass::write);
  CHECK(facts.tables == Strings{"Orders"});
  CHECK(facts.keys.empty());  // which attributes are keys needs the table schema
  CHECK(facts.attributes_written == Strings{"pk", "sk", "total", "card", "blob"});
  CHECK(facts.attributes_read == Strings{"pk"});
  CHECK(facts.expressions == Strings{"attribute_not_exists(pk)"});
  CHECK(facts.item_count == 1);
}

TEST_CASE("UpdateItem", "[facts][data-plane]") {
  const auto facts = facts_of("UpdateItem",
      R"({"TableName": "Orders", "Key": {"pk": {"S": "c1"}, "sk": {"N": "1"}}, "UpdateExpression": "SET #st = :s, info.history[0] = :h, total = total + :inc REMOVE tmp ADD visits :one", "ConditionExpression": "#st <> :s", "ExpressionAttributeNames": {"#st": "status"}, "ExpressionAttributeValues": {":s": {"S": "paid"}, ":h": {"S": "x"}, ":inc": {"N": "1"}, ":one": {"N": "1"}}, "ReturnValues": "UPDATED_NEW"})");
  check_class(facts, ddb::OperationClass::write);
  CHECK(facts.tables == Strings{"Orders"});
  CHECK(keys_of(facts) == Strings{"Orders/pk/S/c1", "Orders/sk/N/1"});
  CHECK(facts.attributes_written == Strings{"status", "info.history[0]", "total", "tmp", "visits"});
  CHECK(facts.attributes_read == Strings{"total", "status"});
  CHECK(facts.expressions ==
        Strings{"SET #st = :s, info.history[0] = :h, total = total + :inc REMOVE tmp ADD visits :one", "#st <> :s"});
  CHECK(facts.item_count == 1);
}

TEST_CASE("DeleteItem", "[facts][data-plane]") {
  const auto facts = facts_of("DeleteItem",
      R"({"TableName": "Orders", "Key": {"pk": {"S": "c1"}, "sk": {"N": "1"}}, "ConditionExpression": "attribute_exists(pk) AND #st = :s", "ExpressionAttributeNames": {"#st": "status"}, "ExpressionAttributeValues": {":s": {"S": "cancelled"}}})");
  check_class(facts, ddb::OperationClass::write);
  CHECK(facts.tables == Strings{"Orders"});
  CHECK(keys_of(facts) == Strings{"Orders/pk/S/c1", "Orders/sk/N/1"});
  CHECK(facts.attributes_read == Strings{"pk", "status"});
  CHECK(facts.attributes_written.empty());
  CHECK(facts.expressions == Strings{"attribute_exists(pk) AND #st = :s"});
  CHECK(facts.item_count == 1);
}

TEST_CASE("Query", "[facts][data-plane]") {
  const auto facts = facts_of("Query",
      R"j({"TableName": "Orders", "IndexName": "ByDate", "KeyConditionExpression": "pk = :pk AND begins_with(#d, :day)", "FilterExpression": "total > :min", "ProjectionExpression": "pk, #d, total", "ExpressionAttributeNames": {"#d": "date"}, "ExpressionAttributeValues": {":pk": {"S": "c1"}, ":day": {"S": "2024"}, ":min": {"N": "10"}}, "Limit": 25, "ScanIndexForward": false})j");
  check_class(facts, ddb::OperationClass::read);
  CHECK(facts.tables == Strings{"Orders"});
  CHECK(facts.index_name == std::optional<std::string>("ByDate"));
  CHECK(facts.limit == std::optional<long long>(25));
  CHECK(facts.keys.empty());
  CHECK(facts.attributes_read == Strings{"pk", "date", "total"});
  CHECK(facts.attributes_written.empty());
  CHECK(facts.expressions == Strings{"pk = :pk AND begins_with(#d, :day)", "total > :min", "pk, #d, total"});
  CHECK(facts.item_count == 0);
}

TEST_CASE("Scan", "[facts][data-plane]") {
  const auto facts = facts_of("Scan",
      R"({"TableName": "Orders", "FilterExpression": "contains(tags, :t) OR size(items) > :n", "ExpressionAttributeValues": {":t": {"S": "gift"}, ":n": {"N": "3"}}, "Segment": 1, "TotalSegments": 4, "Limit": 100})");
  check_class(facts, ddb::OperationClass::read);
  CHECK(facts.tables == Strings{"Orders"});
  CHECK(facts.attributes_read == Strings{"tags", "items"});
  CHECK(facts.segment == std::optional<int>(1));
  CHECK(facts.total_segments == std::optional<int>(4));
  CHECK(facts.limit == std::optional<long long>(100));
  CHECK_FALSE(facts.index_name.has_value());
  CHECK(facts.item_count == 0);
}

TEST_CASE("BatchGetItem", "[facts][data-plane]") {
  const auto facts = facts_of("BatchGetItem",
      R"({"RequestItems": {"Orders": {"Keys": [{"pk": {"S": "a"}, "sk": {"N": "1"}}, {"pk": {"S": "b"}, "sk": {"N": "2"}}], "ProjectionExpression": "#t", "ExpressionAttributeNames": {"#t": "total"}}, "Customers": {"Keys": [{"id": {"B": "3q0="}}], "AttributesToGet": ["name", "email"]}}})");
  check_class(facts, ddb::OperationClass::read);
  CHECK(facts.tables == Strings{"Orders", "Customers"});
  CHECK(keys_of(facts) ==
        Strings{"Orders/pk/S/a", "Orders/sk/N/1", "Orders/pk/S/b", "Orders/sk/N/2", "Customers/id/B/3q0="});
  CHECK(facts.attributes_read == Strings{"total", "name", "email"});
  CHECK(facts.expressions == Strings{"#t"});
  CHECK(facts.item_count == 3);
}

TEST_CASE("BatchWriteItem", "[facts][data-plane]") {
  const auto facts = facts_of("BatchWriteItem",
      R"({"RequestItems": {"Orders": [{"PutRequest": {"Item": {"pk": {"S": "a"}, "sk": {"N": "1"}, "total": {"N": "1"}}}}, {"DeleteRequest": {"Key": {"pk": {"S": "b"}, "sk": {"N": "2"}}}}], "Audit": [{"PutRequest": {"Item": {"id": {"S": "e1"}, "event": {"S": "x"}}}}]}})");
  check_class(facts, ddb::OperationClass::write);
  CHECK(facts.tables == Strings{"Orders", "Audit"});
  CHECK(keys_of(facts) == Strings{"Orders/pk/S/b", "Orders/sk/N/2"});
  CHECK(facts.attributes_written == Strings{"pk", "sk", "total", "id", "event"});
  CHECK(facts.attributes_read.empty());
  CHECK(facts.item_count == 3);
}

TEST_CASE("TransactGetItems", "[facts][data-plane]") {
  const auto facts = facts_of("TransactGetItems",
      R"({"TransactItems": [{"Get": {"TableName": "Orders", "Key": {"pk": {"S": "a"}, "sk": {"N": "1"}}, "ProjectionExpression": "#t", "ExpressionAttributeNames": {"#t": "total"}}}, {"Get": {"TableName": "Customers", "Key": {"id": {"S": "c1"}}}}]})");
  check_class(facts, ddb::OperationClass::read);
  CHECK(facts.tables == Strings{"Orders", "Customers"});
  CHECK(keys_of(facts) == Strings{"Orders/pk/S/a", "Orders/sk/N/1", "Customers/id/S/c1"});
  CHECK(facts.attributes_read == Strings{"total"});
  CHECK(facts.expressions == Strings{"#t"});
  CHECK(facts.item_count == 2);
}

TEST_CASE("TransactWriteItems: each item resolves its own #names", "[facts][data-plane]") {
  const auto facts = facts_of("TransactWriteItems",
      R"j({"TransactItems": [{"ConditionCheck": {"TableName": "Customers", "Key": {"id": {"S": "c1"}}, "ConditionExpression": "#a = :t", "ExpressionAttributeNames": {"#a": "active"}, "ExpressionAttributeValues": {":t": {"BOOL": true}}}}, {"Put": {"TableName": "Orders", "Item": {"pk": {"S": "c1"}, "sk": {"N": "9"}, "total": {"N": "5"}}, "ConditionExpression": "attribute_not_exists(pk)"}}, {"Update": {"TableName": "Inventory", "Key": {"sku": {"S": "s1"}}, "UpdateExpression": "SET #q = #q - :one", "ExpressionAttributeNames": {"#q": "quantity"}, "ExpressionAttributeValues": {":one": {"N": "1"}}}}, {"Delete": {"TableName": "Carts", "Key": {"id": {"S": "c1"}}}}], "ClientRequestToken": "tok-1"})j");
  check_class(facts, ddb::OperationClass::write);
  CHECK(facts.tables == Strings{"Customers", "Orders", "Inventory", "Carts"});
  CHECK(keys_of(facts) == Strings{"Customers/id/S/c1", "Inventory/sku/S/s1", "Carts/id/S/c1"});
  CHECK(facts.attributes_read == Strings{"active", "pk", "quantity"});
  CHECK(facts.attributes_written == Strings{"pk", "sk", "total", "quantity"});
  CHECK(facts.expressions == Strings{"#a = :t", "attribute_not_exists(pk)", "SET #q = #q - :one"});
  CHECK(facts.item_count == 4);
}

TEST_CASE("ExecuteStatement", "[facts][data-plane][partiql]") {
  const auto facts = facts_of("ExecuteStatement",
      R"({"Statement": "SELECT total, \"status\" FROM \"Orders\".\"ByDate\" WHERE pk = ?", "Parameters": [{"S": "c1"}], "Limit": 10})");
  check_class(facts, ddb::OperationClass::write);
  const std::string statement = R"(SELECT total, "status" FROM "Orders"."ByDate" WHERE pk = ?)";
  CHECK(facts.tables == Strings{"Orders"});
  CHECK(facts.index_name == std::optional<std::string>("ByDate"));
  CHECK(facts.partiql_statement == std::optional<std::string>(statement));
  CHECK(facts.expressions == Strings{statement});
  CHECK(facts.attributes_read == Strings{"total", "status", "pk"});
  CHECK(facts.attributes_written.empty());
  CHECK(facts.keys.empty());
  CHECK(facts.limit == std::optional<long long>(10));
  CHECK(facts.item_count == 0);
}

TEST_CASE("BatchExecuteStatement", "[facts][data-plane][partiql]") {
  const auto facts = facts_of("BatchExecuteStatement",
      R"({"Statements": [{"Statement": "UPDATE \"Orders\" SET total = ? WHERE pk = ? AND sk = ?", "Parameters": [{"N": "1"}, {"S": "a"}, {"N": "1"}]}, {"Statement": "INSERT INTO \"Audit\" VALUE {'id': ?, 'event': ?}", "Parameters": [{"S": "e"}, {"S": "x"}]}, {"Statement": "SELECT * FROM Customers WHERE id = ?", "Parameters": [{"S": "c1"}]}]})");
  check_class(facts, ddb::OperationClass::write);
  CHECK(facts.tables == Strings{"Orders", "Audit", "Customers"});
  CHECK(facts.partiql_statement == std::optional<std::string>(R"(UPDATE "Orders" SET total = ? WHERE pk = ? AND sk = ?)"));
  CHECK(facts.expressions == Strings{R"(UPDATE "Orders" SET total = ? WHERE pk = ? AND sk = ?)",
                                     R"(INSERT INTO "Audit" VALUE {'id': ?, 'event': ?})",
                                     "SELECT * FROM Customers WHERE id = ?"});
  CHECK(facts.attributes_written == Strings{"total", "id", "event"});
  CHECK(facts.attributes_read == Strings{"pk", "sk", "id"});
  CHECK(facts.item_count == 3);
}

TEST_CASE("ExecuteTransaction", "[facts][data-plane][partiql]") {
  const auto facts = facts_of("ExecuteTransaction",
      R"j({"TransactStatements": [{"Statement": "EXISTS(SELECT * FROM \"Customers\" WHERE id = ? AND active = true)", "Parameters": [{"S": "c1"}]}, {"Statement": "DELETE FROM \"Carts\" WHERE id = ?", "Parameters": [{"S": "c1"}]}], "ClientRequestToken": "tok-2"})j");
  check_class(facts, ddb::OperationClass::write);
  CHECK(facts.tables == Strings{"Customers", "Carts"});
  CHECK(facts.attributes_read == Strings{"id", "active"});
  CHECK(facts.attributes_written.empty());
  CHECK(facts.partiql_statement ==
        std::optional<std::string>(R"(EXISTS(SELECT * FROM "Customers" WHERE id = ? AND active = true))"));
  CHECK(facts.item_count == 2);
}

TEST_CASE("legacy (pre-expression) parameters", "[facts][legacy]") {
  auto facts = facts_of("Query",
      R"({"TableName": "Orders", "KeyConditions": {"pk": {"AttributeValueList": [{"S": "a"}], "ComparisonOperator": "EQ"}}, "QueryFilter": {"total": {"AttributeValueList": [{"N": "1"}], "ComparisonOperator": "GT"}}, "AttributesToGet": ["pk", "note"]})");
  CHECK(facts.attributes_read == Strings{"pk", "total", "note"});
  CHECK(facts.expressions.empty());

  facts = facts_of("Scan", R"({"TableName": "Orders", "ScanFilter": {"status": {"ComparisonOperator": "NOT_NULL"}}})");
  CHECK(facts.attributes_read == Strings{"status"});

  facts = facts_of("UpdateItem",
      R"({"TableName": "Orders", "Key": {"pk": {"S": "a"}}, "AttributeUpdates": {"total": {"Value": {"N": "2"}, "Action": "PUT"}, "old": {"Action": "DELETE"}}, "Expected": {"version": {"Value": {"N": "1"}}}})");
  CHECK(keys_of(facts) == Strings{"Orders/pk/S/a"});
  CHECK(facts.attributes_written == Strings{"total", "old"});
  CHECK(facts.attributes_read == Strings{"version"});
}

TEST_CASE("key values: S, N and B only", "[facts][keys]") {
  const auto facts = facts_of("GetItem",
      R"({"TableName": "T", "Key": {"s": {"S": ""}, "n": {"N": "-1.5e3"}, "b": {"B": "AA=="}, "m": {"M": {}}, "l": {"L": []}, "bool": {"BOOL": true}, "null": {"NULL": true}, "ss": {"SS": ["a"]}, "bare": "x", "num": {"N": 5}, "u": {"S": "\u00e9\n"}}})");
  CHECK(keys_of(facts) == Strings{"T/s/S/", "T/n/N/-1.5e3", "T/b/B/AA==", "T/u/S/\xc3\xa9\n"});
}

TEST_CASE("tables named by ARN are reduced to names", "[facts][tables]") {
  auto facts = facts_of("GetItem",
      R"({"TableName": "arn:aws:dynamodb:eu-west-1:123456789012:table/Orders", "Key": {"pk": {"S": "a"}}})");
  CHECK(facts.tables == Strings{"Orders"});
  CHECK(keys_of(facts) == Strings{"Orders/pk/S/a"});

  facts = facts_of("BatchGetItem",
      R"({"RequestItems": {"arn:aws:dynamodb:eu-west-1:123456789012:table/Orders": {"Keys": [{"pk": {"S": "a"}}]}}})");
  CHECK(facts.tables == Strings{"Orders"});
  CHECK(keys_of(facts) == Strings{"Orders/pk/S/a"});
}

TEST_CASE("control-plane and Streams operations name their tables", "[facts][tables]") {
  CHECK(facts_of("TagResource",
                 R"({"ResourceArn": "arn:aws:dynamodb:us-east-1:123456789012:table/Orders", "Tags": [{"Key": "k", "Value": "v"}]})")
            .tables == Strings{"Orders"});
  CHECK(facts_of("ListTagsOfResource", R"({"ResourceArn": "arn:aws:dynamodb:us-east-1:1:table/Orders/index/ByDate"})")
            .tables == Strings{"Orders"});
  CHECK(facts_of("PutResourcePolicy",
                 R"({"ResourceArn": "arn:aws:dynamodb:us-east-1:1:table/Orders/stream/2024-01-01T00:00:00.000", "Policy": "{}"})")
            .tables == Strings{"Orders"});
  CHECK(facts_of("ExportTableToPointInTime", R"({"TableArn": "arn:aws:dynamodb:us-east-1:1:table/Orders", "S3Bucket": "b"})")
            .tables == Strings{"Orders"});
  CHECK(facts_of("RestoreTableToPointInTime", R"({"SourceTableName": "Orders", "TargetTableName": "OrdersRestored"})")
            .tables == Strings{"Orders", "OrdersRestored"});
  CHECK(facts_of("DeleteBackup", R"({"BackupArn": "arn:aws:dynamodb:us-east-1:1:table/Orders/backup/017-abc"})")
            .tables == Strings{"Orders"});
  CHECK(facts_of("ImportTable",
                 R"({"S3BucketSource": {"S3Bucket": "b"}, "InputFormat": "CSV", "TableCreationParameters": {"TableName": "Imported", "KeySchema": []}})")
            .tables == Strings{"Imported"});
  CHECK(facts_of("EnableKinesisStreamingDestination",
                 R"({"TableName": "Orders", "StreamArn": "arn:aws:kinesis:us-east-1:1:stream/orders-stream"})")
            .tables == Strings{"Orders"});
  const auto create = facts_of("CreateTable",
      R"({"AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}], "TableName": "New", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}], "BillingMode": "PAY_PER_REQUEST"})");
  check_class(create, ddb::OperationClass::admin);
  CHECK(create.tables == Strings{"New"});
  CHECK(create.item_count == 0);

  const std::string stream_arn = "arn:aws:dynamodb:us-east-1:1:table/Orders/stream/2024-01-01T00:00:00.000";
  auto streams = ddb::extract_request_facts("DynamoDBStreams_20120810.DescribeStream",
                                            R"({"StreamArn": ")" + stream_arn + R"(", "Limit": 10})");
  REQUIRE_FALSE(streams.error.has_value());
  REQUIRE(streams.facts.info != nullptr);
  CHECK(streams.facts.info->family == ddb::ApiFamily::streams);
  CHECK(streams.facts.info->op_class == ddb::OperationClass::admin);
  CHECK(streams.facts.tables == Strings{"Orders"});
  CHECK(streams.facts.limit == std::optional<long long>(10));
  // An iterator's text is the caller's to write: it names no table in the
  // facts (the proxy looks up the table it handed the iterator out for).
  const std::string iterator = stream_arn + "|1|AAAAAAAAAAE=";
  streams = ddb::extract_request_facts("DynamoDBStreams_20120810.GetRecords",
                                       R"({"ShardIterator": ")" + iterator + R"(", "Limit": 100})");
  REQUIRE_FALSE(streams.error.has_value());
  CHECK(streams.facts.info->op_class == ddb::OperationClass::read);
  CHECK(streams.facts.tables.empty());
  CHECK(streams.facts.shard_iterator == iterator);
  streams = ddb::extract_request_facts("DynamoDBStreams_20120810.GetRecords", R"({"ShardIterator": "opaque"})");
  CHECK(streams.facts.tables.empty());
  CHECK(streams.facts.shard_iterator == "opaque");
}

TEST_CASE("unknown operations and targets are not errors", "[facts][unknown]") {
  auto result = ddb::extract_request_facts("DynamoDB_20120810.FrobnicateItem", R"({"TableName": "Orders"})");
  CHECK_FALSE(result.error.has_value());
  CHECK(result.facts.operation == "FrobnicateItem");
  CHECK(result.facts.info == nullptr);
  CHECK(result.facts.tables == Strings{"Orders"});
  CHECK(result.facts.item_count == 0);

  result = ddb::extract_request_facts("DynamoDB_20991231.GetItem", R"({"TableName": "Orders", "Key": {"k": {"S": "v"}}})");
  CHECK_FALSE(result.error.has_value());
  CHECK(result.facts.operation == "GetItem");
  CHECK(result.facts.info == nullptr);  // unknown API version
  CHECK(result.facts.tables == Strings{"Orders"});
  CHECK(keys_of(result.facts) == Strings{"Orders/k/S/v"});
  CHECK(result.facts.item_count == 0);

  result = ddb::extract_request_facts("", R"({"TableName": "Orders"})");
  CHECK_FALSE(result.error.has_value());
  CHECK(result.facts.target.empty());
  CHECK(result.facts.operation.empty());
  CHECK(result.facts.info == nullptr);
  CHECK(result.facts.tables == Strings{"Orders"});

  result = ddb::extract_request_facts("GetItem", "{}");
  CHECK(result.facts.operation.empty());
  CHECK(result.facts.target == "GetItem");
}

TEST_CASE("an empty body is not an error", "[facts][malformed]") {
  const auto result = ddb::extract_request_facts("DynamoDB_20120810.DescribeLimits", "");
  CHECK_FALSE(result.error.has_value());
  REQUIRE(result.facts.info != nullptr);
  CHECK(result.facts.info->name == "DescribeLimits");
  CHECK(result.facts.body_bytes == 0);
  const auto get = ddb::extract_request_facts("DynamoDB_20120810.GetItem", "");
  CHECK_FALSE(get.error.has_value());
  CHECK(get.facts.item_count == 0);
  CHECK(get.facts.tables.empty());
  const auto empty_object = ddb::extract_request_facts("DynamoDB_20120810.ListTables", "{}");
  CHECK_FALSE(empty_object.error.has_value());
}

TEST_CASE("malformed JSON and non-objects are SerializationExceptions", "[facts][malformed]") {
  for (const std::string_view body :
       {R"({"TableName": "Orders")", R"({"TableName": })", "{", "}", "nope", " ", "\n", R"({"a": 1,})",
        R"({"a": 1} {"b": 2})", R"({"a": 1} x)", R"({'a': 1})", R"({"a": NaN})", R"({"a": "\x"})",
        "{\"a\": \"\xff\"}", "{\"a\": \"tab\there\"}", "[]", R"(["TableName", "Orders"])", R"("Orders")",
        "42", "null", "true"}) {
    INFO("body: " << body);
    const auto result = ddb::extract_request_facts("DynamoDB_20120810.GetItem", body);
    CHECK(is_serialization_error(result));
    CHECK(result.facts.operation == "GetItem");
    CHECK(result.facts.info != nullptr);
    CHECK(result.facts.body_bytes == body.size());
    CHECK(result.facts.tables.empty());
  }
  const auto result = ddb::extract_request_facts("DynamoDB_20120810.GetItem", "{\"TableName\": ");
  REQUIRE(result.error.has_value());
  CHECK(ddb::error_body(*result.error) == R"({"__type":"com.amazon.coral.service#SerializationException"})");
  CHECK(ddb::http_status(result.error->kind) == 400);
}

TEST_CASE("huge nesting is rejected without exhausting the stack", "[facts][malformed]") {
  const std::size_t depth = 100000;
  std::string deep = R"({"TableName": "Orders", "X": )" + std::string(depth, '[') + std::string(depth, ']') + "}";
  CHECK(is_serialization_error(ddb::extract_request_facts("DynamoDB_20120810.GetItem", deep)));
  std::string deep_unclosed = R"({"Item": )" + std::string(depth, '{');
  CHECK(is_serialization_error(ddb::extract_request_facts("DynamoDB_20120810.PutItem", deep_unclosed)));

  // Nesting DynamoDB itself allows (32 levels of maps) is fine.
  std::string nested;
  for (int i = 0; i < 32; ++i) nested += R"({"M": {"n": )";
  nested += R"({"S": "leaf"})";
  for (int i = 0; i < 32; ++i) nested += "}}";
  const auto facts = facts_of("PutItem", R"({"TableName": "T", "Item": {"pk": {"S": "a"}, "deep": )" + nested + "}}");
  CHECK(facts.attributes_written == Strings{"pk", "deep"});
}

TEST_CASE("duplicate JSON keys are refused, and cannot hide a table or an attribute", "[facts][hostile]") {
  // DynamoDB's reader keeps one of two equal members; which one is not
  // the proxy's to guess, so the body is refused (SerializationException).
  // The facts still name everything either reading would touch, for the record.
  auto result = ddb::extract_request_facts("DynamoDB_20120810.GetItem",
      R"({"TableName": "Public", "TableName": "Secret", "Key": {"id": {"S": "1"}}, "ProjectionExpression": "#n", "ExpressionAttributeNames": {"#n": "title"}, "ExpressionAttributeNames": {"#n": "ssn"}})");
  REQUIRE(result.error);
  CHECK(result.error->kind == ddb::ErrorKind::serialization);
  CHECK(result.facts.tables == Strings{"Public", "Secret"});
  CHECK(keys_of(result.facts) == Strings{"Secret/id/S/1"});
  CHECK(result.facts.attributes_read == Strings{"title", "ssn"});

  result = ddb::extract_request_facts("DynamoDB_20120810.BatchGetItem",
      R"({"RequestItems": {"A": {"Keys": [{"k": {"S": "1"}}]}}, "RequestItems": {"B": {"Keys": [{"k": {"S": "2"}}]}}})");
  REQUIRE(result.error);
  CHECK(result.facts.tables == Strings{"A", "B"});
  CHECK(result.facts.item_count == 2);

  // At any depth, and whatever the escaping: "\u0053" is "S".
  for (const char* body : {R"({"TableName": "T", "Key": {"id": {"S": "1", "\u0053": "2"}}})",
                           R"({"TableName": "T", "Key": {"id": {"S": "1"}}, "Key": {"id": {"S": "2"}}})",
                           R"({"RequestItems": {"T": [{"PutRequest": {"Item": {"a": {"L": [{"M": {"x": {"S": "1"}, "x": {"S": "2"}}}]}}}}]}})"}) {
    INFO(body);
    const auto repeated = ddb::extract_request_facts("DynamoDB_20120810.GetItem", body);
    REQUIRE(repeated.error);
    CHECK(repeated.error->kind == ddb::ErrorKind::serialization);
  }
  // Equal values under different members are fine.
  CHECK_FALSE(ddb::extract_request_facts("DynamoDB_20120810.GetItem",
                                         R"({"TableName": "T", "Key": {"a": {"S": "1"}, "b": {"S": "1"}}})")
                  .error);
}

TEST_CASE("unresolved placeholders stay visible; values never become names", "[facts][names]") {
  const auto facts = facts_of("UpdateItem",
      R"({"TableName": "T", "Key": {"k": {"S": "1"}}, "UpdateExpression": "SET #a.#b[2] = :v, #undefined = :w", "ExpressionAttributeNames": {"#a": "profile", "#b": "phones"}, "ExpressionAttributeValues": {":v": {"S": "x"}, ":w": {"S": "y"}}})");
  CHECK(facts.attributes_written == Strings{"profile.phones[2]", "#undefined"});
  CHECK(facts.attributes_read.empty());
}

TEST_CASE("empty names and expressions are dropped", "[facts][hostile]") {
  const auto facts = facts_of("PutItem",
      R"({"TableName": "", "Item": {"": {"S": "x"}, "a": {"S": "y"}}, "ConditionExpression": "", "ProjectionExpression": "#e", "ExpressionAttributeNames": {"#e": ""}})");
  CHECK(facts.tables.empty());
  CHECK(facts.attributes_written == Strings{"a"});
  CHECK(facts.attributes_read.empty());
  CHECK(facts.expressions == Strings{"#e"});
}

TEST_CASE("members of the wrong type are ignored, not errors", "[facts][hostile]") {
  const auto facts = facts_of("Query",
      R"({"TableName": 5, "IndexName": [], "Limit": "10", "Segment": 1.5, "TotalSegments": 99999999999, "Key": "x", "Item": [], "ProjectionExpression": {}, "ExpressionAttributeNames": {"#a": 1}, "RequestItems": [], "TransactItems": {}, "Statements": "s", "KeyConditionExpression": "#a = :v"})");
  CHECK(facts.tables.empty());
  CHECK(facts.keys.empty());
  CHECK_FALSE(facts.index_name.has_value());
  CHECK_FALSE(facts.limit.has_value());
  CHECK_FALSE(facts.segment.has_value());
  CHECK_FALSE(facts.total_segments.has_value());
  CHECK(facts.attributes_read == Strings{"#a"});
  CHECK(facts.attributes_written.empty());
}

TEST_CASE("large batches count every request and keep names unique", "[facts][batch]") {
  std::string body = R"({"RequestItems": {"Orders": [)";
  const int requests = 20000;
  for (int i = 0; i < requests; ++i) {
    if (i > 0) body += ", ";
    body += R"({"PutRequest": {"Item": {"pk": {"S": ")" + std::to_string(i) + R"("}, "attr)" + std::to_string(i % 50) +
            R"(": {"N": "1"}}}})";
  }
  body += "]}}";
  const auto facts = facts_of("BatchWriteItem", body);
  CHECK(facts.item_count == requests);
  CHECK(facts.tables == Strings{"Orders"});
  CHECK(facts.attributes_written.size() == 51);
  CHECK(facts.attributes_written.front() == "pk");
  CHECK(facts.attributes_written.back() == "attr49");
}

TEST_CASE("reused per-thread buffers never leak one request into the next", "[facts][buffers]") {
  const std::string big = R"({"TableName": "Big", "Item": {"pk": {"S": ")" + std::string(100000, 'x') + R"("}}})";
  CHECK(facts_of("PutItem", big).tables == Strings{"Big"});
  const auto small = facts_of("GetItem", R"({"TableName": "Small"})");
  CHECK(small.tables == Strings{"Small"});
  CHECK(small.attributes_written.empty());
  // A prefix of the big body is malformed even though the buffer still holds the rest.
  CHECK(is_serialization_error(ddb::extract_request_facts("DynamoDB_20120810.PutItem",
                                                          std::string_view(big).substr(0, big.size() - 1))));

  std::vector<std::thread> threads;
  std::vector<int> successes(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t, &successes] {
      const std::string table = "T" + std::to_string(t);
      for (int i = 0; i < 500; ++i) {
        const std::string body = R"({"TableName": ")" + table + R"(", "Key": {"k": {"N": ")" + std::to_string(i) + R"("}}})";
        const auto result = ddb::extract_request_facts("DynamoDB_20120810.GetItem", body);
        if (!result.error && result.facts.tables.size() == 1 && result.facts.tables[0] == table &&
            result.facts.keys.size() == 1 && result.facts.keys[0].value == std::to_string(i)) {
          ++successes[t];
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(successes == std::vector<int>{500, 500, 500, 500});
}

// Rules on attributes read must see a read without projection as reading
// every attribute; a projection, a COUNT or a key-only write must not.
TEST_CASE("reads_all_attributes marks whole-item reads", "[facts][rules]") {
  struct Case {
    std::string_view operation;
    std::string_view body;
    bool whole;
  };
  const Case cases[] = {
      {"GetItem", R"({"TableName":"T","Key":{"pk":{"S":"a"}}})", true},
      {"GetItem", R"({"TableName":"T","Key":{"pk":{"S":"a"}},"ProjectionExpression":"pk, email"})", false},
      {"GetItem", R"({"TableName":"T","Key":{"pk":{"S":"a"}},"AttributesToGet":["pk"]})", false},
      {"Scan", R"({"TableName":"T"})", true},
      {"Scan", R"({"TableName":"T","Select":"COUNT"})", false},
      {"Query", R"({"TableName":"T","KeyConditionExpression":"pk = :p","ExpressionAttributeValues":{":p":{"S":"a"}}})", true},
      {"BatchGetItem", R"({"RequestItems":{"A":{"Keys":[{"pk":{"S":"a"}}],"ProjectionExpression":"pk"},"B":{"Keys":[{"pk":{"S":"b"}}]}}})", true},
      {"BatchGetItem", R"({"RequestItems":{"A":{"Keys":[{"pk":{"S":"a"}}],"ProjectionExpression":"pk"}}})", false},
      {"TransactGetItems", R"({"TransactItems":[{"Get":{"TableName":"T","Key":{"pk":{"S":"a"}}}}]})", true},
      {"TransactGetItems", R"({"TransactItems":[{"Get":{"TableName":"T","Key":{"pk":{"S":"a"}},"ProjectionExpression":"pk"}}]})", false},
      {"PutItem", R"({"TableName":"T","Item":{"pk":{"S":"a"}}})", false},
      {"PutItem", R"({"TableName":"T","Item":{"pk":{"S":"a"}},"ReturnValues":"ALL_OLD"})", true},
      {"DeleteItem", R"({"TableName":"T","Key":{"pk":{"S":"a"}},"ReturnValues":"NONE"})", false},
      {"ExecuteStatement", R"({"Statement":"SELECT * FROM \"T\" WHERE pk = ?"})", true},
      {"ExecuteStatement", R"({"Statement":"SELECT pk, email FROM T WHERE pk = ?"})", false},
      {"ExecuteStatement", R"({"Statement":"SELECT count(*) FROM T"})", false},
  };
  for (const auto& c : cases) {
    INFO(c.operation << " " << c.body);
    CHECK(facts_of(c.operation, c.body).reads_all_attributes == c.whole);
  }
}

TEST_CASE("every PartiQL statement of a batch is kept for the rules", "[facts][rules]") {
  const auto facts = facts_of("BatchExecuteStatement",
      R"({"Statements":[{"Statement":"SELECT * FROM orders WHERE id = ?","Parameters":[{"S":"1"}]},{"Statement":"SELECT * FROM orders"}]})");
  CHECK(facts.partiql_statements == Strings{"SELECT * FROM orders WHERE id = ?", "SELECT * FROM orders"});
  CHECK(facts.partiql_statement == "SELECT * FROM orders WHERE id = ?");
  const auto single = facts_of("ExecuteStatement", R"({"Statement":"UPDATE t SET a = 1 WHERE pk = 'x'"})");
  CHECK(single.partiql_statements == Strings{"UPDATE t SET a = 1 WHERE pk = 'x'"});
}
