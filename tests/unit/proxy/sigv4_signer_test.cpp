// The upstream signer: which headers it signs, that it replaces stale
// signature headers, that the cache changes nothing, and that its output
// verifies (the proxy-to-proxy chain of DESIGN §6 in miniature).
#include <catch2/catch.hpp>

#include "proxy/auth/sigv4_verifier.hpp"
#include "test_support.hpp"

using namespace dynaudit::proxy;
using dynaudit::proxy::test::at;
using dynaudit::proxy::test::OwnedRequest;

namespace {

OwnedRequest client_request() {
  OwnedRequest r;
  r.headers = {{"Host", "dynamodb.eu-west-1.amazonaws.com"},
               {"Content-Type", "application/x-amz-json-1.0"},
               {"X-Amz-Target", "DynamoDB_20120810.PutItem"},
               {"User-Agent", "Boto3/1.34"},
               {"amz-sdk-invocation-id", "b5f2"},
               {"X-Amz-Date", "19990101T000000Z"},  // the client's, to be replaced
               {"X-Amz-Security-Token", "client-token"},
               {"Authorization", "AWS4-HMAC-SHA256 Credential=client/…"}};
  r.body = R"({"TableName":"t","Item":{"pk":{"S":"1"}}})";
  return r;
}

// The request as it goes upstream: the client's headers with the signer's
// date, token and Authorization in place of the client's.
OwnedRequest apply(OwnedRequest r, const sigv4::SignatureHeaders& s) {
  r.remove("authorization");
  r.remove("x-amz-date");
  r.remove("x-amz-security-token");
  r.headers.emplace_back("X-Amz-Date", s.amz_date);
  if (!s.security_token.empty()) r.headers.emplace_back("X-Amz-Security-Token", s.security_token);
  r.headers.emplace_back("Authorization", s.authorization);
  return r;
}

}  // namespace

TEST_CASE("sign_request signs the DynamoDB headers and the date", "[signer]") {
  const AwsCredentials creds{"AKIDUPSTREAM", "upstream-secret", "", std::nullopt};
  OwnedRequest r = client_request();
  const auto s = sigv4::sign_request(r.view(), creds, "eu-west-1", "dynamodb", at("20240315T101112Z"));
  CHECK(s.amz_date == "20240315T101112Z");
  CHECK(s.security_token.empty());
  CHECK(s.authorization.rfind(
            "AWS4-HMAC-SHA256 Credential=AKIDUPSTREAM/20240315/eu-west-1/dynamodb/aws4_request, "
            "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=",
            0) == 0);
  CHECK(s.authorization.size() == s.authorization.find("Signature=") + 10 + 64);
}

TEST_CASE("sign_request adds and signs the session token", "[signer]") {
  const AwsCredentials creds{"ASIAUPSTREAM", "upstream-secret", "upstream-token", std::nullopt};
  OwnedRequest r = client_request();
  const auto s = sigv4::sign_request(r.view(), creds, "eu-west-1", "dynamodb", at("20240315T101112Z"));
  CHECK(s.security_token == "upstream-token");
  CHECK(s.authorization.find("SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target,") !=
        std::string::npos);
}

TEST_CASE("only headers that are present are signed", "[signer]") {
  const AwsCredentials creds{"AKID", "secret", "", std::nullopt};
  OwnedRequest r;
  r.headers = {{"host", "localhost:8000"}};
  const auto s = sigv4::sign_request(r.view(), creds, "us-east-1", "dynamodb", at("20240315T101112Z"));
  CHECK(s.authorization.find("SignedHeaders=host;x-amz-date,") != std::string::npos);
}

TEST_CASE("the key cache does not change signatures", "[signer]") {
  const AwsCredentials creds{"AKID", "secret", "tok", std::nullopt};
  OwnedRequest r = client_request();
  sigv4::SigningKeyCache cache;
  const auto plain = sigv4::sign_request(r.view(), creds, "eu-west-1", "dynamodb", at("20240315T101112Z"));
  const auto cached1 = sigv4::sign_request(r.view(), creds, "eu-west-1", "dynamodb", at("20240315T101112Z"), &cache);
  const auto cached2 = sigv4::sign_request(r.view(), creds, "eu-west-1", "dynamodb", at("20240315T101112Z"), &cache);
  CHECK(plain.authorization == cached1.authorization);
  CHECK(plain.authorization == cached2.authorization);
}

TEST_CASE("what the signer produces, the verifier accepts", "[signer][verifier]") {
  // dynaudit A (trust) signs with the key that dynaudit B (verify) issued.
  auto store = CredentialStore::from_keys({IssuedKey{"AKIDPROXYA", "a-upstream-secret", "", "proxy-a", {"proxies"}},
                                           IssuedKey{"ASIAPROXYA", "a-temp-secret", "a-temp-token", "proxy-a-temp", {}}});
  SigV4Verifier verifier(store, VerifierSettings{{"eu-west-1"}, "dynamodb", std::chrono::seconds{300}});
  for (const AwsCredentials& creds : {AwsCredentials{"AKIDPROXYA", "a-upstream-secret", "", std::nullopt},
                                      AwsCredentials{"ASIAPROXYA", "a-temp-secret", "a-temp-token", std::nullopt}}) {
    INFO(creds.access_key_id);
    OwnedRequest upstream = apply(client_request(), sigv4::sign_request(client_request().view(), creds, "eu-west-1",
                                                                        "dynamodb", at("20240315T101112Z")));
    const VerifyResult result = verifier.verify(upstream.view(), at("20240315T101200Z"));
    REQUIRE(result.principal);
    CHECK(result.principal->access_key_id == creds.access_key_id);

    OwnedRequest tampered = upstream;
    tampered.body += " ";
    CHECK(verifier.verify(tampered.view(), at("20240315T101200Z")).error);
  }
}
