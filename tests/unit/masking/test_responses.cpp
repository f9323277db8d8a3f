// Every response shape the masker knows, byte preservation outside the
// rewritten values, untouched bodies, malformed bodies.
#include "masking_test_util.hpp"

using namespace dynaudit::masking;
using namespace dynaudit::masking::testing;

namespace {

const std::string kItem1 =
    R"({"pk":{"S":"cust#1"},"email":{"S":"alice@example.com"},"card":{"S":"4111111111111111"},"n":{"N":"1"}})";
const std::string kItem2 = R"({"pk":{"S":"cust#2"},"email":{"S":"bob@example.org"},"card":{"S":"5500000000000004"}})";
const std::string kMasked1 =
    R"({"pk":{"S":"cust#1"},"email":{"S":"a****@example.com"},"card":{"S":"************1111"},"n":{"N":"1"}})";
const std::string kMasked2 = R"({"pk":{"S":"cust#2"},"email":{"S":"b****@example.org"},"card":{"S":"************0004"}})";

MaskPlan card_and_email() {
  auto card = spec("card", Method::partial, "pci-card");
  card.keep_last = 4;
  return plan_of({card, spec("email", Method::email, "pii-email")});
}

// Masks `body`, checks validity, returns the new body (or the old one).
std::string masked(std::string_view operation, const std::string& body, const MaskPlan& plan = card_and_email()) {
  const auto out = mask_response(operation, body, plan, test_keys());
  INFO(body);
  INFO(out.error);
  REQUIRE(out.error.empty());
  const std::string result = out.changed ? out.body : body;
  INFO(result);
  CHECK(check_response_json(result) == "");
  return result;
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
  return s;
}

// The expected body: the original with the two items replaced.
std::string expect(const std::string& body) { return replace_all(replace_all(body, kItem1, kMasked1), kItem2, kMasked2); }

}  // namespace

TEST_CASE("GetItem, PutItem, UpdateItem, DeleteItem", "[responses]") {
  const std::string get = R"({"ConsumedCapacity":{"CapacityUnits":1.0,"TableName":"customers"},"Item":)" + kItem1 + "}";
  CHECK(masked("GetItem", get) == expect(get));
  for (const char* op : {"PutItem", "UpdateItem", "DeleteItem"}) {
    const std::string body = R"({"Attributes":)" + kItem2 + R"(,"ConsumedCapacity":{"CapacityUnits":1.0}})";
    CHECK(masked(op, body) == expect(body));
  }
  CHECK(masked("GetItem", "{}") == "{}");
  CHECK(masked("PutItem", R"({"ConsumedCapacity":{"TableName":"t","CapacityUnits":1.0}})") ==
        R"({"ConsumedCapacity":{"TableName":"t","CapacityUnits":1.0}})");
}

TEST_CASE("Query and Scan keep every other byte", "[responses]") {
  const std::string body = "{\"Count\":2,\n  \"Items\": [ " + kItem1 + " ,\n " + kItem2 +
                           " ],\"ScannedCount\":17,\"ConsumedCapacity\":{\"CapacityUnits\":1.0,\"TableName\":\"c\"},"
                           "\"Unknown\":{\"x\":[1.50,2e3,null]}}";
  const auto out = mask_response("Query", body, card_and_email(), test_keys());
  REQUIRE(out.error.empty());
  REQUIRE(out.changed);
  CHECK(out.body == expect(body));
  CHECK(out.values_masked == 4);
  CHECK(out.rules == std::vector<std::string>{"pci-card", "pii-email"});
  CHECK(masked("Scan", body) == expect(body));
}

TEST_CASE("untouched bodies are not copied", "[responses]") {
  const std::string body = R"({"Count":1,"Items":[{"pk":{"S":"x"},"other":{"N":"5"}}],"ScannedCount":1})";
  const auto out = mask_response("Query", body, card_and_email(), test_keys());
  CHECK(out.error.empty());
  CHECK_FALSE(out.changed);
  CHECK(out.body.empty());
  CHECK(out.values_masked == 0);
  CHECK(out.rules.empty());
  const auto none = mask_response("Query", "not even json", MaskPlan(), test_keys());
  CHECK_FALSE(none.changed);  // an empty plan looks at nothing
  // Already masked values stay as they are: masking is idempotent.
  const std::string already = R"({"Item":{"email":{"S":"a****@example.com"},"card":{"S":"************1111"}}})";
  CHECK_FALSE(mask_response("GetItem", already, card_and_email(), test_keys()).changed);
}

TEST_CASE("BatchGetItem masks Responses and leaves UnprocessedKeys", "[responses]") {
  const std::string body = R"({"Responses":{"customers":[)" + kItem1 + "," + kItem2 + R"(],"empty":[]},)" +
                           R"("UnprocessedKeys":{"customers":{"Keys":[{"pk":{"S":"x"},"email":{"S":"keep@me.com"}}]}},)" +
                           R"("ConsumedCapacity":[{"TableName":"customers","CapacityUnits":1.0}]})";
  CHECK(masked("BatchGetItem", body) == expect(body));
  CHECK(expect(body).find("keep@me.com") != std::string::npos);
}

TEST_CASE("TransactGetItems and ExecuteTransaction", "[responses]") {
  const std::string body = R"({"ConsumedCapacity":[{"CapacityUnits":2.0}],"Responses":[{"Item":)" + kItem1 +
                           R"(},{},{"Item":)" + kItem2 + "}]}";
  CHECK(masked("TransactGetItems", body) == expect(body));
  CHECK(masked("ExecuteTransaction", body) == expect(body));
}

TEST_CASE("ExecuteStatement and BatchExecuteStatement", "[responses]") {
  const std::string es = R"({"Items":[)" + kItem1 + R"(],"NextToken":"opaque+token/=="})";
  CHECK(masked("ExecuteStatement", es) == expect(es));
  const std::string bes = R"({"Responses":[{"TableName":"customers","Item":)" + kItem1 +
                          R"(},{"Error":{"Code":"ConditionalCheckFailed","Message":"failed","Item":)" + kItem2 +
                          R"(},"TableName":"customers"}]})";
  CHECK(masked("BatchExecuteStatement", bes) == expect(bes));
}

TEST_CASE("error bodies that carry items", "[responses]") {
  const std::string ccf = R"({"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException",)"
                          R"("message":"The conditional request failed","Item":)" +
                          kItem1 + "}";
  CHECK(masked("PutItem", ccf) == expect(ccf));
  const std::string tce = R"({"__type":"com.amazonaws.dynamodb.v20120810#TransactionCanceledException",)"
                          R"("Message":"Transaction cancelled, please refer cancellation reasons for specific reasons )"
                          R"([ConditionalCheckFailed, None]","CancellationReasons":[{"Code":"ConditionalCheckFailed",)"
                          R"("Item":)" +
                          kItem2 + R"(,"Message":"The conditional request failed"},{"Code":"None"}]})";
  CHECK(masked("TransactWriteItems", tce) == expect(tce));
  const std::string plain = R"({"__type":"com.amazon.coral.validate#ValidationException","message":"bad"})";
  CHECK(masked("PutItem", plain) == plain);
}

TEST_CASE("Streams GetRecords: images and keys", "[responses]") {
  const std::string body =
      R"({"NextShardIterator":"arn:aws:dynamodb:...|1|AAAA","Records":[{"awsRegion":"us-east-1",)"
      R"("dynamodb":{"ApproximateCreationDateTime":1.700000000E9,"Keys":{"email":{"S":"alice@example.com"}},)"
      R"("NewImage":)" +
      kItem1 + R"(,"OldImage":)" + kItem2 +
      R"(,"SequenceNumber":"100","SizeBytes":120,"StreamViewType":"NEW_AND_OLD_IMAGES"},)"
      R"("eventID":"1","eventName":"MODIFY","eventSource":"aws:dynamodb","eventVersion":"1.1"}]})";
  const std::string expected =
      replace_all(expect(body), R"("Keys":{"email":{"S":"alice@example.com"}})", R"("Keys":{"email":{"S":"a****@example.com"}})");
  CHECK(masked("GetRecords", body) == expected);
  CHECK(expected.find("1.700000000E9") != std::string::npos);
}

TEST_CASE("item members of unexpected types are left alone", "[responses]") {
  for (const char* body : {R"({"Item":null})", R"({"Items":{"a":1}})", R"({"Items":[1,"x",null]})",
                           R"({"Responses":"x"})", R"({"Records":[{"dynamodb":5}]})", R"({"CancellationReasons":[null]})"}) {
    INFO(body);
    CHECK(masked("Query", body) == body);
  }
}

TEST_CASE("malformed bodies are errors", "[responses]") {
  for (const char* body : {"", "[]", "\"x\"", "{", R"({"Items":[{"card":{"S":"4111"})", R"({"Item":{"card":{"S":)",
                           R"({"Item":{"card":"4111111111111111"}})", R"({"Item":{"card":{"S":"x"},}})",
                           "{\"Item\":{\"card\":{\"S\":\"\xff\"}}}"}) {
    INFO(body);
    const auto out = mask_response("GetItem", body, card_and_email(), test_keys());
    CHECK_FALSE(out.error.empty());
    CHECK_FALSE(out.changed);
  }
}

TEST_CASE("mask_item_json for the audit log", "[responses]") {
  const auto out = mask_item_json(kItem1, card_and_email(), test_keys());
  CHECK(out.changed);
  CHECK(out.body == kMasked1);
  CHECK_FALSE(mask_item_json("[1]", card_and_email(), test_keys()).error.empty());
}

TEST_CASE("output stays valid JSON with escapes and odd UTF-8", "[responses]") {
  auto card = spec("card", Method::partial);
  card.keep_first = 1;
  card.keep_last = 1;
  const auto plan = plan_of({card, spec("email", Method::email)});
  const std::string body = R"({"Item":{"card":{"S":"\"\\\n\t\u0001\ud800x"},"email":{"S":"\u00e9\"q@x.com"}}})";
  const std::string out = masked("GetItem", body, plan);
  CHECK(out == R"({"Item":{"card":{"S":"\"*****x"},"email":{"S":"é****@x.com"}}})");
}
