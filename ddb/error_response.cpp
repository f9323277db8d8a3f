// DynamoDB-shaped error responses: status codes and `__type` strings as a real
// DynamoDB endpoint sends them, and the JSON string escaping the bodies need.
#include "ddb/error_response.hpp"

#include "ddb/utf8.hpp"

#include <cstddef>

namespace dynaudit::ddb {
namespace {

struct ErrorShape {
  unsigned status;
  std::string_view qualified_type;  // short type = the part after '#'
};

// The namespaces differ by error on purpose: SDKs only look at the part after
// '#', but clients that log `__type` (and diff tests against real DynamoDB)
// see the full string, so it must be what DynamoDB sends.
constexpr ErrorShape shape_of(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::serialization:
      return {400, "com.amazon.coral.service#SerializationException"};
    case ErrorKind::validation:
      return {400, "com.amazon.coral.validate#ValidationException"};
    case ErrorKind::missing_authentication_token:
      return {400, "com.amazon.coral.service#MissingAuthenticationTokenException"};
    case ErrorKind::incomplete_signature:
      return {400, "com.amazon.coral.service#IncompleteSignatureException"};
    case ErrorKind::invalid_signature:
      return {400, "com.amazon.coral.service#InvalidSignatureException"};
    case ErrorKind::unrecognized_client:
      return {400, "com.amazon.coral.service#UnrecognizedClientException"};
    case ErrorKind::access_denied:
      return {400, "com.amazon.coral.service#AccessDeniedException"};
    case ErrorKind::request_too_large:
      // DynamoDB documents no error shape for an oversized request (its front
      // end answers 413 before the service sees the call). 413 keeps SDKs from
      // retrying; the name follows coral's "<Name>Exception" convention so SDKs
      // surface a readable error code.
      return {413, "com.amazon.coral.service#RequestEntityTooLargeException"};
    case ErrorKind::unknown_operation:
      return {400, "com.amazon.coral.service#UnknownOperationException"};
    case ErrorKind::internal_server_error:
      return {500, "com.amazonaws.dynamodb.v20120810#InternalServerError"};
    case ErrorKind::service_unavailable:
      return {503, "com.amazon.coral.availability#ServiceUnavailableException"};
    case ErrorKind::expired_iterator:
      return {400, "com.amazonaws.dynamodb.v20120810#ExpiredIteratorException"};
  }
  return {500, "com.amazonaws.dynamodb.v20120810#InternalServerError"};
}

constexpr char kHexDigits[] = "0123456789abcdef";


}  // namespace

unsigned http_status(ErrorKind kind) { return shape_of(kind).status; }

std::string_view qualified_type(ErrorKind kind) { return shape_of(kind).qualified_type; }

std::string_view short_type(ErrorKind kind) {
  const std::string_view qualified = qualified_type(kind);
  return qualified.substr(qualified.find('#') + 1);
}

std::string error_body(const DdbError& error) {
  // DynamoDB omits "message" when it has none (e.g. a body that is not JSON
  // gets exactly {"__type":"com.amazon.coral.service#SerializationException"}),
  // so an empty message is left out rather than sent as "".
  std::string body;
  body.reserve(64 + error.message.size());
  body += R"({"__type":")";
  body += qualified_type(error.kind);
  body += '"';
  if (!error.message.empty()) {
    body += R"(,"message":")";
    append_json_escaped(body, error.message);
    body += '"';
  }
  body += '}';
  return body;
}

void append_json_escaped(std::string& out, std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const char ch = text[i];
    const auto byte = static_cast<unsigned char>(ch);
    if (byte >= 0x80) {
      // Valid UTF-8 passes through unchanged. Messages may quote what a client
      // sent (an access key, a header), so a broken sequence is replaced by
      // U+FFFD rather than copied: the body must stay valid JSON.
      const std::size_t length = valid_utf8_sequence_length(text.substr(i));
      if (length == 0) {
        out += "\\ufffd";
        ++i;
      } else {
        out.append(text.substr(i, length));
        i += length;
      }
      continue;
    }
    switch (ch) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (byte < 0x20 || byte == 0x7f) {
          out += "\\u00";
          out += kHexDigits[byte >> 4];
          out += kHexDigits[byte & 0x0f];
        } else {
          out += ch;
        }
    }
    ++i;
  }
}

}  // namespace dynaudit::ddb
