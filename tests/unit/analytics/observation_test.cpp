// analytics::observe: what the analyser reads out of an audit record.
#include <catch2/catch.hpp>

#include "analytics/observation.hpp"

using namespace dynaudit;
using analytics::observe;

namespace {
storage::AuditEvent call(std::string operation, std::string params = "null") {
  storage::AuditEvent e;
  e.event_id = "e1";
  e.event_time = std::chrono::system_clock::time_point(std::chrono::seconds(1'767'600'000));
  e.event_name = std::move(operation);
  e.user_identity.principal_id = "alice";
  e.user_identity.access_key_id = "AKIAALICE";
  e.source_ip = "10.1.2.3";
  e.user_agent = "Boto3/1.26.27 md/Botocore#1.29.27 ua/2.0";
  e.outcome = "forwarded";
  e.tables = {"orders"};
  e.request_parameters_json = std::move(params);
  return e;
}
}  // namespace

TEST_CASE("observe: who, what kind of call, from where") {
  auto e = call("GetItem");
  e.response_items = 1;
  e.response_bytes = 420;
  const auto o = observe(e);
  REQUIRE(o);
  CHECK(o->principal == "alice");
  CHECK(o->call_class == analytics::CallClass::read);
  CHECK(o->source_network == "10.1.2.0/24");
  CHECK(o->user_agent_family == "boto3");
  CHECK(o->items_returned == 1);
  CHECK(o->bytes_returned == 420);
  CHECK_FALSE(o->refused);
  CHECK_FALSE(o->error);
  CHECK(o->read_only);
  CHECK(observe(call("DeleteTable"))->call_class == analytics::CallClass::admin);
  CHECK_FALSE(observe(call("DeleteTable"))->read_only);
  CHECK(observe(call("DescribeTable"))->read_only);
  CHECK(observe(call("PutItem"))->call_class == analytics::CallClass::write);
  CHECK(observe(call("NotAnOperation"))->call_class == analytics::CallClass::unknown);
}

TEST_CASE("observe: refusals and errors are told apart") {
  auto denied = call("Scan");
  denied.decision = "deny";
  denied.error_code = "AccessDeniedException";
  CHECK(observe(denied)->refused);
  CHECK_FALSE(observe(denied)->error);
  auto auth = call("Scan");
  auth.error_code = "UnrecognizedClientException";
  CHECK(observe(auth)->refused);
  auto failed = call("PutItem");
  failed.error_code = "ConditionalCheckFailedException";
  CHECK(observe(failed)->error);
  CHECK_FALSE(observe(failed)->refused);
}

TEST_CASE("observe: intents, the store's notes and anomalies are not calls") {
  auto intent = call("GetItem");
  intent.phase = storage::RecordPhase::intent;
  CHECK_FALSE(observe(intent));
  auto note = call("AuditWitnessMismatchAccepted");
  note.outcome = "witness_mismatch_accepted";
  CHECK_FALSE(observe(note));
  auto anomaly = call("Anomaly");
  anomaly.outcome = "anomaly";
  CHECK_FALSE(observe(anomaly));
}

TEST_CASE("observe: the principal falls back to the claimed key, then anonymous") {
  auto e = call("GetItem");
  e.user_identity.principal_id.clear();
  CHECK(observe(e)->principal == "AKIAALICE");
  e.user_identity.access_key_id.clear();
  CHECK(observe(e)->principal == "anonymous");
}

TEST_CASE("observe: items named by key, one hash per item") {
  const auto composite = observe(call(
      "GetItem",
      R"({"tableName":"orders","keys":[{"table":"orders","attribute":"pk","S":"c1"},{"table":"orders","attribute":"sk","N":"7"}]})"));
  REQUIRE(composite->item_keys.size() == 1);
  const auto two = observe(call(
      "BatchGetItem",
      R"({"keys":[{"table":"orders","attribute":"pk","S":"c1"},{"table":"orders","attribute":"pk","S":"c2"}]})"));
  REQUIRE(two->item_keys.size() == 2);
  CHECK(two->item_keys[0] != two->item_keys[1]);
  const auto same = observe(call("GetItem", R"({"keys":[{"table":"orders","attribute":"pk","S":"c1"}]})"));
  const auto again = observe(call("GetItem", R"({"keys":[{"table":"orders","attribute":"pk","S":"c1"}]})"));
  CHECK(same->item_keys == again->item_keys);
}

TEST_CASE("observe: a conditional call's shape names table, item and expressions, not values") {
  const std::string a =
      R"J({"keys":[{"table":"orders","attribute":"pk","S":"c1"}],"expressions":["begins_with(card_number, :p)"]})J";
  const std::string b =
      R"J({"keys":[{"table":"orders","attribute":"pk","S":"c2"}],"expressions":["begins_with(card_number, :p)"]})J";
  const auto first = observe(call("Query", a));
  const auto second = observe(call("Query", a));
  const auto other_item = observe(call("Query", b));
  REQUIRE(first->probe_shape);
  CHECK(first->probe_shape == second->probe_shape);
  CHECK(first->probe_shape != other_item->probe_shape);
  CHECK_FALSE(observe(call("GetItem", a))->probe_shape);  // no condition on a GetItem
  CHECK_FALSE(observe(call("Query", R"({"tableName":"orders"})"))->probe_shape);
}

TEST_CASE("observe: a malformed requestParameters costs only its details") {
  const auto o = observe(call("GetItem", "{not json"));
  REQUIRE(o);
  CHECK(o->item_keys.empty());
}

TEST_CASE("networks, clients and table families") {
  CHECK(analytics::network_of("192.0.2.77") == "192.0.2.0/24");
  CHECK(analytics::network_of("2001:db8:1:2::5") == "2001:db8:1::/48");
  CHECK(analytics::network_of("") == "");
  CHECK(analytics::user_agent_family("aws-cli/2.15.10 Python/3.11.6") == "aws-cli");
  CHECK(analytics::user_agent_family("aws-sdk-js/3.400.0 ua/2.1") == "aws-sdk-js");
  CHECK(analytics::user_agent_family("") == "");
  CHECK(analytics::table_family("events_20261207") == "events_#");
  CHECK(analytics::table_family("orders") == "orders");
  CHECK(analytics::table_family("t1-2") == "t#-#");
}
