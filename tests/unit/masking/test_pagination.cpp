// LastEvaluatedKey sealing and ExclusiveStartKey unsealing.
#include "masking/crypto.hpp"
#include "masking_test_util.hpp"

using namespace dynaudit::masking;
using namespace dynaudit::masking::testing;

namespace {

// The token that replaced `attribute` in a masked body.
std::string token_of(const std::string& body, const std::string& attribute) {
  const std::string marker = "\"" + attribute + "\":{\"S\":\"";
  const auto at = body.find(marker);
  REQUIRE(at != std::string::npos);
  const auto start = at + marker.size();
  return body.substr(start, body.find('"', start) - start);
}

MaskPlan key_plan() {
  return plan_of({spec("pk", Method::hash, "r-pk"), spec("sk", Method::redact, "r-sk"), spec("bin", Method::nullify),
                  spec("doc.inner", Method::redact)});
}

}  // namespace

TEST_CASE("LastEvaluatedKey round trip through ExclusiveStartKey", "[pagination]") {
  const std::string lek = R"({"pk":{"S":"cust#42"},"sk":{"N":"1700000000.5"},"bin":{"B":"AAEC/w=="},"gsi":{"S":"clear"}})";
  const std::string body = R"({"Count":1,"Items":[],"LastEvaluatedKey":)" + lek + R"(,"ScannedCount":1})";
  const auto out = mask_response("Query", body, key_plan(), test_keys());
  REQUIRE(out.error.empty());
  REQUIRE(out.changed);
  CHECK(check_response_json(out.body) == "");
  CHECK(out.body.find("cust#42") == std::string::npos);
  CHECK(out.body.find("1700000000.5") == std::string::npos);
  CHECK(out.body.find(R"("gsi":{"S":"clear"})") != std::string::npos);
  CHECK(out.body.rfind(R"({"Count":1,"Items":[],"LastEvaluatedKey":{"pk":{"S":"dynaudit:v1:)", 0) == 0);
  CHECK(out.values_masked == 3);
  CHECK(out.rules == std::vector<std::string>{"r-pk", "r-sk", "r1"});
  const std::string pk_token = token_of(out.body, "pk");
  CHECK(pk_token.rfind("dynaudit:v1:", 0) == 0);

  // The client sends the masked key back as ExclusiveStartKey.
  const auto lek_start = out.body.find("\"LastEvaluatedKey\":") + 19;
  const auto lek_end = out.body.find(",\"ScannedCount\"");
  const std::string masked_lek = out.body.substr(lek_start, lek_end - lek_start);
  const std::string request = R"({"TableName":"customers","ExclusiveStartKey":)" + masked_lek + R"(,"Limit":1})";
  const auto unsealed = unseal_request(request, test_keys());
  REQUIRE(unsealed.error.empty());
  REQUIRE(unsealed.changed);
  CHECK(unsealed.body == R"({"TableName":"customers","ExclusiveStartKey":)" + lek + R"(,"Limit":1})");

  // Tokens are randomised: the same key seals differently each time.
  const auto again = mask_response("Query", body, key_plan(), test_keys());
  CHECK(token_of(again.body, "pk") != pk_token);
}

TEST_CASE("tampered tokens and other keys are refused", "[pagination]") {
  const std::string body = R"({"Items":[],"LastEvaluatedKey":{"pk":{"S":"cust#42"}}})";
  const auto out = mask_response("Scan", body, key_plan(), test_keys());
  const std::string token = token_of(out.body, "pk");
  const auto request = [](const std::string& name, const std::string& t) {
    return R"({"TableName":"c","ExclusiveStartKey":{")" + name + R"(":{"S":")" + t + R"("}}})";
  };
  CHECK(unseal_request(request("pk", token), test_keys()).changed);

  std::string flipped = token;
  flipped[20] = flipped[20] == 'A' ? 'B' : 'A';
  CHECK(unseal_request(request("pk", flipped), test_keys()).error == "The provided starting key is invalid");
  CHECK_FALSE(unseal_request(request("pk", token.substr(0, token.size() - 2)), test_keys()).error.empty());
  CHECK_FALSE(unseal_request(request("pk", "dynaudit:v1:"), test_keys()).error.empty());
  CHECK_FALSE(unseal_request(request("pk", "dynaudit:v1:!!!"), test_keys()).error.empty());
  // Bound to the attribute name (AAD).
  CHECK_FALSE(unseal_request(request("sk", token), test_keys()).error.empty());
  auto other = test_keys();
  other.token_key = std::string(32, 'z');
  CHECK_FALSE(unseal_request(request("pk", token), other).error.empty());
}

TEST_CASE("requests without tokens are not touched", "[pagination]") {
  const std::string plain = R"({"TableName":"c","ExclusiveStartKey":{"pk":{"S":"cust#1"}}})";
  const auto out = unseal_request(plain, test_keys());
  CHECK_FALSE(out.changed);
  CHECK(out.error.empty());
  CHECK(out.body.empty());
  // A token outside ExclusiveStartKey is just data.
  const std::string elsewhere = R"({"TableName":"c","Item":{"pk":{"S":"dynaudit:v1:AAAA"}}})";
  CHECK_FALSE(unseal_request(elsewhere, test_keys()).changed);
  CHECK(unseal_request(elsewhere, test_keys()).error.empty());
  // Malformed requests go to DynamoDB, which answers them.
  CHECK(unseal_request(R"({"ExclusiveStartKey":{"pk":{"S":"dynaudit:v1:)", test_keys()).error.empty());
}

TEST_CASE("sealing needs a 32-byte token key", "[pagination]") {
  auto keys = test_keys();
  keys.token_key = "short";
  const auto out = mask_response("Query", R"({"LastEvaluatedKey":{"pk":{"S":"x"}}})", key_plan(), keys);
  CHECK_FALSE(out.error.empty());
  CHECK_FALSE(out.changed);
}

TEST_CASE("nested specs do not seal key attributes", "[pagination]") {
  const auto plan = plan_of({spec("pk.inner", Method::redact)});
  const std::string body = R"({"LastEvaluatedKey":{"pk":{"S":"x"}}})";
  CHECK_FALSE(mask_response("Query", body, plan, test_keys()).changed);
}

TEST_CASE("seal and unseal primitives", "[pagination]") {
  std::string token, plain;
  REQUIRE(seal_token(std::string(32, 'k'), "a", R"({"S":"v"})", token));
  CHECK(unseal_token(std::string(32, 'k'), "a", token, plain));
  CHECK(plain == R"({"S":"v"})");
  CHECK_FALSE(unseal_token(std::string(32, 'k'), "b", token, plain));
  CHECK_FALSE(seal_token("short", "a", "x", token));
}
