// DynamoDB-shaped errors: exact statuses and __type strings, exact bodies,
// and JSON escaping checked byte for byte and by parsing the result back.
#include <catch2/catch.hpp>

#include <simdjson.h>

#include <string>

#include "ddb/error_response.hpp"

namespace ddb = dynaudit::ddb;
using ddb::ErrorKind;

namespace {

std::string escaped(std::string_view text) {
  std::string out = "prefix:";
  ddb::append_json_escaped(out, text);
  return out.substr(7);
}

// Parses error_body's output back and returns the message it carries.
std::string parsed_message(const std::string& body) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  REQUIRE(parser.parse(body).get(root) == simdjson::SUCCESS);
  std::string_view message;
  REQUIRE(root["message"].get_string().get(message) == simdjson::SUCCESS);
  return std::string(message);
}

}  // namespace

TEST_CASE("every error kind has DynamoDB's status and __type", "[error]") {
  struct Expected {
    ErrorKind kind;
    unsigned status;
    std::string_view short_type;
    std::string_view qualified_type;
  };
  const Expected table[] = {
      {ErrorKind::serialization, 400, "SerializationException", "com.amazon.coral.service#SerializationException"},
      {ErrorKind::validation, 400, "ValidationException", "com.amazon.coral.validate#ValidationException"},
      {ErrorKind::missing_authentication_token, 400, "MissingAuthenticationTokenException",
       "com.amazon.coral.service#MissingAuthenticationTokenException"},
      {ErrorKind::incomplete_signature, 400, "IncompleteSignatureException",
       "com.amazon.coral.service#IncompleteSignatureException"},
      {ErrorKind::invalid_signature, 400, "InvalidSignatureException",
       "com.amazon.coral.service#InvalidSignatureException"},
      {ErrorKind::unrecognized_client, 400, "UnrecognizedClientException",
       "com.amazon.coral.service#UnrecognizedClientException"},
      {ErrorKind::access_denied, 400, "AccessDeniedException", "com.amazon.coral.service#AccessDeniedException"},
      {ErrorKind::request_too_large, 413, "RequestEntityTooLargeException",
       "com.amazon.coral.service#RequestEntityTooLargeException"},
      {ErrorKind::unknown_operation, 400, "UnknownOperationException",
       "com.amazon.coral.service#UnknownOperationException"},
      {ErrorKind::internal_server_error, 500, "InternalServerError",
       "com.amazonaws.dynamodb.v20120810#InternalServerError"},
      {ErrorKind::service_unavailable, 503, "ServiceUnavailableException",
       "com.amazon.coral.availability#ServiceUnavailableException"},
  };
  for (const Expected& expected : table) {
    INFO(expected.qualified_type);
    CHECK(ddb::http_status(expected.kind) == expected.status);
    CHECK(ddb::short_type(expected.kind) == expected.short_type);
    CHECK(ddb::qualified_type(expected.kind) == expected.qualified_type);
  }
}

TEST_CASE("error_body is DynamoDB's JSON error document", "[error]") {
  CHECK(ddb::error_body({ErrorKind::access_denied, "Denied by rule pci-1"}) ==
        R"({"__type":"com.amazon.coral.service#AccessDeniedException","message":"Denied by rule pci-1"})");
  CHECK(ddb::error_body({ErrorKind::invalid_signature, "Signature expired: \"20240101T000000Z\""}) ==
        R"({"__type":"com.amazon.coral.service#InvalidSignatureException","message":"Signature expired: \"20240101T000000Z\""})");
  // DynamoDB sends no message for a body that is not JSON; neither do we.
  CHECK(ddb::error_body({ErrorKind::serialization, ""}) ==
        R"({"__type":"com.amazon.coral.service#SerializationException"})");
}

TEST_CASE("append_json_escaped escapes quotes, backslash and every control character", "[error][escape]") {
  CHECK(escaped("") == "");
  CHECK(escaped("plain text / with slash") == "plain text / with slash");
  CHECK(escaped(R"(say "hi")") == R"(say \"hi\")");
  CHECK(escaped(R"(C:\path)") == R"(C:\\path)");
  CHECK(escaped("\b\f\n\r\t") == R"(\b\f\n\r\t)");
  CHECK(escaped(std::string_view("\0", 1)) == R"(\u0000)");
  CHECK(escaped("\x01\x1f\x0b\x1b") == R"(\u0001\u001f\u000b\u001b)");
  CHECK(escaped("\x7f") == R"(\u007f)");
  CHECK(escaped("append") == "append");  // appends, never replaces
  std::string out = "abc";
  ddb::append_json_escaped(out, "\"");
  CHECK(out == "abc\\\"");

  // All 32 control characters, each round-tripped through a JSON parser.
  for (int c = 0; c < 0x20; ++c) {
    const std::string message = std::string("x") + static_cast<char>(c) + "y";
    INFO("control character " << c);
    const std::string body = ddb::error_body({ErrorKind::validation, message});
    CHECK(parsed_message(body) == message);
  }
}

TEST_CASE("append_json_escaped passes valid UTF-8 and replaces broken sequences", "[error][escape]") {
  CHECK(escaped("caf\xc3\xa9") == "caf\xc3\xa9");                // é, 2 bytes
  CHECK(escaped("\xe2\x82\xac 5") == "\xe2\x82\xac 5");          // €, 3 bytes
  CHECK(escaped("\xf0\x9f\x98\x80") == "\xf0\x9f\x98\x80");      // 😀, 4 bytes
  CHECK(escaped("\xf4\x8f\xbf\xbf") == "\xf4\x8f\xbf\xbf");      // U+10FFFF
  CHECK(escaped("a\x80z") == R"(a\ufffdz)");                     // lone continuation byte
  CHECK(escaped("\xc3") == R"(\ufffd)");                         // truncated at the end
  CHECK(escaped("\xc3(") == R"(\ufffd()");                       // bad continuation
  CHECK(escaped("\xc0\x80") == R"(\ufffd\ufffd)");               // overlong NUL
  CHECK(escaped("\xe0\x80\xaf") == R"(\ufffd\ufffd\ufffd)");     // overlong '/'
  CHECK(escaped("\xed\xa0\x80") == R"(\ufffd\ufffd\ufffd)");     // UTF-16 surrogate
  CHECK(escaped("\xf4\x90\x80\x80") == R"(\ufffd\ufffd\ufffd\ufffd)");  // above U+10FFFF
  CHECK(escaped("\xf5\x80") == R"(\ufffd\ufffd)");
  CHECK(escaped("\xff") == R"(\ufffd)");

  // Whatever the bytes, the body stays valid JSON.
  std::string every_byte;
  for (int c = 0; c < 256; ++c) every_byte += static_cast<char>(c);
  const std::string body = ddb::error_body({ErrorKind::validation, every_byte});
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  CHECK(parser.parse(body).get(root) == simdjson::SUCCESS);
  // Valid text round-trips unchanged.
  const std::string text = "Zürich \"q\" \\ \t € 😀";
  CHECK(parsed_message(ddb::error_body({ErrorKind::validation, text})) == text);
}
