// The audit record's JSON: the exact CloudTrail-shaped layout, canonical
// bytes without the hash, exact round trips (also for awkward text), and
// refusal of anything to_json would not have written.
#include <catch2/catch.hpp>

#include <simdjson.h>

#include <regex>
#include <set>

#include "storage/audit_event.hpp"
#include "storage/record_json.hpp"
#include "test_support.hpp"

using namespace dynaudit::storage;
using storage_test::sample_event;
using storage_test::test_time;

namespace {

const std::string kPrevious(64, 'a');
const std::string kHash(64, 'c');

AuditEvent chained_sample() {
  AuditEvent e = sample_event();
  e.sequence = 7;
  e.previous_hash = kPrevious;
  e.hash = kHash;
  return e;
}

// Every field set, with text that needs escaping or is not ASCII.
AuditEvent full_event() {
  AuditEvent e = chained_sample();
  e.user_agent = "agent \"quoted\" \\ back\tslash\n\x01\x7f caf\xC3\xA9 \xF0\x9F\x98\x80";
  e.user_identity = {"Unknown", "AKIDCLAIMED", "AKIDCLAIMED", ""};
  e.request_parameters_json = R"({"a":[1,2.5e3,{"b":null}],"c":"\u00e9\n","d":true})";
  e.response_elements_json = R"({"items":3})";
  e.read_only = true;
  e.management_event = true;
  e.tables = {"orders", "customers", "we\"ird/name"};
  e.error_code = "ConditionalCheckFailedException";
  e.error_message = "The conditional request failed";
  e.tls = TlsDetails{"TLSv1.3", "TLS_AES_128_GCM_SHA256", "proxy.example:8443"};
  e.phase = RecordPhase::outcome;
  e.intent_sequence = 6;
  e.decision = "deny";
  e.matched_rules = {"no-ssn", "clinicians-only"};
  e.determining_rule = "no-ssn";
  e.shadow_rules = {"trial-deny-bulk"};
  e.shadow_decision = "deny";
  e.tags = {"hipaa:164.312(b)", "pci-dss:10.2.1"};
  e.alerted_rules = {"no-ssn"};
  e.masked_rules = {"clinicians-only"};
  e.audit_level = "full";
  e.response_withheld = true;
  e.request_body_json = R"({"TableName":"orders","Key":{"pk":{"S":"a\"b"}}})";
  e.sealed_values = "v1.AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
  e.seal_key_id = "0123456789abcdef";
  e.outcome = "rejected";
  e.http_status = 400;
  e.request_items = 25;
  e.response_items = 0;
  e.request_bytes = 18'446'744'073'709'551'615ull;  // the largest the field holds
  e.upstream_attempts = {{"reused", "whole", "reset", "Connection reset by peer"}, {"new", "whole", "response", ""}};
  return e;
}

simdjson::dom::element parse(simdjson::dom::parser& parser, const std::string& json) {
  simdjson::dom::element root;
  REQUIRE(parser.parse(json).get(root) == simdjson::SUCCESS);
  return root;
}

std::string text_at(simdjson::dom::element element, const char* pointer) {
  std::string_view value;
  REQUIRE(element.at_pointer(pointer).get_string().get(value) == simdjson::SUCCESS);
  return std::string(value);
}

}  // namespace

TEST_CASE("to_json writes the fixed CloudTrail layout byte for byte") {
  const std::string expected =
      R"({"eventVersion":"1.09","eventTime":"2026-11-29T16:00:00Z","eventSource":"dynamodb.amazonaws.com",)"
      R"("eventName":"PutItem","awsRegion":"us-east-1","sourceIPAddress":"192.0.2.10",)"
      R"("userAgent":"aws-cli/2.9.19 Python/3.11",)"
      R"("userIdentity":{"type":"IAMUser","principalId":"alice","accessKeyId":"AKIDEXAMPLE","userName":"alice"},)"
      R"("requestParameters":{"tableName":"orders","key":{"pk":{"S":"p-1"}}},"responseElements":null,)"
      R"("requestID":"REQ-1","eventID":"0b7f6c52-8d1e-4c55-9a3b-1f2e3d4c5b6a","readOnly":false,)"
      R"("resources":[{"accountId":"123456789012","type":"AWS::DynamoDB::Table",)"
      R"("ARN":"arn:aws:dynamodb:us-east-1:123456789012:table/orders"}],)"
      R"("eventType":"AwsApiCall","apiVersion":"2012-08-10","managementEvent":false,)"
      R"("recipientAccountId":"123456789012","eventCategory":"Data",)"
      R"("additionalEventData":{"sequence":7,"phase":"outcome","eventTimeMs":1795968000123,)"
      R"("authMode":"verify","signatureVerified":true,"decision":"allow","matchedRules":[],)"
      R"("outcome":"forwarded","httpStatus":200,"requestItems":1,"responseItems":0,"requestBytes":120,)"
      R"("responseBytes":2,"proxyLatencyUs":350,"upstreamLatencyUs":1200,"listener":"main",)"
      R"("previousHash":")" + kPrevious + R"(","hash":")" + kHash + R"("}})";
  CHECK(to_json(chained_sample()) == expected);
}

TEST_CASE("canonical bytes are the record without its hash field, nothing else") {
  const AuditEvent e = full_event();
  const std::string with_hash = to_json(e, true);
  const std::string canonical = to_json(e, false);
  CHECK(canonical.find("\"hash\"") == std::string::npos);
  const std::string hash_field = R"(,"hash":")" + kHash + "\"";
  CHECK(with_hash == canonical.substr(0, canonical.size() - 2) + hash_field + "}}");
  // Stable: the hash field's value never changes the canonical bytes.
  AuditEvent other = e;
  other.hash = std::string(64, 'f');
  CHECK(to_json(other, false) == canonical);
  CHECK(to_json(e, false) == canonical);
  // The writer's shortcut gives exactly what to_json gives.
  CHECK(record_with_hash(canonical, e.hash) == with_hash);
  CHECK(record_with_hash(to_json(chained_sample(), false), kHash) == to_json(chained_sample()));
}

TEST_CASE("optional CloudTrail fields appear exactly when set") {
  simdjson::dom::parser parser;
  const AuditEvent plain = chained_sample();
  auto root = parse(parser, to_json(plain));
  CHECK(root["errorCode"].error() == simdjson::NO_SUCH_FIELD);
  CHECK(root["errorMessage"].error() == simdjson::NO_SUCH_FIELD);
  CHECK(root["tlsDetails"].error() == simdjson::NO_SUCH_FIELD);
  CHECK(root["additionalEventData"]["intentSequence"].error() == simdjson::NO_SUCH_FIELD);
  CHECK(to_json(plain, false).find("\"hash\"") == std::string::npos);

  const AuditEvent full = full_event();
  root = parse(parser, to_json(full));
  CHECK(text_at(root, "/eventVersion") == "1.09");
  CHECK(text_at(root, "/eventSource") == "dynamodb.amazonaws.com");
  CHECK(text_at(root, "/eventType") == "AwsApiCall");
  CHECK(text_at(root, "/eventCategory") == "Management");
  CHECK(text_at(root, "/recipientAccountId") == "123456789012");
  CHECK(text_at(root, "/errorCode") == "ConditionalCheckFailedException");
  CHECK(text_at(root, "/errorMessage") == "The conditional request failed");
  CHECK(text_at(root, "/tlsDetails/tlsVersion") == "TLSv1.3");
  CHECK(text_at(root, "/tlsDetails/cipherSuite") == "TLS_AES_128_GCM_SHA256");
  CHECK(text_at(root, "/tlsDetails/clientProvidedHostHeader") == "proxy.example:8443");
  CHECK(text_at(root, "/userIdentity/type") == "Unknown");
  CHECK(text_at(root, "/userIdentity/principalId") == "AKIDCLAIMED");
  CHECK(text_at(root, "/userAgent") == full.user_agent);
  CHECK(text_at(root, "/resources/2/ARN") == "arn:aws:dynamodb:us-east-1:123456789012:table/we\"ird/name");
  CHECK(text_at(root, "/resources/1/type") == "AWS::DynamoDB::Table");
  CHECK(text_at(root, "/resources/0/accountId") == "123456789012");
  CHECK(text_at(root, "/additionalEventData/decision") == "deny");
  CHECK(text_at(root, "/additionalEventData/matchedRules/1") == "clinicians-only");
  CHECK(text_at(root, "/requestParameters/c") == "\xC3\xA9\n");
  std::uint64_t number = 0;
  REQUIRE(root.at_pointer("/additionalEventData/intentSequence").get(number) == simdjson::SUCCESS);
  CHECK(number == 6);
  REQUIRE(root.at_pointer("/additionalEventData/requestBytes").get(number) == simdjson::SUCCESS);
  CHECK(number == 18'446'744'073'709'551'615ull);
  bool flag = false;
  REQUIRE(root.at_pointer("/readOnly").get(flag) == simdjson::SUCCESS);
  CHECK(flag);
}

TEST_CASE("rule details are written only when set, in a fixed order") {
  const std::string plain = to_json(chained_sample());
  for (const char* member : {"determiningRule", "shadowRules", "shadowDecision", "\"tags\"", "alertedRules",
                             "maskedRules", "auditLevel", "responseWithheld", "requestBody", "sealedValues",
                             "sealKeyId"}) {
    CHECK(plain.find(member) == std::string::npos);
  }
  const std::string full = to_json(full_event());
  simdjson::dom::parser parser;
  const auto root = parse(parser, full);
  CHECK(text_at(root, "/additionalEventData/determiningRule") == "no-ssn");
  CHECK(text_at(root, "/additionalEventData/tags/1") == "pci-dss:10.2.1");
  CHECK(text_at(root, "/additionalEventData/requestBody") == R"({"TableName":"orders","Key":{"pk":{"S":"a\"b"}}})");
  CHECK(full.find(R"("matchedRules":["no-ssn","clinicians-only"],"determiningRule":"no-ssn","shadowRules":["trial-deny-bulk"],"shadowDecision":"deny","tags":)") != std::string::npos);
}

TEST_CASE("upstream attempts sit between upstreamLatencyUs and listener, only when set") {
  CHECK(to_json(chained_sample()).find("upstreamAttempts") == std::string::npos);
  const std::string full = to_json(full_event());
  CHECK(full.find(R"("upstreamLatencyUs":1200,"upstreamAttempts":[)"
                  R"({"connection":"reused","requestSent":"whole","result":"reset","error":"Connection reset by peer"},)"
                  R"({"connection":"new","requestSent":"whole","result":"response"}],"listener":"main",)") !=
        std::string::npos);
  const auto replaced = [&](const std::string& from, const std::string& to) {
    std::string text = full;
    const auto at = text.find(from);
    REQUIRE(at != std::string::npos);
    return text.replace(at, from.size(), to);
  };
  CHECK_FALSE(from_json(replaced(R"("upstreamAttempts":[{"connection":"reused","requestSent":"whole","result":"reset","error":"Connection reset by peer"},{"connection":"new","requestSent":"whole","result":"response"}])",
                                 R"("upstreamAttempts":[])")));
  CHECK_FALSE(from_json(replaced(R"(,"error":"Connection reset by peer")", R"(,"error":"")")));
  CHECK_FALSE(from_json(replaced(R"("connection":"new","requestSent":"whole")", R"("requestSent":"whole","connection":"new")")));
}

TEST_CASE("sealed values follow requestBody, each written only when set") {
  const std::string full = to_json(full_event());
  CHECK(full.find(R"(,"requestBody":"{\"TableName\":\"orders\",\"Key\":{\"pk\":{\"S\":\"a\\\"b\"}}}",)"
                  R"("sealedValues":"v1.AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=","sealKeyId":"0123456789abcdef",)"
                  R"("outcome":"rejected",)") != std::string::npos);
  AuditEvent only_seal = chained_sample();
  only_seal.sealed_values = "v1.AAAA";
  only_seal.seal_key_id = "fedcba9876543210";
  const std::string json = to_json(only_seal);
  CHECK(json.find(R"("matchedRules":[],"sealedValues":"v1.AAAA","sealKeyId":"fedcba9876543210","outcome":)") !=
        std::string::npos);
  const auto parsed = from_json(json);
  REQUIRE(parsed);
  CHECK(parsed->sealed_values == "v1.AAAA");
  CHECK(parsed->seal_key_id == "fedcba9876543210");
  CHECK(to_json(*parsed) == json);
  // Fixed order: the two swapped, or present but empty, is not our record.
  std::string swapped = json;
  swapped.replace(swapped.find(R"("sealedValues":"v1.AAAA","sealKeyId":"fedcba9876543210")"),
                  std::string(R"("sealedValues":"v1.AAAA","sealKeyId":"fedcba9876543210")").size(),
                  R"("sealKeyId":"fedcba9876543210","sealedValues":"v1.AAAA")");
  CHECK_FALSE(from_json(swapped));
  std::string empty = json;
  empty.replace(empty.find(R"("v1.AAAA")"), 9, R"("")");
  CHECK_FALSE(from_json(empty));
}

TEST_CASE("from_json reads back every field and to_json(from_json(x)) == x") {
  for (const AuditEvent& original : {chained_sample(), full_event()}) {
    const std::string json = to_json(original);
    const auto parsed = from_json(json);
    REQUIRE(parsed);
    CHECK(to_json(*parsed) == json);
    CHECK(to_json(*parsed, false) == to_json(original, false));
    CHECK(parsed->event_id == original.event_id);
    CHECK(parsed->event_time == original.event_time);
    CHECK(parsed->user_agent == original.user_agent);
    CHECK(parsed->user_identity.principal_id == original.user_identity.principal_id);
    CHECK(parsed->user_identity.user_name == original.user_identity.user_name);
    CHECK(parsed->request_parameters_json == original.request_parameters_json);
    CHECK(parsed->response_elements_json == original.response_elements_json);
    CHECK(parsed->tables == original.tables);
    CHECK(parsed->account_id == original.account_id);
    CHECK(parsed->error_code == original.error_code);
    CHECK(parsed->error_message == original.error_message);
    CHECK(parsed->tls.has_value() == original.tls.has_value());
    CHECK(parsed->intent_sequence == original.intent_sequence);
    CHECK(parsed->matched_rules == original.matched_rules);
    CHECK(parsed->determining_rule == original.determining_rule);
    CHECK(parsed->shadow_rules == original.shadow_rules);
    CHECK(parsed->shadow_decision == original.shadow_decision);
    CHECK(parsed->tags == original.tags);
    CHECK(parsed->alerted_rules == original.alerted_rules);
    CHECK(parsed->masked_rules == original.masked_rules);
    CHECK(parsed->audit_level == original.audit_level);
    CHECK(parsed->response_withheld == original.response_withheld);
    CHECK(parsed->request_body_json == original.request_body_json);
    CHECK(parsed->sealed_values == original.sealed_values);
    CHECK(parsed->seal_key_id == original.seal_key_id);
    CHECK(parsed->decision == original.decision);
    CHECK(parsed->http_status == original.http_status);
    CHECK(parsed->request_bytes == original.request_bytes);
    CHECK(parsed->read_only == original.read_only);
    CHECK(parsed->management_event == original.management_event);
    REQUIRE(parsed->upstream_attempts.size() == original.upstream_attempts.size());
    for (std::size_t i = 0; i < parsed->upstream_attempts.size(); ++i) {
      CHECK(parsed->upstream_attempts[i].connection == original.upstream_attempts[i].connection);
      CHECK(parsed->upstream_attempts[i].request_sent == original.upstream_attempts[i].request_sent);
      CHECK(parsed->upstream_attempts[i].result == original.upstream_attempts[i].result);
      CHECK(parsed->upstream_attempts[i].error == original.upstream_attempts[i].error);
    }
    CHECK(parsed->sequence == 7);
    CHECK(parsed->previous_hash == kPrevious);
    CHECK(parsed->hash == kHash);
  }
}

TEST_CASE("the canonical form (no hash) reads back too, with an empty hash") {
  const std::string canonical = to_json(full_event(), false);
  const auto parsed = from_json(canonical);
  REQUIRE(parsed);
  CHECK(parsed->hash.empty());
  CHECK(to_json(*parsed, false) == canonical);
}

TEST_CASE("time keeps milliseconds - eventTime has whole seconds like CloudTrail") {
  AuditEvent e = chained_sample();
  e.event_time = test_time(876) + std::chrono::microseconds(999);  // .999999 s: floored to .999
  const std::string json = to_json(e);
  CHECK(json.find(R"("eventTime":"2026-11-29T16:00:00Z")") != std::string::npos);
  CHECK(json.find(R"("eventTimeMs":1795968000999)") != std::string::npos);
  const auto parsed = from_json(json);
  REQUIRE(parsed);
  CHECK(parsed->event_time == test_time(876));
  CHECK(to_json(*parsed) == json);

  e.event_time = std::chrono::system_clock::time_point(std::chrono::milliseconds(-1));
  const std::string before_1970 = to_json(e);
  CHECK(before_1970.find(R"("eventTime":"1969-12-31T23:59:59Z")") != std::string::npos);
  CHECK(before_1970.find(R"("eventTimeMs":-1,)") != std::string::npos);
  REQUIRE(from_json(before_1970));
  CHECK(to_json(*from_json(before_1970)) == before_1970);
}

TEST_CASE("broken UTF-8 is written as U+FFFD and the result is stable") {
  AuditEvent e = chained_sample();
  e.user_agent = std::string("bad \xFF\xC3 end");
  const std::string json = to_json(e);
  CHECK(json.find("\"userAgent\":\"bad \xEF\xBF\xBD\xEF\xBF\xBD end\"") != std::string::npos);
  const auto parsed = from_json(json);
  REQUIRE(parsed);
  CHECK(parsed->user_agent == "bad \xEF\xBF\xBD\xEF\xBF\xBD end");
  CHECK(to_json(*parsed) == json);
}

TEST_CASE("raw JSON fields: white space around them dropped, empty text is null") {
  AuditEvent e = chained_sample();
  e.request_parameters_json = "  {\"a\": 1}\n";
  e.response_elements_json = "";
  const std::string json = to_json(e);
  CHECK(json.find(R"("requestParameters":{"a": 1},"responseElements":null,)") != std::string::npos);
  const auto parsed = from_json(json);
  REQUIRE(parsed);
  CHECK(parsed->request_parameters_json == "{\"a\": 1}");
  CHECK(parsed->response_elements_json == "null");
}

TEST_CASE("from_json refuses what to_json would not have written") {
  const std::string good = to_json(full_event());
  REQUIRE(from_json(good));
  const auto replaced = [&](const std::string& from, const std::string& to) {
    std::string text = good;
    const auto at = text.find(from);
    REQUIRE(at != std::string::npos);
    return text.replace(at, from.size(), to);
  };
  CHECK_FALSE(from_json(""));
  CHECK_FALSE(from_json("{}"));
  CHECK_FALSE(from_json(good + " "));                     // trailing bytes
  CHECK_FALSE(from_json(good.substr(0, good.size() - 1)));  // cut short
  CHECK_FALSE(from_json(replaced(R"("eventVersion":"1.09")", R"("eventVersion":"1.08")")));
  CHECK_FALSE(from_json(replaced(R"("eventTime":"2026-11-29T16:00:00Z")", R"("eventTime":"2026-11-29T16:00:01Z")")));
  CHECK_FALSE(from_json(replaced(R"({"items":3})", R"({"items":3)")));           // raw JSON broken
  CHECK_FALSE(from_json(replaced(R"({"items":3})", R"({"items":03})")));         // raw JSON invalid
  CHECK_FALSE(from_json(replaced(R"("accountId":"123456789012","type")", R"("accountId":"999","type")")));
  CHECK_FALSE(from_json(replaced(R"(:table/orders")", R"(:tablex/orders")")));
  CHECK_FALSE(from_json(replaced(R"("readOnly":true)", R"("readOnly":1)")));
  CHECK_FALSE(from_json(replaced(R"("httpStatus":400)", R"("httpStatus":0400)")));
  CHECK_FALSE(from_json(replaced(R"("httpStatus":400)", R"("httpStatus":99999999999)")));
  CHECK_FALSE(from_json(replaced(R"("eventCategory":"Management")", R"("eventCategory":"Data")")));
  CHECK_FALSE(from_json(replaced(R"("awsRegion":"us-east-1","sourceIPAddress")", R"("sourceIPAddress")")));
  CHECK_FALSE(from_json(replaced("\"phase\":\"outcome\"", "\"phase\":\"later\"")));
  CHECK_FALSE(from_json(replaced("\"listener\":\"main\"", "\"listener\":\"ma\x01in\"")));  // raw control byte
  CHECK_FALSE(from_json(replaced("\"listener\":\"main\"", "\"listener\":\"\\ud800\"")));   // lone surrogate
  CHECK_FALSE(from_json(replaced("\"listener\":\"main\"", "\"listener\":\"\xC3\"")));       // broken UTF-8
  // A JSON-equivalent spelling parses, but does not write back the same:
  // verify compares bytes and calls such a record altered.
  const std::string respelled = replaced("\"listener\":\"main\"", "\"listener\":\"m\\u0061in\"");
  REQUIRE(from_json(respelled));
  CHECK(from_json(respelled)->listener == "main");
  CHECK(to_json(*from_json(respelled)) == good);
  CHECK(to_json(*from_json(respelled)) != respelled);
}

TEST_CASE("new_event_id makes random version 4 UUIDs") {
  const std::regex uuid("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string id = new_event_id();
    CHECK(std::regex_match(id, uuid));
    seen.insert(id);
  }
  CHECK(seen.size() == 1000);
}

TEST_CASE("parse_record reuses an event without carrying anything over from the last record") {
  const std::string full = to_json(full_event());
  AuditEvent minimal_event = chained_sample();
  const std::string minimal = to_json(minimal_event);
  AuditEvent scratch;
  REQUIRE(parse_record(full, scratch));
  CHECK(to_json(scratch) == full);
  REQUIRE(parse_record(minimal, scratch));  // every member the full record set is reset
  CHECK(to_json(scratch) == minimal);
  CHECK(to_json(scratch) == to_json(*from_json(minimal)));
  REQUIRE(parse_record(full, scratch));
  CHECK(to_json(scratch) == full);
  CHECK_FALSE(parse_record(minimal.substr(0, minimal.size() - 2), scratch));
}
