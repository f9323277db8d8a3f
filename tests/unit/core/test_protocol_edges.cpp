// Socket-free parts of the protocol's edges (issue 11): compressed request
// bodies decoded within the body limit, the endpoint's unauthenticated
// answers and the content type of the proxy's own errors, and the caller's
// query-string credentials stripped before forwarding.
#include <zlib.h>

#include <catch2/catch.hpp>

#include "proxy/auth/query_credentials.hpp"
#include "proxy/pipeline/dynamodb_endpoint.hpp"
#include "proxy/pipeline/request_encoding.hpp"
#include "proxy/pipeline/stages.hpp"

using namespace dynaudit::proxy;
using dynaudit::ddb::ErrorKind;

namespace {

// window_bits: 15 zlib, -15 raw deflate, 31 gzip.
std::string compress(std::string_view data, int window_bits) {
  z_stream z{};
  REQUIRE(deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::string out(deflateBound(&z, static_cast<uLong>(data.size())) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

const std::string kBody = R"({"TableName":"orders","Item":{"pk":{"S":"k1"}}})";

}  // namespace

TEST_CASE("gzip and deflate bodies decode, raw deflate and gzip members too", "[encoding]") {
  CHECK(decode_body("gzip", compress(kBody, 31), 1024).body == kBody);
  CHECK(decode_body("deflate", compress(kBody, 15), 1024).body == kBody);
  CHECK(decode_body("deflate", compress(kBody, -15), 1024).body == kBody);
  const auto two_members = compress(kBody.substr(0, 7), 31) + compress(kBody.substr(7), 31);
  CHECK(decode_body("gzip", two_members, 1024).body == kBody);
}

TEST_CASE("decoding is bounded and refuses broken streams", "[encoding]") {
  const std::string zeros(10 * 1024 * 1024, ' ');
  const auto bomb = compress(zeros, 31);
  CHECK(bomb.size() < 64 * 1024);
  const auto refused = decode_body("gzip", bomb, 1024 * 1024);
  REQUIRE(refused.error);
  CHECK(refused.error->kind == ErrorKind::request_too_large);
  CHECK(refused.body.empty());
  CHECK(decode_body("gzip", bomb, zeros.size()).body.size() == zeros.size());  // exactly the limit passes

  const auto gz = compress(kBody, 31);
  for (const std::string& broken : {gz.substr(0, gz.size() - 4), gz + "junk", std::string("\x1f\x8b\x08garbage"),
                                    std::string()}) {
    const auto result = decode_body("gzip", broken, 1024);
    REQUIRE(result.error);
    CHECK(result.error->kind == ErrorKind::serialization);
  }
  const auto zl = compress(kBody, 15);
  CHECK(decode_body("deflate", zl + zl, 1024).error);  // deflate has no members
}

TEST_CASE("a compressed request becomes the plain request it stands for", "[encoding]") {
  HttpRequest r{http::verb::post, "/", 11};
  r.set(http::field::content_encoding, " GZIP ");
  r.set("x-amz-content-sha256", "hash-of-the-compressed-bytes");
  r.body() = compress(kBody, 31);
  r.prepare_payload();
  REQUIRE_FALSE(decode_request_body(r, 1024));
  CHECK(r.body() == kBody);
  CHECK(r[http::field::content_length] == std::to_string(kBody.size()));
  CHECK(r.find(http::field::content_encoding) == r.end());
  CHECK(r.find("x-amz-content-sha256") == r.end());

  for (const char* nothing : {"identity", ""}) {
    HttpRequest identity{http::verb::post, "/", 11};
    identity.set(http::field::content_encoding, nothing);
    identity.body() = kBody;
    CHECK_FALSE(decode_request_body(identity, 1024));
    CHECK(identity.body() == kBody);
  }

  for (const char* coding : {"br", "gzip, gzip", "compress", "gzip;q=1"}) {
    HttpRequest other{http::verb::post, "/", 11};
    other.set(http::field::content_encoding, coding);
    other.body() = kBody;
    const auto refusal = decode_request_body(other, 1024);
    INFO(coding);
    REQUIRE(refusal);
    CHECK(refusal->kind == ErrorKind::serialization);
  }
}

TEST_CASE("GET and OPTIONS are answered as DynamoDB answers them", "[endpoint]") {
  HttpRequest get{http::verb::get, "/", 11};
  auto health = answer_without_authentication(get, "eu-west-1");
  REQUIRE(health);
  CHECK(health->result_int() == 200);
  CHECK(health->body() == "healthy: dynamodb.eu-west-1.amazonaws.com ");
  CHECK((*health)[http::field::content_length] == "42");
  CHECK((*health)["x-amzn-RequestId"].size() == 52);
  // DynamoDB's own checksum of its us-east-1 answer (recorded by dynalite).
  CHECK((*answer_without_authentication(get, "us-east-1"))["x-amz-crc32"] == "3128867991");

  HttpRequest bare{http::verb::options, "/", 11};
  auto not_found = answer_without_authentication(bare, "us-east-1");
  REQUIRE(not_found);
  CHECK(not_found->result_int() == 404);
  CHECK(not_found->body() == "<UnknownOperationException/>\n");
  CHECK((*not_found)["x-amz-crc32"] == "3552371480");

  HttpRequest preflight{http::verb::options, "/", 11};
  preflight.set("Origin", "https://app.example");
  preflight.set("Access-Control-Request-Headers", "a, b, c");
  preflight.set("Access-Control-Request-Method", "POST");
  auto granted = answer_without_authentication(preflight, "us-east-1");
  REQUIRE(granted);
  CHECK(granted->result_int() == 200);
  CHECK(granted->body().empty());
  CHECK((*granted)[http::field::access_control_allow_origin] == "*");
  CHECK((*granted)[http::field::access_control_allow_headers] == "a, b, c");
  CHECK((*granted)[http::field::access_control_allow_methods] == "POST");
  CHECK((*granted)[http::field::access_control_max_age] == "172800");
  CHECK((*granted)[http::field::content_length] == "0");

  CHECK_FALSE(answer_without_authentication(HttpRequest{http::verb::post, "/", 11}, "us-east-1"));
  CHECK_FALSE(answer_without_authentication(HttpRequest{http::verb::put, "/", 11}, "us-east-1"));
}

TEST_CASE("the proxy's own errors mirror the request's content type", "[endpoint]") {
  CHECK(reply_content_type("application/x-amz-json-1.0") == "application/x-amz-json-1.0");
  CHECK(reply_content_type(" Application/X-Amz-JSON-1.0 ;charset=utf-8") == "application/x-amz-json-1.0");
  CHECK(reply_content_type("application/json") == "application/json");
  CHECK(reply_content_type("application/json;blahblah") == "application/json");
  CHECK(reply_content_type("application/x-amz-json-1.1") == "application/json");
  CHECK(reply_content_type("") == "application/json");

  HttpRequest request{http::verb::post, "/", 11};
  request.set(http::field::content_type, "application/json");
  auto response = error_response({ErrorKind::missing_authentication_token, "Request is missing Authentication Token"},
                                 11, true);
  dress_own_reply(response, request);
  CHECK(response[http::field::content_type] == "application/json");
  CHECK(response.find(http::field::access_control_allow_origin) == response.end());
  request.set("Origin", "https://app.example");
  dress_own_reply(response, request);
  CHECK(response[http::field::access_control_allow_origin] == "*");
}

TEST_CASE("the caller's query-string credentials are stripped, the rest kept", "[forward]") {
  CHECK(without_query_credentials("/") == "/");
  CHECK(without_query_credentials("/?keep=1") == "/?keep=1");
  CHECK(without_query_credentials("/?X-Amz-Credential=AKID%2Fx&keep=1&X-Amz-Signature=ab") == "/?keep=1");
  CHECK(without_query_credentials("/?x-amz-signature=ab&X%2DAmz-Date=1&a=%20&&b") == "/?a=%20&b");
  CHECK(without_query_credentials("/?X-Amz-Algorithm=AWS4-HMAC-SHA256") == "/");
  CHECK(without_query_credentials("/p?X-Amzon=1") == "/p?X-Amzon=1");  // not an X-Amz- name
}
