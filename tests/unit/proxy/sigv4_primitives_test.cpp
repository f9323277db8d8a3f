// SigV4 building blocks against published vectors: SHA-256 (FIPS 180-2),
// HMAC-SHA256 (RFC 4231), the AWS signing-key example, constant-time
// comparison and the strict date formats.
#include <catch2/catch.hpp>

#include "aws/sigv4.hpp"
#include "aws/time_format.hpp"
#include "proxy/auth/aws_imports.hpp"

using namespace dynaudit::proxy;
using namespace std::chrono;


TEST_CASE("sha256 and hex match FIPS 180-2 vectors", "[sigv4]") {
  CHECK(sigv4::hex(sigv4::sha256("")) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sigv4::hex(sigv4::sha256("abc")) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("hmac_sha256 matches RFC 4231", "[sigv4]") {
  // Test case 1: 20 bytes of 0x0b, "Hi There".
  CHECK(sigv4::hex(sigv4::hmac_sha256(std::string(20, '\x0b'), "Hi There")) ==
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  // Test case 2: key "Jefe".
  CHECK(sigv4::hex(sigv4::hmac_sha256("Jefe", "what do ya want for nothing?")) ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // Test case 6: a key longer than the block size is hashed first.
  CHECK(sigv4::hex(sigv4::hmac_sha256(std::string(131, '\xaa'),
                                      "Test Using Larger Than Block-Size Key - Hash Key First")) ==
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST_CASE("derive_signing_key matches the AWS documentation example", "[sigv4]") {
  CHECK(sigv4::hex(sigv4::derive_signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20150830",
                                             "us-east-1", "iam")) ==
        "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");
}

TEST_CASE("SigningKeyCache returns derived keys and stays bounded", "[sigv4]") {
  sigv4::SigningKeyCache cache(2);
  const auto expected = sigv4::derive_signing_key("s1", "20240101", "us-east-1", "dynamodb");
  CHECK(cache.get("s1", "20240101", "us-east-1", "dynamodb") == expected);
  CHECK(cache.get("s1", "20240101", "us-east-1", "dynamodb") == expected);  // cached
  // Tuples that concatenate to the same bytes must not collide.
  CHECK(cache.get("s1", "20240101", "us-east-1", "dynamodb") !=
        cache.get("s12", "0240101", "us-east-1", "dynamodb"));
  for (int i = 0; i < 10; ++i) {
    const std::string secret = "k" + std::to_string(i);
    CHECK(cache.get(secret, "20240101", "eu-west-1", "dynamodb") ==
          sigv4::derive_signing_key(secret, "20240101", "eu-west-1", "dynamodb"));
  }
}

TEST_CASE("constant_time_equal", "[sigv4]") {
  CHECK(sigv4::constant_time_equal("", ""));
  CHECK(sigv4::constant_time_equal("abc", "abc"));
  CHECK_FALSE(sigv4::constant_time_equal("abc", "abd"));
  CHECK_FALSE(sigv4::constant_time_equal("abc", "ab"));
  CHECK_FALSE(sigv4::constant_time_equal("ab", "abc"));
  CHECK_FALSE(sigv4::constant_time_equal("", "a"));
  CHECK_FALSE(sigv4::constant_time_equal("a", ""));
  CHECK(sigv4::constant_time_equal(std::string("a\0b", 3), std::string("a\0b", 3)));
  CHECK_FALSE(sigv4::constant_time_equal(std::string("a\0b", 3), std::string("a\0c", 3)));
}

TEST_CASE("amz date formats and parses strictly", "[sigv4][time]") {
  const auto t = sys_days{year{2015} / 8 / 30} + hours{12} + minutes{36};
  CHECK(sigv4::format_amz_date(t) == "20150830T123600Z");
  CHECK(sigv4::format_amz_date(t + milliseconds{999}) == "20150830T123600Z");  // truncated
  CHECK(sigv4::parse_amz_date("20150830T123600Z") == t);
  CHECK(sigv4::parse_amz_date("20240229T235959Z").has_value());  // leap day
  CHECK(sigv4::format_amz_date(*sigv4::parse_amz_date("19991231T235959Z") + seconds{1}) ==
        "20000101T000000Z");

  for (const char* bad :
       {"", "20150830T123600", "20150830T123600z", "20150830t123600Z", "2015-08-30T12:36:00Z",
        "20150830T1236000Z", "2015083OT123600Z", "20151330T123600Z", "20150001T123600Z",
        "20150800T123600Z", "20150931T123600Z", "20230229T120000Z", "21000229T120000Z",
        "20150830T243600Z", "20150830T126000Z", "20150830T123660Z", " 20150830T123600Z",
        "+2015083T123600Z", "20150830T12360-Z"}) {
    INFO(bad);
    CHECK_FALSE(sigv4::parse_amz_date(bad).has_value());
  }
  CHECK(sigv4::parse_amz_date("20000229T000000Z").has_value());  // 2000 is a leap year
}

TEST_CASE("dates past system_clock's end neither wrap nor overflow", "[sigv4][time]") {
  // libstdc++'s system_clock counts nanoseconds and ends on 2262-04-11: a
  // date after it, converted to the clock, used to wrap to 1677-1970.
  const auto far = sigv4::parse_amz_date("26110101T000000Z");
  REQUIRE(far.has_value());
  CHECK(*far > std::chrono::floor<seconds>(system_clock::now()));
  CHECK(sigv4::format_amz_date(*far) == "26110101T000000Z");
  const auto last = sigv4::parse_amz_date("99991231T235959Z");
  REQUIRE(last.has_value());
  CHECK(sigv4::format_amz_date(*last) == "99991231T235959Z");
  CHECK(*last > *far);
  CHECK(time_format::parse_http_date("Fri, 01 Jan 2611 00:00:00 GMT") == far);
  // An expiration is kept as a system_clock time: refused when it cannot be.
  CHECK_FALSE(time_format::parse_iso8601("2611-01-01T00:00:00Z").has_value());
  CHECK_FALSE(time_format::parse_iso8601("2262-04-12T00:00:00Z").has_value());
  CHECK(time_format::parse_iso8601("2262-04-10T00:00:00Z").has_value());
}

TEST_CASE("ISO 8601 expirations and HTTP dates parse", "[time]") {
  const auto t = sys_days{year{2024} / 1 / 2} + hours{3} + minutes{4} + seconds{5};
  CHECK(time_format::parse_iso8601("2024-01-02T03:04:05Z") == t);
  CHECK(time_format::parse_iso8601("2024-01-02T03:04:05.678Z") == t);
  CHECK(time_format::parse_iso8601("2024-01-02T04:04:05+01:00") == t);
  CHECK(time_format::parse_iso8601("2024-01-02T01:04:05-02:00") == t);
  CHECK_FALSE(time_format::parse_iso8601("2024-01-02T03:04:05").has_value());  // no zone
  CHECK_FALSE(time_format::parse_iso8601("2024-01-02 03:04:05Z").has_value());
  CHECK_FALSE(time_format::parse_iso8601("2024-02-30T03:04:05Z").has_value());
  CHECK_FALSE(time_format::parse_iso8601("2024-01-02T03:04:05.Z").has_value());
  CHECK_FALSE(time_format::parse_iso8601("2024-01-02T03:04:05Zjunk").has_value());
  CHECK(time_format::format_iso8601(t) == "2024-01-02T03:04:05Z");

  CHECK(time_format::parse_http_date("Tue, 02 Jan 2024 03:04:05 GMT") == t);
  CHECK(time_format::parse_http_date("Tue, 02 Jan 2024 03:04:05 -0000") == t);  // botocore's form
  CHECK_FALSE(time_format::parse_http_date("Tue, 02 Jan 2024 03:04:05 +0100").has_value());
  CHECK_FALSE(time_format::parse_http_date("Tue, 02 Foo 2024 03:04:05 GMT").has_value());
  CHECK_FALSE(time_format::parse_http_date("Tue, 32 Jan 2024 03:04:05 GMT").has_value());
}
