// The Authorization header grammar: separators and order AWS tolerates, and
// the IncompleteSignatureException wording for what it does not.
#include <catch2/catch.hpp>

#include "aws/sigv4.hpp"
#include "proxy/auth/aws_imports.hpp"

using namespace dynaudit::proxy;

namespace {
const std::string kSig = "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7";
const std::string kCred = "AKIDEXAMPLE/20240101/us-east-1/dynamodb/aws4_request";
}  // namespace

TEST_CASE("a well-formed header parses into its parts", "[sigv4][authorization]") {
  const auto p = sigv4::parse_authorization("AWS4-HMAC-SHA256 Credential=" + kCred +
                                            ", SignedHeaders=host;x-amz-date;x-amz-target, Signature=" + kSig);
  REQUIRE(p.header);
  CHECK(p.error.empty());
  CHECK(p.header->access_key_id == "AKIDEXAMPLE");
  CHECK(p.header->date == "20240101");
  CHECK(p.header->region == "us-east-1");
  CHECK(p.header->service == "dynamodb");
  CHECK(p.header->terminator == "aws4_request");
  CHECK(p.header->signed_headers == std::vector<std::string>{"host", "x-amz-date", "x-amz-target"});
  CHECK(p.header->signature == kSig);
}

TEST_CASE("separators and component order vary as AWS allows", "[sigv4][authorization]") {
  for (const std::string& header :
       {"AWS4-HMAC-SHA256 Credential=" + kCred + ",SignedHeaders=host,Signature=" + kSig,
        "AWS4-HMAC-SHA256 Signature=" + kSig + ", Credential=" + kCred + ", SignedHeaders=host",
        "  AWS4-HMAC-SHA256   SignedHeaders=host ,  Signature=" + kSig + " ,Credential=" + kCred + "  ",
        "AWS4-HMAC-SHA256 Credential=" + kCred + "/, SignedHeaders=host, Signature=" + kSig}) {
    INFO(header);
    const auto p = sigv4::parse_authorization(header);
    REQUIRE(p.header);
    CHECK(p.header->access_key_id == "AKIDEXAMPLE");
    CHECK(p.header->terminator == "aws4_request");
    CHECK(p.header->signed_headers == std::vector<std::string>{"host"});
    CHECK(p.header->signature == kSig);
  }
}

TEST_CASE("missing components are all named, as AWS words them", "[sigv4][authorization]") {
  const auto p = sigv4::parse_authorization("AWS4-HMAC-SHA256 SignedHeaders=host");
  CHECK_FALSE(p.header);
  CHECK(p.error ==
        "Authorization header requires 'Credential' parameter. Authorization header requires "
        "'Signature' parameter. Authorization=AWS4-HMAC-SHA256 SignedHeaders=host");

  const auto none = sigv4::parse_authorization("AWS4-HMAC-SHA256", /*request_has_date=*/false);
  CHECK(none.error ==
        "Authorization header requires 'Credential' parameter. Authorization header requires "
        "'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. "
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
        "Authorization=AWS4-HMAC-SHA256");

  // Keys are case-sensitive, and an empty value counts as missing.
  const auto lower = sigv4::parse_authorization("AWS4-HMAC-SHA256 credential=" + kCred +
                                                ", SignedHeaders=host, Signature=");
  CHECK(lower.error.find("requires 'Credential' parameter") != std::string::npos);
  CHECK(lower.error.find("requires 'Signature' parameter") != std::string::npos);
}

TEST_CASE("the echoed header never carries the caller's signature", "[sigv4][authorization]") {
  const auto p = sigv4::parse_authorization("AWS4-HMAC-SHA256 SignedHeaders=host, Signature=" + kSig);
  CHECK_FALSE(p.header);
  CHECK(p.error.find(kSig) == std::string::npos);
  CHECK(p.error.find("Signature=<redacted>") != std::string::npos);

  const auto q = sigv4::parse_authorization("AWS4-HMAC-SHA256 Credential " + kCred + ", Signature=" + kSig);
  CHECK(q.error.find(kSig) == std::string::npos);
}

TEST_CASE("a pair without '=' is reported as AWS does", "[sigv4][authorization]") {
  const auto p = sigv4::parse_authorization("AWS4-HMAC-SHA256 Signature=b,    Credential,    SignedHeaders");
  CHECK_FALSE(p.header);
  CHECK(p.error ==
        "'Credential' not a valid key=value pair (missing equal-sign) in Authorization header: "
        "'AWS4-HMAC-SHA256 Signature=b,    Credential,    SignedHeaders'.");
}

TEST_CASE("only AWS4-HMAC-SHA256 is accepted", "[sigv4][authorization]") {
  const auto p = sigv4::parse_authorization("AWS4-HMAC-SHA25 Credential=" + kCred +
                                            ", SignedHeaders=host, Signature=" + kSig);
  CHECK_FALSE(p.header);
  CHECK(p.error == "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA25' (only AWS4-HMAC-SHA256 for now). ");
}

TEST_CASE("the credential must have exactly five parts", "[sigv4][authorization]") {
  for (const std::string cred : {"a/b/c/d", "a/b/c/d/e/f", "AKID"}) {
    const auto p = sigv4::parse_authorization("AWS4-HMAC-SHA256 Credential=" + cred +
                                              ", SignedHeaders=host, Signature=" + kSig);
    INFO(cred);
    CHECK_FALSE(p.header);
    CHECK(p.error ==
          "Credential must have exactly 5 slash-delimited elements, e.g. "
          "keyid/date/region/service/term, got '" +
              cred + "'");
  }
}

TEST_CASE("an empty SignedHeaders list parses (host is checked later)", "[sigv4][authorization]") {
  const auto p = sigv4::parse_authorization("AWS4-HMAC-SHA256 Credential=" + kCred +
                                            ", SignedHeaders=, Signature=" + kSig);
  REQUIRE(p.header);
  CHECK(p.header->signed_headers.empty());
}
