// The socket-free request-path stages: re-signing in place, pass-through of
// upstream responses, DynamoDB-shaped errors, endpoint parsing, log lines.
#include <catch2/catch.hpp>

#include "proxy/auth/credential_store.hpp"
#include "proxy/auth/sigv4_verifier.hpp"
#include "proxy/log/request_log.hpp"
#include "proxy/net/upstream_endpoint.hpp"
#include "proxy/pipeline/stages.hpp"

using namespace dynaudit::proxy;
using dynaudit::ddb::DdbError;
using dynaudit::ddb::ErrorKind;

namespace {

HttpRequest client_request() {
  HttpRequest r{http::verb::post, "/", 11};
  r.set("host", "127.0.0.1:8000");
  r.set("X-Amz-Target", "DynamoDB_20120810.GetItem");
  r.set("Content-Type", "application/x-amz-json-1.0");
  r.set("User-Agent", "Boto3/1.26.27 Python/3.11.2");
  r.set("amz-sdk-invocation-id", "5c3b1a0e-7f6c-4f3e-9a55-0c1f2b3c4d5e");
  r.set("X-Amz-Date", "20240101T000000Z");
  r.set("X-Amz-Security-Token", "client-session-token");
  r.set("Authorization",
        "AWS4-HMAC-SHA256 Credential=AKIDCLIENT/20240101/us-east-1/dynamodb/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=0000000000000000000000000000000000000000000000000000000000000000");
  r.set("Connection", "keep-alive, X-Hop");
  r.set("X-Hop", "one hop only");
  r.body() = R"({"TableName":"t","Key":{"pk":{"S":"a"}}})";
  r.prepare_payload();
  return r;
}

}  // namespace

TEST_CASE("upstream endpoints parse into host, port and Host header") {
  auto aws = parse_upstream_endpoint("https://dynamodb.us-east-1.amazonaws.com");
  REQUIRE(aws);
  CHECK(aws->tls);
  CHECK(aws->host == "dynamodb.us-east-1.amazonaws.com");
  CHECK(aws->port == "443");
  CHECK(aws->host_header == "dynamodb.us-east-1.amazonaws.com");
  auto local = parse_upstream_endpoint("http://127.0.0.1:4567/");
  REQUIRE(local);
  CHECK_FALSE(local->tls);
  CHECK(local->port == "4567");
  CHECK(local->host_header == "127.0.0.1:4567");
  auto v6 = parse_upstream_endpoint("http://[::1]:8000");
  REQUIRE(v6);
  CHECK(v6->host == "::1");
  CHECK(v6->host_header == "[::1]:8000");
  CHECK_FALSE(parse_upstream_endpoint("ftp://x"));
  CHECK_FALSE(parse_upstream_endpoint("http://"));
  CHECK_FALSE(parse_upstream_endpoint("http://h:99999"));
  CHECK_FALSE(parse_upstream_endpoint("http://h:12ab"));
}

TEST_CASE("the upstream request is re-signed for the upstream and keeps every other header") {
  auto request = client_request();
  auto endpoint = *parse_upstream_endpoint("http://127.0.0.1:4567");
  AwsCredentials upstream{"AKIDUPSTREAM", "upstream-secret", "", std::nullopt};
  sigv4::SigningKeyCache keys;
  const auto now = std::chrono::system_clock::now();
  prepare_upstream_request(request, endpoint, upstream, "us-east-1", now, keys);

  CHECK(request[http::field::host] == "127.0.0.1:4567");
  CHECK(request["User-Agent"] == "Boto3/1.26.27 Python/3.11.2");
  CHECK(request["amz-sdk-invocation-id"] == "5c3b1a0e-7f6c-4f3e-9a55-0c1f2b3c4d5e");
  CHECK(request["X-Amz-Target"] == "DynamoDB_20120810.GetItem");
  CHECK(request.count("X-Amz-Security-Token") == 0);  // the client's token is not the upstream's
  CHECK(request.count("X-Hop") == 0);                 // named in Connection: hop-by-hop
  CHECK(request["X-Amz-Date"] == sigv4::format_amz_date(now));
  CHECK(request[http::field::authorization].find("Credential=AKIDUPSTREAM/") != std::string::npos);
  CHECK(request[http::field::content_length] == std::to_string(request.body().size()));

  // The upstream, knowing the upstream key, accepts the signature...
  auto store = CredentialStore::from_keys({IssuedKey{"AKIDUPSTREAM", "upstream-secret", "", "proxy", {}}});
  SigV4Verifier upstream_verifier(store, VerifierSettings{});
  std::vector<HeaderView> headers;
  auto verdict = upstream_verifier.verify(view_of(request, headers), now);
  CHECK(verdict.principal);
  CHECK_FALSE(verdict.error);

  // ...and rejects it once a signed byte changes.
  request.body()[10] = 'X';
  auto tampered = upstream_verifier.verify(view_of(request, headers), now);
  REQUIRE(tampered.error);
  CHECK(tampered.error->kind == ErrorKind::invalid_signature);
}

TEST_CASE("temporary upstream credentials add their session token") {
  auto request = client_request();
  auto endpoint = *parse_upstream_endpoint("https://dynamodb.us-east-1.amazonaws.com");
  AwsCredentials temporary{"ASIATEMP", "temp-secret", "temp-token", std::nullopt};
  sigv4::SigningKeyCache keys;
  prepare_upstream_request(request, endpoint, temporary, "us-east-1", std::chrono::system_clock::now(), keys);
  CHECK(request["X-Amz-Security-Token"] == "temp-token");
  CHECK(request[http::field::host] == "dynamodb.us-east-1.amazonaws.com");
  CHECK(request[http::field::authorization].find("x-amz-security-token") != std::string::npos);
}

TEST_CASE("upstream responses pass through unchanged but for connection management") {
  HttpResponse upstream{http::status::bad_request, 11};
  upstream.set("x-amzn-RequestId", "REQ123");
  upstream.set("x-amz-crc32", "2745614147");
  upstream.set("Content-Type", "application/x-amz-json-1.0");
  upstream.set("Connection", "close");
  upstream.body() = R"({"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException","message":"Requested resource not found"})";
  upstream.prepare_payload();
  const auto body = upstream.body();
  auto response = client_response_from_upstream(std::move(upstream), 11, true);
  CHECK(response.result_int() == 400);
  CHECK(response["x-amzn-RequestId"] == "REQ123");
  CHECK(response["x-amz-crc32"] == "2745614147");
  CHECK(response["Content-Type"] == "application/x-amz-json-1.0");
  CHECK(response.body() == body);
  CHECK(response.keep_alive());
  CHECK(error_type_of(response) == "ResourceNotFoundException");
}

TEST_CASE("the proxy's own errors look like DynamoDB's") {
  auto response = error_response(DdbError{ErrorKind::access_denied, "nope \"quoted\""}, 11, true);
  CHECK(response.result_int() == 400);
  CHECK(response["Content-Type"] == "application/x-amz-json-1.0");
  CHECK(response["x-amzn-RequestId"].size() == 52);
  CHECK(response.body() == R"({"__type":"com.amazon.coral.service#AccessDeniedException","message":"nope \"quoted\""})");
  CHECK(error_type_of(response) == "AccessDeniedException");
  CHECK(response["x-amz-crc32"] == "775365922");  // zlib.crc32 of the body
  CHECK(response[http::field::date].size() == 29);  // "Sun, 29 Nov 2026 16:20:53 GMT"
  auto unavailable = error_response(DdbError{ErrorKind::service_unavailable, "down"}, 11, false);
  CHECK(unavailable.result_int() == 503);
  CHECK(new_request_id() != new_request_id());
}

TEST_CASE("request log lines are JSON without secrets") {
  RequestLogEntry e;
  e.listener = "https";
  e.remote = "127.0.0.1:5000";
  e.operation = "GetItem";
  e.tables = {"orders", "we\"ird"};
  e.principal = "alice";
  e.access_key_id = "AKIDALICE";
  e.auth_mode = "verify";
  e.verified = true;
  e.status = 200;
  e.outcome = "forwarded";
  const auto line = format_request_log(e);
  CHECK(line.find("\"tables\":[\"orders\",\"we\\\"ird\"]") != std::string::npos);
  CHECK(line.find("\"principal\":\"alice\"") != std::string::npos);
  CHECK(line.find("\"status\":200") != std::string::npos);
  CHECK(line.find("Signature") == std::string::npos);
  CHECK(line.front() == '{');
  CHECK(line.back() == '}');
}
