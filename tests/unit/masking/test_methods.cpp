// Every mask method on every AttributeValue type, with exact expected JSON.
#include <openssl/hmac.h>

#include "masking/decimal.hpp"
#include "masking/mask_methods.hpp"
#include "masking_test_util.hpp"

using namespace dynaudit::masking;
using namespace dynaudit::masking::testing;

namespace {

MaskSpec on_a(Method m) { return spec("a", m); }

MaskSpec partial(int first, int last) {
  auto s = on_a(Method::partial);
  s.keep_first = first;
  s.keep_last = last;
  return s;
}

MaskSpec rounding(double step) {
  auto s = on_a(Method::round);
  s.step = step;
  return s;
}

MaskSpec regex(std::string pattern, std::string replacement) {
  auto s = on_a(Method::regex);
  s.pattern = std::move(pattern);
  s.replacement = std::move(replacement);
  return s;
}

std::string hmac_hex(const std::string& key, const std::string& message) {
  unsigned char digest[32];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest, &length);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < length; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 15];
  }
  return out;
}

}  // namespace

TEST_CASE("redact on every type", "[methods][redact]") {
  const auto r = on_a(Method::redact);
  CHECK(mask_av(r, R"({"S":"secret"})") == R"({"S":"****"})");
  CHECK(mask_av(r, R"({"N":"123.45"})") == R"({"N":"0"})");
  CHECK(mask_av(r, R"({"B":"c2VjcmV0"})") == R"({"B":"KioqKg=="})");
  CHECK(mask_av(r, R"({"BOOL":true})") == R"({"NULL":true})");
  CHECK(mask_av(r, R"({"NULL":true})") == R"({"NULL":true})");
  CHECK(mask_av(r, R"({"SS":["a","b","c"]})") == R"({"SS":["****"]})");
  CHECK(mask_av(r, R"({"NS":["1","2"]})") == R"({"NS":["0"]})");
  CHECK(mask_av(r, R"({"BS":["AQ==","Ag=="]})") == R"({"BS":["KioqKg=="]})");
  CHECK(mask_av(r, R"({"L":[{"S":"x"},{"N":"5"},{"BOOL":false},{"L":[{"S":"y"}]}]})") ==
        R"({"L":[{"S":"****"},{"N":"0"},{"NULL":true},{"L":[{"S":"****"}]}]})");
  CHECK(mask_av(r, R"({"M":{"k":{"S":"v"},"n":{"M":{"z":{"NS":["1"]}}}}})") ==
        R"({"M":{"k":{"S":"****"},"n":{"M":{"z":{"NS":["0"]}}}}})");
  CHECK(mask_av(r, R"({"L":[]})") == R"({"L":[]})");
  auto custom = r;
  custom.replacement = "[gone \"quoted\"]";
  CHECK(mask_av(custom, R"({"S":"secret"})") == R"({"S":"[gone \"quoted\"]"})");
}

TEST_CASE("partial keeps code points, not bytes", "[methods][partial]") {
  CHECK(mask_av(partial(0, 4), R"({"S":"4111111111111111"})") == R"({"S":"************1111"})");
  CHECK(mask_av(partial(2, 2), R"({"S":"abcdef"})") == R"({"S":"ab**ef"})");
  CHECK(mask_av(partial(1, 1), "{\"S\":\"\xc3\xa9t\xc3\xa9\xf0\x9f\x98\x80\"}") ==
        "{\"S\":\"\xc3\xa9**\xf0\x9f\x98\x80\"}");
  CHECK(mask_av(partial(1, 1), R"({"S":"\u00e9t\u00e9\ud83d\ude00"})") == "{\"S\":\"\xc3\xa9**\xf0\x9f\x98\x80\"}");
  CHECK(mask_av(partial(3, 3), R"({"S":"short"})") == R"({"S":"*****"})");
  CHECK(mask_av(partial(0, 0), R"({"S":"abc"})") == R"({"S":"***"})");
  CHECK(mask_av(partial(2, 0), R"({"S":""})") == R"({"S":""})");
  CHECK(mask_av(partial(1, 0), R"({"S":"a\nb"})") == R"({"S":"a**"})");
  // N stays a number: masked digits become 0.
  CHECK(mask_av(partial(0, 4), R"({"N":"4111111111111111"})") == R"({"N":"1111"})");
  CHECK(mask_av(partial(2, 0), R"({"N":"12345"})") == R"({"N":"12000"})");
  CHECK(mask_av(partial(1, 1), R"({"N":"-1234.5"})") == R"({"N":"-1000.5"})");
  CHECK(mask_av(partial(5, 5), R"({"N":"42"})") == R"({"N":"0"})");
  CHECK(mask_av(partial(1, 0), R"({"N":"1.5E+3"})") == R"({"N":"1000"})");
  CHECK(mask_av(partial(1, 1), R"({"B":"AAEC"})") == R"({"B":"KioqKg=="})");
  CHECK(mask_av(partial(1, 1), R"({"BOOL":false})") == R"({"NULL":true})");
  CHECK(mask_av(partial(0, 2), R"({"SS":["1234","9934","x"]})") == R"({"SS":["**34","*"]})");
  CHECK(mask_av(partial(0, 1), R"({"NS":["11","21","3"]})") == R"({"NS":["1","0"]})");
  CHECK(mask_av(partial(1, 0), R"({"L":[{"S":"abc"},{"N":"99"}]})") == R"({"L":[{"S":"a**"},{"N":"90"}]})");
}

TEST_CASE("email keeps the first character and the domain", "[methods][email]") {
  const auto e = on_a(Method::email);
  CHECK(mask_av(e, R"({"S":"alice@example.com"})") == R"({"S":"a****@example.com"})");
  CHECK(mask_av(e, R"({"S":"b@x.io"})") == R"({"S":"b****@x.io"})");
  CHECK(mask_av(e, "{\"S\":\"\xc3\xa9lise@example.fr\"}") == "{\"S\":\"\xc3\xa9****@example.fr\"}");
  CHECK(mask_av(e, R"({"S":"\"a@b\"@example.com"})") == R"({"S":"\"****@example.com"})");
  // Not addresses: redacted.
  CHECK(mask_av(e, R"({"S":"not an email"})") == R"({"S":"****"})");
  CHECK(mask_av(e, R"({"S":"@example.com"})") == R"({"S":"****"})");
  CHECK(mask_av(e, R"({"S":"alice@"})") == R"({"S":"****"})");
  CHECK(mask_av(e, R"({"S":""})") == R"({"S":"****"})");
  CHECK(mask_av(e, R"({"N":"5"})") == R"({"N":"0"})");
  CHECK(mask_av(e, R"({"NULL":true})") == R"({"NULL":true})");
  CHECK(mask_av(e, R"({"SS":["ann@a.com","amy@a.com","bob@b.com"]})") == R"({"SS":["a****@a.com","b****@b.com"]})");
  CHECK(mask_email("x@y") == "x****@y");
  CHECK_FALSE(mask_email("xy"));
}

TEST_CASE("hash is HMAC-SHA256, stable, and depends on the key", "[methods][hash]") {
  const auto h = on_a(Method::hash);
  const auto keys = test_keys();
  const std::string expected = "{\"S\":\"h:" + hmac_hex(keys.hmac_key, "alice").substr(0, 32) + "\"}";
  CHECK(mask_av(h, R"({"S":"alice"})") == expected);
  CHECK(mask_av(h, R"({"S":"alice"})") == expected);  // stable across calls
  CHECK(mask_av(h, R"({"S":"\u0061lice"})") == expected);  // over the decoded value
  CHECK(mask_av(h, R"({"S":"alicf"})") != expected);

  auto other_keys = keys;
  other_keys.hmac_key = "another-key";
  const std::string other = mask_item({h}, R"({"a":{"S":"alice"}})", other_keys);
  CHECK(other != "{\"a\":" + expected + "}");
  CHECK(other.find("h:" + hmac_hex("another-key", "alice").substr(0, 32)) != std::string::npos);

  // N stays N: 52 bits of the digest as an integer, over the canonical number.
  const std::string n1 = mask_av(h, R"({"N":"1.0"})");
  CHECK(n1 == mask_av(h, R"({"N":"1"})"));
  const std::string digest = hmac_hex(keys.hmac_key, "1");
  const unsigned long long top = std::stoull(digest.substr(0, 16), nullptr, 16) >> 12;
  CHECK(n1 == "{\"N\":\"" + std::to_string(top) + "\"}");
  CHECK(top < (1ULL << 52));

  const std::string b = mask_av(h, R"({"B":"AAEC"})");
  CHECK(b.rfind("{\"B\":\"", 0) == 0);
  CHECK(b.size() == std::string(R"({"B":""})").size() + 24);  // base64 of 16 bytes
  CHECK(mask_av(h, R"({"BOOL":true})") == R"({"NULL":true})");
  CHECK(mask_av(h, R"({"SS":["x","x2"]})").find("h:") != std::string::npos);
  CHECK(check_attribute_value_json(mask_av(h, R"({"NS":["1","2","3"]})")) == "");
}

TEST_CASE("hash without a key is an error, never clear text", "[methods][hash]") {
  const auto plan = plan_of({on_a(Method::hash)});
  MaskKeys keys;  // no hmac key
  const auto out = mask_item_json(R"({"a":{"S":"alice"}})", plan, keys);
  CHECK_FALSE(out.error.empty());
}

TEST_CASE("nullify and remove on every type", "[methods][nullify][remove]") {
  const auto n = on_a(Method::nullify);
  for (const char* av : {R"({"S":"x"})", R"({"N":"1"})", R"({"B":"AA=="})", R"({"BOOL":false})", R"({"SS":["a"]})",
                         R"({"NS":["1"]})", R"({"BS":["AA=="]})", R"({"L":[{"S":"x"}]})", R"({"M":{}})"}) {
    CHECK(mask_av(n, av) == R"({"NULL":true})");
    CHECK(mask_av(on_a(Method::remove), av) == "<removed>");
  }
  CHECK(mask_item({spec("a", Method::remove)}, R"({"a":{"S":"1"},"b":{"S":"2"}})") == R"({"b":{"S":"2"}})");
  CHECK(mask_item({spec("b", Method::remove)}, R"({"a":{"S":"1"},"b":{"S":"2"}})") == R"({"a":{"S":"1"}})");
  CHECK(mask_item({spec("b", Method::remove)}, R"({ "a" : {"S":"1"} , "b" : {"S":"2"} , "c" : {"S":"3"} })") ==
        R"({ "a" : {"S":"1"}  , "c" : {"S":"3"} })");
  CHECK(mask_item({spec("a", Method::remove), spec("b", Method::remove)}, R"({"a":{"S":"1"},"b":{"S":"2"}})") ==
        "{}");
  CHECK(mask_item({spec("a", Method::remove), spec("c", Method::remove)},
                  R"({"a":{"S":"1"},"b":{"S":"2"},"c":{"S":"3"}})") == R"({"b":{"S":"2"}})");
  CHECK(mask_item({spec("b", Method::remove), spec("c", Method::remove)},
                  R"({"a":{"S":"1"},"b":{"S":"2"},"c":{"S":"3"}})") == R"({"a":{"S":"1"}})");
}

TEST_CASE("regex replaces in S and SS only", "[methods][regex]") {
  const auto r = regex("[0-9]", "#");
  CHECK(mask_av(r, R"({"S":"call 555-1234"})") == R"({"S":"call ###-####"})");
  CHECK(mask_av(regex("(\\w+)@(\\w+)", "$2 at $1"), R"({"S":"bob@corp"})") == R"({"S":"corp at bob"})");
  CHECK(mask_av(r, R"({"S":"no digits"})") == R"({"S":"no digits"})");
  CHECK(mask_av(r, R"({"N":"123"})") == R"({"N":"123"})");
  CHECK(mask_av(r, R"({"BOOL":true})") == R"({"BOOL":true})");
  CHECK(mask_av(r, R"({"SS":["a1","a2","b"]})") == R"({"SS":["a#","b"]})");
  CHECK(mask_av(r, R"({"L":[{"S":"x9"},{"N":"9"}]})") == R"({"L":[{"S":"x#"},{"N":"9"}]})");
  const std::string big(5000, '7');
  CHECK(mask_av(r, "{\"S\":\"" + big + "\"}") == R"({"S":"****"})");
  std::string error;
  auto bad = regex("(", "x");
  CHECK_FALSE(MaskPlan::compile({bad}, error));
  CHECK(error.find("bad pattern") != std::string::npos);
}

TEST_CASE("round: half away from zero, exact decimals", "[methods][round]") {
  CHECK(mask_av(rounding(1), R"({"N":"2.5"})") == R"({"N":"3"})");
  CHECK(mask_av(rounding(1), R"({"N":"-2.5"})") == R"({"N":"-3"})");
  CHECK(mask_av(rounding(1), R"({"N":"-2.4"})") == R"({"N":"-2"})");
  CHECK(mask_av(rounding(10), R"({"N":"1234"})") == R"({"N":"1230"})");
  CHECK(mask_av(rounding(10), R"({"N":"1235"})") == R"({"N":"1240"})");
  CHECK(mask_av(rounding(0.01), R"({"N":"12345.678"})") == R"({"N":"12345.68"})");
  CHECK(mask_av(rounding(0.5), R"({"N":"7.74"})") == R"({"N":"7.5"})");
  CHECK(mask_av(rounding(0.5), R"({"N":"7.75"})") == R"({"N":"8"})");
  CHECK(mask_av(rounding(25), R"({"N":"-37.5"})") == R"({"N":"-50"})");
  CHECK(mask_av(rounding(1000), R"({"N":"0.4"})") == R"({"N":"0"})");
  CHECK(mask_av(rounding(1000), R"({"N":"-499.999999999999999999999999"})") == R"({"N":"0"})");
  CHECK(mask_av(rounding(1000), R"({"N":"500.000000000000000000000001"})") == R"({"N":"1000"})");
  // 38 significant digits survive exactly (a double keeps 15-17).
  CHECK(mask_av(rounding(1), R"({"N":"1234567890123456789012345678901234567.5"})") ==
        R"({"N":"1234567890123456789012345678901234568"})");
  CHECK(mask_av(rounding(100), R"({"N":"99999999999999999999999999999999999951"})") ==
        R"({"N":"100000000000000000000000000000000000000"})");
  CHECK(mask_av(rounding(1), R"({"N":"1E+125"})") == "{\"N\":\"1" + std::string(125, '0') + "\"}");
  CHECK(mask_av(rounding(0.001), R"({"N":"1E-130"})") == R"({"N":"0"})");
  CHECK(mask_av(rounding(1), R"({"N":"7"})") == R"({"N":"7"})");
  CHECK(mask_av(rounding(1), R"({"S":"7.5"})") == R"({"S":"7.5"})");
  CHECK(mask_av(rounding(10), R"({"NS":["11","12","25"]})") == R"({"NS":["10","30"]})");
  std::string error;
  CHECK_FALSE(MaskPlan::compile({rounding(0)}, error));
  CHECK_FALSE(MaskPlan::compile({rounding(-1)}, error));
}

TEST_CASE("Decimal parses and prints canonically", "[decimal]") {
  CHECK(Decimal::parse("0001.2300")->to_string() == "1.23");
  CHECK(Decimal::parse("-0.0")->to_string() == "0");
  CHECK(Decimal::parse("1.5e3")->to_string() == "1500");
  CHECK(Decimal::parse("15e-4")->to_string() == "0.0015");
  CHECK(Decimal::parse("+7")->to_string() == "7");
  CHECK_FALSE(Decimal::parse("abc"));
  CHECK_FALSE(Decimal::parse("1.2.3"));
  CHECK_FALSE(Decimal::parse("1e"));
  // DynamoDB's limits (found by fuzz_attribute_value: `round` wrote
  // 1332.21e400 as 404 plain digits, which no reader takes back).
  CHECK(Decimal::parse("9.9999999999999999999999999999999999999E+125"));
  CHECK(Decimal::parse("1E-130"));
  CHECK(Decimal::parse("12345678901234567890123456789012345678000"));  // 38 significant digits
  CHECK_FALSE(Decimal::parse("1E+126"));
  CHECK_FALSE(Decimal::parse("1E-131"));
  CHECK_FALSE(Decimal::parse("1332.21e400"));
  CHECK_FALSE(Decimal::parse("123456789012345678901234567890123456789"));  // 39
  CHECK_FALSE(Decimal::parse(""));
  CHECK(partial_string("abcdef", 1, 2) == "a***ef");
}

TEST_CASE("method names round-trip", "[plan]") {
  for (auto m : {Method::redact, Method::partial, Method::email, Method::hash, Method::nullify, Method::remove,
                 Method::regex, Method::round})
    CHECK(parse_method(to_string(m)) == m);
  CHECK_FALSE(parse_method("scramble"));
}

TEST_CASE("values that are not AttributeValues are errors when masked", "[methods]") {
  const auto plan = plan_of({on_a(Method::redact)});
  for (const char* item : {R"({"a":"plain"})", R"({"a":{"S":1}})", R"({"a":{"S":"x","N":"1"}})", R"({"a":{}})",
                           R"({"a":{"SS":[1]}})", R"({"a":{"L":[5]}})"}) {
    INFO(item);
    CHECK_FALSE(mask_item_json(item, plan, test_keys()).error.empty());
  }
  // Unknown types are nullified (never passed through in clear).
  CHECK(mask_av(on_a(Method::redact), R"({"X":"new type"})") == R"({"NULL":true})");
}
