// DynamoDB-shaped error responses: the HTTP status, the `__type` and the
// message that a real DynamoDB endpoint would answer, so that SDKs raise the
// same exceptions (and retry, or not) as they would against AWS.
#pragma once

#include <string>
#include <string_view>

namespace dynaudit::ddb {

enum class ErrorKind {
  serialization,                 // 400 malformed JSON body
  validation,                    // 400 ValidationException
  missing_authentication_token,  // 400 (DynamoDB answers 400, not 403)
  incomplete_signature,          // 400
  invalid_signature,             // 400, also "Signature expired"
  unrecognized_client,           // 400 unknown access key
  access_denied,                 // 400, not retried by SDKs
  request_too_large,             // 413
  unknown_operation,             // 400 UnknownOperationException
  internal_server_error,         // 500, retried by SDKs
  service_unavailable,           // 503, retried by SDKs
  expired_iterator,              // 400 Streams ExpiredIteratorException: get a new shard iterator
};

struct DdbError {
  ErrorKind kind;
  std::string message;
};

unsigned http_status(ErrorKind kind);
// The short name, e.g. "InvalidSignatureException".
std::string_view short_type(ErrorKind kind);
// The fully qualified `__type` DynamoDB sends, e.g.
// "com.amazon.coral.service#InvalidSignatureException".
std::string_view qualified_type(ErrorKind kind);
// {"__type":"…","message":"…"} with the message JSON-escaped.
std::string error_body(const DdbError& error);

// Appends `text` to `out` as the contents of a JSON string (no quotes).
void append_json_escaped(std::string& out, std::string_view text);

}  // namespace dynaudit::ddb
