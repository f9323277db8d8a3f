// SigV4Verifier: every error path with DynamoDB's error kind and exact
// message, the clock-skew boundary, session tokens, the payload hash, and
// the principal handed to the pipeline on success.
#include <catch2/catch.hpp>

#include "proxy/auth/sigv4_verifier.hpp"
#include "aws/time_format.hpp"
#include "proxy/auth/aws_imports.hpp"
#include "test_support.hpp"

using namespace dynaudit::proxy;
using dynaudit::ddb::ErrorKind;
using dynaudit::proxy::test::at;
using dynaudit::proxy::test::OwnedRequest;

namespace {

const std::string kAliceSecret = "alice/Secret+Key0123456789abcdefEXAMPLE";
const std::string kTokenSecret = "token-holder-secret";
const std::string kSessionToken = "FQoGZXIvYXdzEXAMPLEtoken//==";
const std::string kMismatch =
    "The request signature we calculated does not match the signature you provided. Check your AWS "
    "Secret Access Key and signing method. Consult the service documentation for details.";

std::shared_ptr<const CredentialStore> store() {
  return CredentialStore::from_keys({
      IssuedKey{"AKIDALICE", kAliceSecret, "", "alice", {"analysts", "pci"}},
      IssuedKey{"AKIDTOKEN", kTokenSecret, kSessionToken, "svc", {}},
  });
}

OwnedRequest dynamodb_request(const std::string& amz_date = "20240101T000000Z") {
  OwnedRequest r;
  r.method = "POST";
  r.target = "/";
  r.headers = {{"Host", "dynamodb.us-east-1.amazonaws.com"},
               {"Content-Type", "application/x-amz-json-1.0"},
               {"X-Amz-Target", "DynamoDB_20120810.GetItem"},
               {"X-Amz-Date", amz_date},
               {"User-Agent", "aws-sdk-test"}};
  r.body = R"({"TableName":"t","Key":{"pk":{"S":"1"}}})";
  return r;
}

struct SignSpec {
  std::string access_key = "AKIDALICE";
  std::string secret = kAliceSecret;
  std::string date = "20240101";
  std::string region = "us-east-1";
  std::string service = "dynamodb";
  std::string terminator = "aws4_request";
  std::vector<std::string> signed_headers{"content-type", "host", "x-amz-date", "x-amz-target"};
};

// Signs `r` by hand with any scope and header list, so that tests can build
// requests no well-behaved SDK would send.
void sign(OwnedRequest& r, const SignSpec& s) {
  r.remove("authorization");
  std::string amz_date;
  if (auto header = r.get("x-amz-date")) amz_date = *header;
  else if (auto date = r.get("date")) amz_date = sigv4::format_amz_date(time_format::parse_http_date(*date).value());
  const std::string canonical =
      sigv4::canonical_request(r.view(), s.signed_headers, sigv4::hex(sigv4::sha256(r.body)));
  const std::string scope = s.date + "/" + s.region + "/" + s.service + "/" + s.terminator;
  const auto key = sigv4::derive_signing_key(s.secret, s.date, s.region, s.service);
  const std::string signature = sigv4::hex(sigv4::hmac_sha256(
      {reinterpret_cast<const char*>(key.data()), key.size()}, sigv4::string_to_sign(amz_date, scope, canonical)));
  std::string list;
  for (const auto& h : s.signed_headers) list += (list.empty() ? "" : ";") + h;
  r.headers.emplace_back("Authorization", "AWS4-HMAC-SHA256 Credential=" + s.access_key + "/" + scope +
                                              ", SignedHeaders=" + list + ", Signature=" + signature);
}

VerifyResult verify(OwnedRequest& r, const std::string& now = "20240101T000100Z",
                    VerifierSettings settings = {}) {
  SigV4Verifier verifier(store(), std::move(settings));
  return verifier.verify(r.view(), at(now));
}

void require_error(const VerifyResult& result, ErrorKind kind, const std::string& message) {
  REQUIRE(result.error);
  CHECK_FALSE(result.principal);
  CHECK(result.error->kind == kind);
  CHECK(result.error->message == message);
}

}  // namespace

TEST_CASE("a correctly signed request yields a verified principal", "[verifier]") {
  OwnedRequest r = dynamodb_request();
  sign(r, {});
  const VerifyResult result = verify(r);
  REQUIRE(result.principal);
  CHECK_FALSE(result.error);
  CHECK(result.claimed_access_key_id == "AKIDALICE");
  CHECK(result.principal->access_key_id == "AKIDALICE");
  CHECK(result.principal->name == "alice");
  CHECK(result.principal->groups == std::vector<std::string>{"analysts", "pci"});
  CHECK(result.principal->mode == AuthMode::verify);
  CHECK(result.principal->verified);
}

TEST_CASE("no credentials at all: MissingAuthenticationToken", "[verifier]") {
  OwnedRequest r = dynamodb_request();
  require_error(verify(r), ErrorKind::missing_authentication_token, "Request is missing Authentication Token");
  r.headers.emplace_back("Authorization", "Bearer abc.def");
  require_error(verify(r), ErrorKind::missing_authentication_token, "Request is missing Authentication Token");
}

TEST_CASE("header and query-string authentication together are refused", "[verifier]") {
  OwnedRequest r = dynamodb_request();
  sign(r, {});
  r.target = "/?X-Amz-Algorithm=AWS4-HMAC-SHA256";
  require_error(verify(r), ErrorKind::invalid_signature,
                "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.");
  r.remove("authorization");
  const VerifyResult presigned = verify(r);
  REQUIRE(presigned.error);
  CHECK(presigned.error->kind == ErrorKind::incomplete_signature);
}

TEST_CASE("a malformed Authorization header: IncompleteSignature", "[verifier]") {
  OwnedRequest r = dynamodb_request();
  r.headers.emplace_back("Authorization", "AWS4-HMAC-SHA256 SignedHeaders=host");
  require_error(verify(r), ErrorKind::incomplete_signature,
                "Authorization header requires 'Credential' parameter. Authorization header requires "
                "'Signature' parameter. Authorization=AWS4-HMAC-SHA256 SignedHeaders=host");
}

TEST_CASE("neither X-Amz-Date nor Date: IncompleteSignature", "[verifier]") {
  OwnedRequest r = dynamodb_request();
  sign(r, {});
  r.remove("x-amz-date");
  const VerifyResult result = verify(r);
  REQUIRE(result.error);
  CHECK(result.error->kind == ErrorKind::incomplete_signature);
  CHECK(result.error->message.rfind(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
            "Authorization=AWS4-HMAC-SHA256 Credential=AKIDALICE/",
            0) == 0);
  CHECK(result.error->message.find("Signature=<redacted>") != std::string::npos);
  CHECK(result.claimed_access_key_id == "AKIDALICE");  // for the audit record
}

TEST_CASE("a date that is not ISO 8601 basic format: IncompleteSignature", "[verifier]") {
  OwnedRequest r = dynamodb_request("2024-01-01T00:00:00Z");
  sign(r, {});
  require_error(verify(r), ErrorKind::incomplete_signature,
                "Date must be in ISO-8601 'basic format'. Got '2024-01-01T00:00:00Z'. See "
                "http://en.wikipedia.org/wiki/ISO_8601");
}

TEST_CASE("clock skew: exactly the window is accepted, one second more is not", "[verifier]") {
  OwnedRequest r = dynamodb_request("20240101T000000Z");
  sign(r, {});
  CHECK(verify(r, "20240101T000500Z").principal);
  CHECK(verify(r, "20231231T235500Z").principal);
  require_error(verify(r, "20240101T000501Z"), ErrorKind::invalid_signature,
                "Signature expired: 20240101T000000Z is now earlier than 20240101T000001Z "
                "(20240101T000501Z - 5 min.)");
  require_error(verify(r, "20231231T235459Z"), ErrorKind::invalid_signature,
                "Signature not yet current: 20240101T000000Z is still later than 20231231T235959Z "
                "(20231231T235459Z + 5 min.)");

  VerifierSettings wide;
  wide.max_clock_skew = std::chrono::minutes{15};
  CHECK(verify(r, "20240101T001500Z", wide).principal);
  require_error(verify(r, "20240101T001501Z", wide), ErrorKind::invalid_signature,
                "Signature expired: 20240101T000000Z is now earlier than 20240101T000001Z "
                "(20240101T001501Z - 15 min.)");
}

TEST_CASE("host and the date header must be signed", "[verifier]") {
  OwnedRequest r = dynamodb_request();
  SignSpec no_host;
  no_host.signed_headers = {"content-type", "x-amz-date", "x-amz-target"};
  sign(r, no_host);
  require_error(verify(r), ErrorKind::invalid_signature,
                "'Host' must be a 'SignedHeader' in the AWS Authorization.");

  SignSpec no_date;
  no_date.signed_headers = {"content-type", "host", "x-amz-target"};
  sign(r, no_date);
  require_error(verify(r), ErrorKind::invalid_signature,
                "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.");
}

TEST_CASE("signed header lists in another order or case still verify", "[verifier]") {
  // The client hashed its list as it wrote it; reproducing that list is what
  // lets such a (non-SDK) client verify rather than fail obscurely.
  OwnedRequest r = dynamodb_request();
  SignSpec unsorted;
  unsorted.signed_headers = {"x-amz-target", "host", "x-amz-date", "content-type"};
  sign(r, unsorted);
  CHECK(verify(r).principal);

  SignSpec upper;
  upper.signed_headers = {"Content-Type", "Host", "X-Amz-Date", "X-Amz-Target"};
  sign(r, upper);
  CHECK(verify(r).principal);
}

TEST_CASE("X-Amz-Target must be signed: it names the operation the rules judge", "[verifier]") {
  OwnedRequest r = dynamodb_request();
  SignSpec no_target;
  no_target.signed_headers = {"content-type", "host", "x-amz-date"};
  sign(r, no_target);
  require_error(verify(r), ErrorKind::invalid_signature,
                "'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization.");
  // A request without the header at all has nothing to sign (the pipeline
  // refuses it as an unknown operation).
  r.remove("x-amz-target");
  sign(r, no_target);
  CHECK(verify(r).principal);
}

TEST_CASE("a botocore-style Date header carries the time when X-Amz-Date is absent", "[verifier]") {
  OwnedRequest r = dynamodb_request();
  r.remove("x-amz-date");
  r.set("Date", "Mon, 01 Jan 2024 00:00:00 -0000");
  SignSpec spec;
  spec.signed_headers = {"content-type", "date", "host", "x-amz-target"};
  sign(r, spec);
  CHECK(verify(r).principal);

  SignSpec unsigned_date;
  unsigned_date.signed_headers = {"content-type", "host", "x-amz-target"};
  sign(r, unsigned_date);
  require_error(verify(r), ErrorKind::invalid_signature,
                "'Date' must be a 'SignedHeader' in the AWS Authorization.");
}

TEST_CASE("credential scope problems are reported together", "[verifier]") {
  VerifierSettings settings;
  settings.allowed_regions = {"us-east-1", "eu-west-1"};
  OwnedRequest r = dynamodb_request();

  SignSpec region;
  region.region = "ap-south-1";
  sign(r, region);
  require_error(verify(r, "20240101T000100Z", settings), ErrorKind::invalid_signature,
                "Credential should be scoped to a valid region, not 'ap-south-1'.");
  CHECK(verify(r).principal);  // no allowed list: any region

  SignSpec service;
  service.service = "dynamodbx";
  sign(r, service);
  require_error(verify(r), ErrorKind::invalid_signature,
                "Credential should be scoped to correct service: 'dynamodb'.");

  SignSpec everything;
  everything.date = "20231231";
  everything.region = "c";
  everything.service = "d";
  everything.terminator = "e";
  sign(r, everything);
  require_error(verify(r, "20240101T000100Z", settings), ErrorKind::invalid_signature,
                "Credential should be scoped to a valid region, not 'c'. Credential should be scoped "
                "to correct service: 'dynamodb'. Credential should be scoped with a valid terminator: "
                "'aws4_request', not 'e'. Date in Credential scope does not match YYYYMMDD from "
                "ISO-8601 version of date from HTTP: '20231231' != '20240101', from '20240101T000000Z'.");
}

TEST_CASE("an unknown access key: UnrecognizedClient", "[verifier]") {
  OwnedRequest r = dynamodb_request();
  SignSpec spec;
  spec.access_key = "AKIDNOBODY";
  sign(r, spec);
  const VerifyResult result = verify(r);
  require_error(result, ErrorKind::unrecognized_client, "The security token included in the request is invalid.");
  CHECK(result.claimed_access_key_id == "AKIDNOBODY");
}

TEST_CASE("a wrong secret, body or signed header: InvalidSignature", "[verifier]") {
  OwnedRequest r = dynamodb_request();
  SignSpec wrong_secret;
  wrong_secret.secret = "not-alice";
  sign(r, wrong_secret);
  const VerifyResult result = verify(r);
  require_error(result, ErrorKind::invalid_signature, kMismatch);
  CHECK(result.claimed_access_key_id == "AKIDALICE");

  sign(r, {});
  OwnedRequest body = r;
  body.body.back() = ']';
  require_error(verify(body), ErrorKind::invalid_signature, kMismatch);
  OwnedRequest target = r;
  target.set("X-Amz-Target", "DynamoDB_20120810.DeleteItem");
  require_error(verify(target), ErrorKind::invalid_signature, kMismatch);
  // An unsigned header may change freely, as at AWS.
  OwnedRequest agent = r;
  agent.set("User-Agent", "something-else");
  CHECK(verify(agent).principal);
  // A signature of the wrong length is a mismatch, not a crash.
  OwnedRequest short_sig = r;
  short_sig.set("Authorization", short_sig.get("Authorization")->substr(0, 150));
  CHECK(verify(short_sig).error);
}

TEST_CASE("x-amz-content-sha256 must match the body", "[verifier]") {
  OwnedRequest r = dynamodb_request();
  r.set("x-amz-content-sha256", sigv4::hex(sigv4::sha256(r.body)));
  SignSpec spec;
  spec.signed_headers = {"content-type", "host", "x-amz-content-sha256", "x-amz-date", "x-amz-target"};
  sign(r, spec);
  CHECK(verify(r).principal);

  r.set("x-amz-content-sha256", sigv4::hex(sigv4::sha256("other body")));
  sign(r, spec);
  require_error(verify(r), ErrorKind::invalid_signature, kMismatch);
}

TEST_CASE("session tokens must be present and equal when the key has one", "[verifier]") {
  OwnedRequest r = dynamodb_request();
  SignSpec spec;
  spec.access_key = "AKIDTOKEN";
  spec.secret = kTokenSecret;
  spec.signed_headers = {"content-type", "host", "x-amz-date", "x-amz-security-token", "x-amz-target"};

  r.set("X-Amz-Security-Token", kSessionToken);
  sign(r, spec);
  CHECK(verify(r).principal);

  r.set("X-Amz-Security-Token", kSessionToken + "x");
  sign(r, spec);
  require_error(verify(r), ErrorKind::unrecognized_client, "The security token included in the request is invalid");

  r.remove("X-Amz-Security-Token");
  SignSpec without = spec;
  without.signed_headers = {"content-type", "host", "x-amz-date", "x-amz-target"};
  sign(r, without);
  require_error(verify(r), ErrorKind::unrecognized_client, "The security token included in the request is invalid");

  // A token sent with a long-term key is just as invalid.
  OwnedRequest alice = dynamodb_request();
  alice.set("X-Amz-Security-Token", "stray");
  sign(alice, {});
  require_error(verify(alice), ErrorKind::unrecognized_client, "The security token included in the request is invalid");
}

TEST_CASE("no error message carries a secret or the provided signature", "[verifier]") {
  std::vector<VerifyResult> results;
  OwnedRequest r = dynamodb_request();
  SignSpec wrong;
  wrong.secret = kAliceSecret + "x";
  sign(r, wrong);
  results.push_back(verify(r));
  results.push_back(verify(r, "20240102T000000Z"));
  OwnedRequest m = dynamodb_request();
  sign(m, {});
  m.set("Authorization", "AWS4-HMAC-SHA256 Signature=" + m.get("Authorization")->substr(m.get("Authorization")->size() - 64));
  results.push_back(verify(m));
  const std::string provided = r.get("Authorization")->substr(r.get("Authorization")->size() - 64);
  for (const auto& result : results) {
    REQUIRE(result.error);
    CHECK(result.error->message.find(kAliceSecret) == std::string::npos);
    CHECK(result.error->message.find(provided) == std::string::npos);
    CHECK(result.error->message.find(m.get("Authorization")->substr(28)) == std::string::npos);
  }
}

TEST_CASE("a correctly signed request dated after 2262 is not yet current", "[verifier][time]") {
  // It used to wrap into the past and, when the wrap landed within the
  // skew, be accepted.
  OwnedRequest r = dynamodb_request("26110101T000000Z");
  sign(r, SignSpec{.date = "26110101"});
  require_error(verify(r), ErrorKind::invalid_signature,
                "Signature not yet current: 26110101T000000Z is still later than 20240101T000600Z "
                "(20240101T000100Z + 5 min.)");
  OwnedRequest old = dynamodb_request("99991231T235959Z");
  sign(old, SignSpec{.date = "99991231"});
  const VerifyResult result = verify(old);
  REQUIRE(result.error);
  CHECK(result.error->message.starts_with("Signature not yet current: 99991231T235959Z"));
}

TEST_CASE("trust mode refuses what DynamoDB refuses before it needs the secret", "[verifier][trust]") {
  SigV4Verifier trusting(nullptr, {});
  const auto now = at("20240101T000100Z");
  const auto check = [&](OwnedRequest& r) { return trusting.check_unverified(r.view(), now); };

  OwnedRequest unsigned_request = dynamodb_request();
  require_error(check(unsigned_request), ErrorKind::missing_authentication_token,
                "Request is missing Authentication Token");

  OwnedRequest presigned = dynamodb_request();
  presigned.target = "/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDALICE%2F20240101%2Fus-east-1"
                     "%2Fdynamodb%2Faws4_request&X-Amz-Signature=abc&X-Amz-SignedHeaders=host";
  CHECK(check(presigned).error->kind == ErrorKind::incomplete_signature);

  OwnedRequest broken = dynamodb_request();
  broken.headers.emplace_back("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDBROKEN");
  const VerifyResult broken_result = check(broken);
  REQUIRE(broken_result.error);
  CHECK(broken_result.error->kind == ErrorKind::incomplete_signature);
  CHECK(broken_result.claimed_access_key_id == "AKIDBROKEN");

  OwnedRequest stale = dynamodb_request("20231231T000000Z");
  sign(stale, SignSpec{.date = "20231231"});
  CHECK(check(stale).error->message.starts_with("Signature expired: 20231231T000000Z"));

  OwnedRequest far = dynamodb_request("26110101T000000Z");
  sign(far, SignSpec{.date = "26110101"});
  CHECK(check(far).error->message.starts_with("Signature not yet current: 26110101T000000Z"));

  OwnedRequest wrong_scope = dynamodb_request();
  sign(wrong_scope, SignSpec{.service = "s3"});
  require_error(check(wrong_scope), ErrorKind::invalid_signature,
                "Credential should be scoped to correct service: 'dynamodb'.");

  OwnedRequest altered = dynamodb_request();
  altered.headers.emplace_back("x-amz-content-sha256", sigv4::hex(sigv4::sha256("another body")));
  sign(altered, {});
  require_error(check(altered), ErrorKind::invalid_signature, kMismatch);
}

TEST_CASE("trust mode takes the claimed key of a well-formed request without the secret", "[verifier][trust]") {
  SigV4Verifier trusting(nullptr, {});
  OwnedRequest r = dynamodb_request();
  sign(r, SignSpec{.secret = "not the key's secret"});
  const VerifyResult result = trusting.check_unverified(r.view(), at("20240101T000100Z"));
  REQUIRE(result.principal);
  CHECK_FALSE(result.error);
  CHECK(result.principal->access_key_id == "AKIDALICE");
  CHECK(result.principal->name == "AKIDALICE");
  CHECK(result.principal->mode == AuthMode::trust);
  CHECK_FALSE(result.principal->verified);
  // X-Amz-Target unsigned is the proxy's own rule for verified calls only.
  OwnedRequest target_unsigned = dynamodb_request();
  sign(target_unsigned, SignSpec{.signed_headers = {"content-type", "host", "x-amz-date"}});
  CHECK(trusting.check_unverified(target_unsigned.view(), at("20240101T000100Z")).principal);
}

TEST_CASE("trust mode takes the claimed access key, unverified", "[verifier]") {
  OwnedRequest r = dynamodb_request();
  Principal none = trusted_principal(r.view());
  CHECK(none.access_key_id.empty());
  CHECK(none.mode == AuthMode::trust);
  CHECK_FALSE(none.verified);

  sign(r, {});
  Principal p = trusted_principal(r.view());
  CHECK(p.access_key_id == "AKIDALICE");
  CHECK(p.name == "AKIDALICE");
  CHECK(p.mode == AuthMode::trust);
  CHECK_FALSE(p.verified);

  r.set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDBROKEN");
  CHECK(trusted_principal(r.view()).access_key_id == "AKIDBROKEN");
}
