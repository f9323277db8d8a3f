// Cross-checks dynaudit's SigV4 against the real signers, run at test time:
// botocore (python3) and @smithy/signature-v4 (node) sign the same DynamoDB
// requests; dynaudit must compute the same signature for the header set each
// library chose, its verifier must accept every signed request and reject it
// after one changed body byte, header value or secret, and its own signer
// must match botocore byte for byte on the headers it signs. A missing
// python3/botocore or node/@smithy is a failure, not a skip: without them
// this file proves nothing.
#include <simdjson.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "proxy/auth/sigv4_verifier.hpp"
#include "test_support.hpp"

using namespace dynaudit::proxy;
using dynaudit::proxy::test::at;
using dynaudit::proxy::test::OwnedRequest;
using dynaudit::proxy::test::TempDir;

namespace {

const std::string kAccessKey = "AKIDCROSSCHECK";
const std::string kSecret = "cross/Check+Secret0123456789EXAMPLEKEY";
const std::string kRegion = "us-west-2";
const std::string kToolsDir = std::string(DYNAUDIT_SOURCE_DIR) + "/tests/unit/proxy/tools";

// The requests both libraries sign. `url` is what botocore gets; `query`
// the same query decoded, for smithy. botocore_only: repeated header lines,
// which a JS header object cannot represent. compare_signer: only headers
// dynaudit's own signer signs, so its Authorization must equal botocore's.
const char* const kCases = R"json({
  "access_key": "AKIDCROSSCHECK",
  "secret": "cross/Check+Secret0123456789EXAMPLEKEY",
  "region": "us-west-2",
  "service": "dynamodb",
  "cases": [
    {"id": "list_tables", "method": "POST", "url": "http://localhost:8000/", "timestamp": "20240102T030405Z",
     "headers": [["Host", "localhost:8000"], ["Content-Type", "application/x-amz-json-1.0"],
                 ["X-Amz-Target", "DynamoDB_20120810.ListTables"]],
     "body": "{}", "compare_signer": true},
    {"id": "get_item_with_session_token", "method": "POST", "url": "http://localhost:8000/",
     "timestamp": "20251231T235959Z", "session_token": "FwoGZXIvYXdzEXAMPLE/token+value==",
     "headers": [["Host", "localhost:8000"], ["Content-Type", "application/x-amz-json-1.0"],
                 ["X-Amz-Target", "DynamoDB_20120810.GetItem"]],
     "body": "{\"TableName\":\"orders\",\"Key\":{\"pk\":{\"S\":\"o#1\"}}}", "compare_signer": true},
    {"id": "odd_casing_and_spacing", "method": "POST", "url": "http://LOCALHOST:8000/", "timestamp": "20240229T120000Z",
     "headers": [["HOST", "localhost:8000"], ["content-TYPE", "  application/x-amz-json-1.0  "],
                 ["x-AMZ-target", "DynamoDB_20120810.PutItem"], ["X-Custom-Meta", "  a   b \t c  "],
                 ["User-Agent", "aws-sdk-cross/1.0 (test)"], ["amz-sdk-invocation-id", "2f1d0c3e-1111"]],
     "body": "{\"TableName\":\"t\",\"Item\":{\"pk\":{\"S\":\"caf\u00e9 \u2603\"},\"n\":{\"N\":\"1.5e3\"}}}"},
    {"id": "empty_body", "method": "POST", "url": "http://localhost:8000/", "timestamp": "20240102T030405Z",
     "headers": [["Host", "localhost:8000"], ["X-Amz-Target", "DynamoDB_20120810.DescribeLimits"]],
     "body": ""},
    {"id": "repeated_headers", "method": "POST", "url": "http://localhost:8000/", "timestamp": "20240102T030405Z",
     "botocore_only": true,
     "headers": [["Host", "localhost:8000"], ["X-Amz-Target", "DynamoDB_20120810.Scan"],
                 ["X-Repeat", "one"], ["x-repeat", "  two   three "]],
     "body": "{\"TableName\":\"t\"}"},
    {"id": "date_header_instead_of_x_amz_date", "method": "POST", "url": "http://localhost:8000/",
     "timestamp": "20240102T030405Z",
     "headers": [["Host", "localhost:8000"], ["Date", "placeholder"], ["X-Amz-Target", "DynamoDB_20120810.ListTables"]],
     "body": "{}"},
    {"id": "query_string", "method": "GET", "url": "http://localhost:8000/some/path?b=2&a=x%20y&a=1&c=%2B~",
     "query": [["b", "2"], ["a", "x y"], ["a", "1"], ["c", "+~"]], "timestamp": "20240102T030405Z",
     "headers": [["Host", "localhost:8000"]], "body": ""}
  ]
})json";

struct Case {
  std::string id, method, target, body, session_token, timestamp;
  bool botocore_only = false, compare_signer = false;
  std::vector<std::pair<std::string, std::string>> headers;  // as given to the libraries
};

std::vector<Case> load_cases() {
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(kCases, std::strlen(kCases));
  std::vector<Case> cases;
  for (simdjson::dom::element c : doc["cases"].get_array()) {
    Case k;
    k.id = std::string(std::string_view(c["id"]));
    k.method = std::string(std::string_view(c["method"]));
    const std::string url{std::string_view(c["url"])};
    k.target = url.substr(url.find('/', url.find("://") + 3));
    k.body = std::string(std::string_view(c["body"]));
    k.timestamp = std::string(std::string_view(c["timestamp"]));
    std::string_view token;
    if (c["session_token"].get_string().get(token) == simdjson::SUCCESS) k.session_token = token;
    bool flag = false;
    if (c["botocore_only"].get_bool().get(flag) == simdjson::SUCCESS) k.botocore_only = flag;
    if (c["compare_signer"].get_bool().get(flag) == simdjson::SUCCESS) k.compare_signer = flag;
    for (simdjson::dom::array h : c["headers"].get_array())
      k.headers.emplace_back(std::string_view(h.at(0)), std::string_view(h.at(1)));
    cases.push_back(std::move(k));
  }
  return cases;
}

struct Signed {
  std::string id;
  std::vector<std::pair<std::string, std::string>> headers;  // as the library left them
  std::string authorization;
};

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs `command`, returning its stdout; any non-zero exit fails the test
// with the command's stderr.
std::vector<Signed> run_signer(const std::string& command, const TempDir& dir) {
  const std::string err_file = dir.file("stderr.txt");
  FILE* pipe = ::popen((command + " 2>" + err_file).c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string out;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;) out.append(buf, n);
  const int status = ::pclose(pipe);
  INFO("command: " << command << "\nstderr:\n" << read_file(err_file));
  REQUIRE(status == 0);

  std::vector<Signed> results;
  simdjson::dom::parser parser;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    simdjson::dom::element doc;
    INFO("output line: " << line);
    REQUIRE(parser.parse(line).get(doc) == simdjson::SUCCESS);
    Signed s;
    s.id = std::string(std::string_view(doc["id"]));
    s.authorization = std::string(std::string_view(doc["authorization"]));
    for (simdjson::dom::array h : doc["headers"].get_array())
      s.headers.emplace_back(std::string_view(h.at(0)), std::string_view(h.at(1)));
    results.push_back(std::move(s));
  }
  return results;
}

std::string signature_of(const std::string& authorization) {
  return authorization.substr(authorization.find("Signature=") + 10);
}

void check_library(const std::string& library, const std::vector<Case>& cases,
                   const std::vector<Signed>& results) {
  std::size_t expected = 0;
  for (const Case& c : cases) expected += library == "botocore" || !c.botocore_only;
  REQUIRE(results.size() == expected);

  auto store = CredentialStore::from_keys({IssuedKey{kAccessKey, kSecret, "", "cross", {}}});
  VerifierSettings settings;
  settings.allowed_regions = {kRegion};

  for (const Signed& s : results) {
    const auto c = std::find_if(cases.begin(), cases.end(), [&](const Case& k) { return k.id == s.id; });
    REQUIRE(c != cases.end());
    INFO(library << " case " << c->id << "\nAuthorization: " << s.authorization);
    OwnedRequest r;
    r.method = c->method;
    r.target = c->target;
    r.body = c->body;
    r.headers = s.headers;

    // 1. Same canonical request, same signature, for the library's header set.
    const auto parsed = sigv4::parse_authorization(s.authorization);
    REQUIRE(parsed.header);
    const auto& auth = *parsed.header;
    const std::string canonical =
        sigv4::canonical_request(r.view(), auth.signed_headers, sigv4::hex(sigv4::sha256(r.body)));
    const auto key = sigv4::derive_signing_key(kSecret, auth.date, auth.region, auth.service);
    const std::string ours = sigv4::hex(sigv4::hmac_sha256(
        {reinterpret_cast<const char*>(key.data()), key.size()},
        sigv4::string_to_sign(c->timestamp, sigv4::credential_scope(auth.date, auth.region, auth.service),
                              canonical)));
    INFO("dynaudit canonical request:\n" << canonical);
    CHECK(ours == signature_of(s.authorization));

    // 2. The verifier accepts it ...
    const auto now = at(c->timestamp) + std::chrono::seconds{30};
    auto token_store = CredentialStore::from_keys({IssuedKey{kAccessKey, kSecret, c->session_token, "cross", {}}});
    SigV4Verifier verifier(token_store, settings);
    const VerifyResult ok = verifier.verify(r.view(), now);
    INFO("verifier error: " << (ok.error ? ok.error->message : ""));
    CHECK(ok.principal);

    // ... and rejects one changed body byte, header value, or secret.
    OwnedRequest body = r;
    if (body.body.empty()) body.body = " ";
    else body.body[body.body.size() / 2] ^= 0x01;
    CHECK(verifier.verify(body.view(), now).error);

    OwnedRequest header = r;
    header.set("host", "localhost:8001");
    CHECK(verifier.verify(header.view(), now).error);

    auto wrong_secret = CredentialStore::from_keys({IssuedKey{kAccessKey, kSecret + "x", c->session_token, "cross", {}}});
    const VerifyResult bad = SigV4Verifier(wrong_secret, settings).verify(r.view(), now);
    REQUIRE(bad.error);
    CHECK(bad.error->kind == dynaudit::ddb::ErrorKind::invalid_signature);

    // 3. dynaudit's upstream signer produces the very same header.
    if (c->compare_signer && library == "botocore") {
      OwnedRequest original;
      original.method = c->method;
      original.target = c->target;
      original.body = c->body;
      original.headers = c->headers;
      const AwsCredentials creds{kAccessKey, kSecret, c->session_token, std::nullopt};
      const auto mine = sigv4::sign_request(original.view(), creds, kRegion, "dynamodb", at(c->timestamp));
      CHECK(mine.authorization == s.authorization);
    }
  }
}

}  // namespace

TEST_CASE("botocore's SigV4Auth and dynaudit agree", "[sigv4][crosscheck]") {
  TempDir dir;
  const std::string cases_file = dir.write("cases.json", kCases);
  const auto results = run_signer("python3 '" + kToolsDir + "/botocore_sign.py' '" + cases_file + "'", dir);
  check_library("botocore", load_cases(), results);
}

TEST_CASE("@smithy/signature-v4 and dynaudit agree", "[sigv4][crosscheck]") {
  TempDir dir;
  const std::string cases_file = dir.write("cases.json", kCases);
  // Run from the repository root so that node resolves its node_modules.
  const auto results = run_signer("cd '" + std::string(DYNAUDIT_SOURCE_DIR) + "' && node '" + kToolsDir +
                                      "/smithy_sign.js' '" + cases_file + "'",
                                  dir);
  check_library("smithy", load_cases(), results);
}
