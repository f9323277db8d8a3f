// A small blocking DynamoDB JSON-protocol client for the fleet: the central
// table is written and read with it (BatchWriteItem, PutItem, Query, ...).
// Requests are SigV4-signed with the same signer and credential sources as
// the proxy's upstream side; the transport is alerts' HTTP/1.1 client
// (http:// or https:// with verification). Errors are values: the reply
// says whether to retry (network, 5xx, throttling) or not.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "alerts/http_post.hpp"
#include "aws/aws_credentials.hpp"
#include "aws/sigv4.hpp"

namespace dynaudit::fleet {

struct DynamoDbEndpoint {
  std::string url;      // http(s)://host[:port]
  std::string region;
  std::string ca_file;  // extra trust anchors for https
  std::chrono::milliseconds timeout{10'000};
};

// The credentials to sign with now (null: none available).
using CredentialSupplier = std::function<std::shared_ptr<const aws::AwsCredentials>()>;

struct DynamoDbReply {
  bool ok = false;
  int status = 0;           // 0: no answer arrived
  std::string body;         // the JSON answer (also of an error)
  std::string error_type;   // short __type ("ThrottlingException"), or "NetworkError"
  std::string message;      // never contains a secret
  bool retryable = false;   // network, 5xx, throttling: the same call may succeed later
  bool throttled = false;   // ThrottlingException / ProvisionedThroughputExceededException
};

class DynamoDbClient {
 public:
  // nullptr with `error` when the URL is not http(s)://host[:port].
  static std::unique_ptr<DynamoDbClient> create(DynamoDbEndpoint endpoint, CredentialSupplier credentials,
                                                std::string& error);

  // One call: `operation` is "BatchWriteItem", ..., `body` its JSON input.
  DynamoDbReply call(std::string_view operation, std::string_view body);

  const DynamoDbEndpoint& endpoint() const { return endpoint_; }

 private:
  DynamoDbClient(DynamoDbEndpoint endpoint, alerts::Url url, CredentialSupplier credentials);
  DynamoDbEndpoint endpoint_;
  alerts::Url url_;
  CredentialSupplier credentials_;
  alerts::HttpClient http_;
  aws::sigv4::SigningKeyCache keys_{16};
};

// The short error type of a DynamoDB error body: "ThrottlingException" from
// {"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException",...};
// "" when the body has none.
std::string error_type_of(std::string_view body);

}  // namespace dynaudit::fleet
