// Audit records built from a call: CloudTrail identity and classification,
// requestParameters without item values, item counts, error messages.
#include <catch2/catch.hpp>

#include <algorithm>

#include "ddb/request_facts.hpp"
#include "proxy/pipeline/audit_record.hpp"
#include "proxy/pipeline/audit_tokens.hpp"
#include "proxy/pipeline/mask_stage.hpp"

using namespace dynaudit::proxy;
namespace ddb = dynaudit::ddb;

namespace {

CallSummary summary_for(const ddb::RequestFacts& facts, const Principal& principal, const ConnectionInfo& connection) {
  CallSummary call;
  call.facts = &facts;
  call.target = facts.target;
  call.principal = &principal;
  call.connection = &connection;
  call.user_agent = "aws-cli/2.9.19";
  call.host_header = "127.0.0.1:8443";
  call.auth_mode = "verify";
  call.region = "us-east-1";
  call.account_id = "123456789012";
  call.status = 200;
  call.outcome = "forwarded";
  call.request_id = "REQ1";
  call.time = std::chrono::system_clock::now();
  return call;
}

}  // namespace

TEST_CASE("a verified PutItem: identity, resources, attribute names but never item values") {
  auto facts = ddb::extract_request_facts(
      "DynamoDB_20120810.PutItem",
      R"j({"TableName":"patients","Item":{"pk":{"S":"p-1"},"ssn":{"S":"123-45-6789"}},)j"
      R"j("ConditionExpression":"attribute_not_exists(#p)","ExpressionAttributeNames":{"#p":"pk"},)j"
      R"j("ExpressionAttributeValues":{":secret":{"S":"hunter2"}}})j");
  REQUIRE_FALSE(facts.error);
  Principal alice{"AKIDALICE", "alice", {"clinicians"}, AuthMode::verify, true};
  ConnectionInfo tls{"https", "127.0.0.1", 5555, true, "TLSv1.3", "TLS_AES_256_GCM_SHA384", "localhost"};
  auto call = summary_for(facts.facts, alice, tls);
  auto e = make_audit_event(call);

  CHECK(e.event_name == "PutItem");
  CHECK(e.user_identity.type == "IAMUser");
  CHECK(e.user_identity.user_name == "alice");
  CHECK(e.user_identity.access_key_id == "AKIDALICE");
  CHECK(e.signature_verified);
  CHECK(e.tables == std::vector<std::string>{"patients"});
  CHECK_FALSE(e.read_only);
  CHECK_FALSE(e.management_event);
  CHECK(e.request_items == 1);
  REQUIRE(e.tls);
  CHECK(e.tls->tls_version == "TLSv1.3");
  CHECK(e.tls->client_provided_host_header == "127.0.0.1:8443");
  CHECK(e.source_ip == "127.0.0.1");
  CHECK(e.decision == "allow");
  CHECK(e.request_parameters_json.find("\"tableName\":\"patients\"") != std::string::npos);
  CHECK(e.request_parameters_json.find("\"ssn\"") != std::string::npos);          // the name...
  CHECK(e.request_parameters_json.find("123-45-6789") == std::string::npos);      // ...never the value
  CHECK(e.request_parameters_json.find("hunter2") == std::string::npos);
  CHECK(e.request_parameters_json.find(R"j(attribute_not_exists(#p))j") != std::string::npos);
}

TEST_CASE("GetItem keys are logged as CloudTrail does; failed callers are Unknown") {
  auto facts = ddb::extract_request_facts("DynamoDB_20120810.GetItem",
                                          R"({"TableName":"orders","Key":{"id":{"N":"42"}}})");
  Principal stranger{"AKIDWHO", "", {}, AuthMode::verify, false};
  ConnectionInfo plain{"http", "10.0.0.9", 4000, false, "", "", ""};
  auto call = summary_for(facts.facts, stranger, plain);
  call.status = 400;
  call.outcome = "rejected";
  call.error_type = "UnrecognizedClientException";
  const std::string body =
      R"({"__type":"com.amazon.coral.service#UnrecognizedClientException","message":"The security token included in the request is invalid."})";
  call.response_body = body;
  auto e = make_audit_event(call);
  CHECK(e.user_identity.type == "Unknown");
  CHECK(e.user_identity.user_name.empty());
  CHECK(e.user_identity.principal_id == "AKIDWHO");
  CHECK_FALSE(e.tls);
  CHECK(e.read_only);
  CHECK(e.error_code == "UnrecognizedClientException");
  CHECK(e.error_message == "The security token included in the request is invalid.");
  CHECK(e.decision == "deny");
  CHECK(e.request_parameters_json ==
        R"({"tableName":"orders","keys":[{"table":"orders","attribute":"id","N":"42"}]})");
}

TEST_CASE("PartiQL statements are kept only with their literals hashed") {
  auto facts = ddb::extract_request_facts(
      "DynamoDB_20120810.ExecuteStatement",
      R"j({"Statement":"UPDATE \"people\" SET ssn='987-65-4321' WHERE pk='x' AND n = 4242"})j");
  // Without hash tokens there is no way to keep them: not stored.
  auto params = request_parameters_json(facts.facts);
  CHECK(params.find("987-65-4321") == std::string::npos);
  CHECK(params.find("statements") == std::string::npos);
  CHECK(params.find("\"tableName\":\"people\"") != std::string::npos);

  const auto keys = derive_mask_keys("0123456789abcdef0123456789abcdef");
  AuditTokens tokens(keys);
  params = request_parameters_json(facts.facts, &tokens);
  CHECK(params.find("987-65-4321") == std::string::npos);
  CHECK(params.find("4242") == std::string::npos);
  const std::string hashed = "UPDATE \\\"people\\\" SET ssn='" + tokens.string("987-65-4321") + "' WHERE pk='" +
                             tokens.string("x") + "' AND n = " + tokens.number("4242");
  INFO(params);
  CHECK(params.find("\"statements\":[\"" + hashed + "\"]") != std::string::npos);
  CHECK(params.find("\"expressions\"") == std::string::npos);
}

TEST_CASE("names inside a PartiQL Ion literal are not attribute names") {
  auto facts = ddb::extract_request_facts(
      "DynamoDB_20120810.ExecuteStatement",
      R"j({"Statement":"SELECT * FROM t WHERE a = `{k: \"PLANT-ion\"}` AND \"PLANT-ion\" = 1 OR b = 2"})j");
  REQUIRE_FALSE(facts.error);
  const auto keys = derive_mask_keys("0123456789abcdef0123456789abcdef");
  AuditTokens tokens(keys);
  // Used as a name outside the literal too: kept.
  auto params = request_parameters_json(facts.facts, &tokens);
  CHECK(params.find("\"PLANT-ion\"") != std::string::npos);
  facts = ddb::extract_request_facts("DynamoDB_20120810.ExecuteStatement",
                                     R"j({"Statement":"SELECT * FROM t WHERE a = `{k: \"PLANT-ion\"}` OR b = 2"})j");
  params = request_parameters_json(facts.facts, &tokens);
  CHECK(params.find("PLANT-ion") == std::string::npos);
  CHECK(params.find(R"("attributesRead":["a","b"])") != std::string::npos);
}

TEST_CASE("expressions keep names and placeholders; words of a literal are not attribute names") {
  auto facts = ddb::extract_request_facts(
      "DynamoDB_20120810.Query",
      R"j({"TableName":"t","KeyConditionExpression":"pk = :pk","FilterExpression":"card = 'PLANT 4111-1111' AND note = :n"})j");
  REQUIRE_FALSE(facts.error);
  // Fact extraction reads the quoted words as names; the record does not.
  CHECK(std::find(facts.facts.attributes_read.begin(), facts.facts.attributes_read.end(), "PLANT") !=
        facts.facts.attributes_read.end());
  const auto params = request_parameters_json(facts.facts);
  CHECK(params.find("PLANT") == std::string::npos);
  CHECK(params.find("4111") == std::string::npos);
  CHECK(params.find(R"("expressions":["pk = :pk","card = **** AND note = :n"])") != std::string::npos);
  CHECK(params.find(R"("attributesRead":["pk","card","note"])") != std::string::npos);
}

TEST_CASE("an upstream error message is stored without the request's values; short ones only as words") {
  const std::string request =
      R"j({"TableName":"t","Key":{"pk":{"S":"PLANT-key-1"}},"UpdateExpression":"SET a = 'PLANT-lit'",)j"
      R"j("AttributeUpdates":{"b":{"Value":{"N":"12"},"Action":"PUT"}}})j";
  auto facts = ddb::extract_request_facts("DynamoDB_20120810.UpdateItem", request);
  Principal p{"AKID", "svc", {}, AuthMode::verify, true};
  ConnectionInfo c{"http", "127.0.0.1", 1, false, "", "", ""};
  auto call = summary_for(facts.facts, p, c);
  const auto keys = derive_mask_keys("0123456789abcdef0123456789abcdef");
  call.mask_keys = &keys;
  call.request_body = request;
  call.status = 400;
  call.outcome = "forwarded";
  call.error_type = "ValidationException";
  const std::string body =
      R"j({"__type":"com.amazonaws.dynamodb.v20120810#ValidationException","message":"1 validation error: key PLANT-key-1, token: \"'PLANT-lit'\", value 12 (x12)"})j";
  call.response_body = body;
  auto e = make_audit_event(call);
  AuditTokens tokens(keys);
  CHECK(e.error_message == "1 validation error: key " + tokens.string("PLANT-key-1") + ", token: \"" +
                               tokens.string("'PLANT-lit'") + "\", value " + tokens.string("12") + " (x12)");
  // Without keys (and the same rule), a fixed mark.
  call.mask_keys = nullptr;
  CHECK(make_audit_event(call).error_message == "1 validation error: key ****, token: \"****\", value **** (x12)");
  // Nothing to scrub without the request body.
  call.request_body = {};
  CHECK(make_audit_event(call).error_message.find("PLANT-key-1") != std::string::npos);
}

TEST_CASE("returned item counts come from the response") {
  CHECK(response_item_count("Query", R"({"Count":3,"Items":[{},{},{}],"ScannedCount":10})") == 3);
  CHECK(response_item_count("Scan", R"({"Count":0,"Items":[]})") == 0);
  CHECK(response_item_count("GetItem", R"({"Item":{"pk":{"S":"a"}}})") == 1);
  CHECK(response_item_count("GetItem", R"({})") == 0);
  CHECK(response_item_count("BatchGetItem", R"({"Responses":{"a":[{},{}],"b":[{}]},"UnprocessedKeys":{}})") == 3);
  CHECK(response_item_count("TransactGetItems", R"({"Responses":[{"Item":{}},{}]})") == 2);
  CHECK(response_item_count("PutItem", R"({})") == 0);
  CHECK(response_item_count("Query", "not json") == 0);
}

TEST_CASE("intent records are marked and carry no outcome") {
  auto facts = ddb::extract_request_facts("DynamoDB_20120810.DeleteItem",
                                          R"({"TableName":"orders","Key":{"id":{"S":"1"}}})");
  Principal p{"AKID", "svc", {}, AuthMode::trust, false};
  ConnectionInfo c{"http", "127.0.0.1", 1, false, "", "", ""};
  auto e = make_intent_event(summary_for(facts.facts, p, c));
  CHECK(e.phase == dynaudit::storage::RecordPhase::intent);
  CHECK(e.outcome == "pending");
  CHECK(e.http_status == 0);
  CHECK(e.request_id.empty());
}

TEST_CASE("upstream attempts are recorded when there was more than one or one failed") {
  auto facts = ddb::extract_request_facts("DynamoDB_20120810.GetItem",
                                          R"({"TableName":"orders","Key":{"id":{"S":"1"}}})");
  Principal p{"AKID", "svc", {}, AuthMode::trust, false};
  ConnectionInfo c{"http", "127.0.0.1", 1, false, "", "", ""};
  auto call = summary_for(facts.facts, p, c);

  // Not forwarded, or answered on the first try: nothing to add.
  CHECK(make_audit_event(call).upstream_attempts.empty());
  const std::vector<UpstreamAttempt> one_answer{{true, UpstreamAttempt::Sent::whole, UpstreamAttempt::Result::response, ""}};
  call.upstream_attempts = one_answer;
  CHECK(make_audit_event(call).upstream_attempts.empty());

  const std::vector<UpstreamAttempt> retried{
      {true, UpstreamAttempt::Sent::whole, UpstreamAttempt::Result::reset, "Connection reset by peer"},
      {false, UpstreamAttempt::Sent::whole, UpstreamAttempt::Result::response, ""}};
  call.upstream_attempts = retried;
  auto e = make_audit_event(call);
  REQUIRE(e.upstream_attempts.size() == 2);
  CHECK(e.upstream_attempts[0].connection == "reused");
  CHECK(e.upstream_attempts[0].request_sent == "whole");
  CHECK(e.upstream_attempts[0].result == "reset");
  CHECK(e.upstream_attempts[0].error == "Connection reset by peer");
  CHECK(e.upstream_attempts[1].connection == "new");
  CHECK(e.upstream_attempts[1].result == "response");
  CHECK(e.upstream_attempts[1].error.empty());

  const std::vector<UpstreamAttempt> one_failure{
      {false, UpstreamAttempt::Sent::none, UpstreamAttempt::Result::connect_failed, "connect: Connection refused"}};
  call.upstream_attempts = one_failure;
  e = make_audit_event(call);
  REQUIRE(e.upstream_attempts.size() == 1);
  CHECK(e.upstream_attempts[0].request_sent == "none");
  CHECK(e.upstream_attempts[0].result == "connect_failed");
}
