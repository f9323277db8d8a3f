// Signed DynamoDB calls over alerts::HttpClient (see dynamodb_client.hpp).
#include "fleet/dynamodb_client.hpp"

#include <simdjson.h>

#include <vector>

namespace dynaudit::fleet {

std::string error_type_of(std::string_view body) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(body.data(), body.size()).get(doc)) return {};
  std::string_view type;
  if (doc["__type"].get_string().get(type)) return {};
  const auto hash = type.rfind('#');
  return std::string(hash == std::string_view::npos ? type : type.substr(hash + 1));
}

namespace {

std::string error_message_of(std::string_view body) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(body.data(), body.size()).get(doc)) return {};
  std::string_view message;
  if (doc["message"].get_string().get(message) && doc["Message"].get_string().get(message)) return {};
  return std::string(message.substr(0, 300));
}

bool is_throttling(std::string_view type) {
  return type == "ThrottlingException" || type == "ProvisionedThroughputExceededException" ||
         type == "RequestLimitExceeded" || type == "LimitExceededException";
}

}  // namespace

DynamoDbClient::DynamoDbClient(DynamoDbEndpoint endpoint, alerts::Url url, CredentialSupplier credentials)
    : endpoint_(std::move(endpoint)), url_(std::move(url)), credentials_(std::move(credentials)),
      // A Query page holds up to 1 MB of items; its JSON is larger.
      http_(endpoint_.ca_file, 16 * 1024 * 1024) {
  http_.keep_alive(true);  // one TCP (and TLS) handshake per connection, not per call
}

std::unique_ptr<DynamoDbClient> DynamoDbClient::create(DynamoDbEndpoint endpoint, CredentialSupplier credentials,
                                                       std::string& error) {
  auto url = alerts::parse_url(endpoint.url, &error);
  if (!url) return nullptr;
  if (url->target != "/") {
    error = "endpoint: must be scheme://host[:port] without a path";
    return nullptr;
  }
  if (endpoint.region.empty()) {
    error = "region: not set";
    return nullptr;
  }
  return std::unique_ptr<DynamoDbClient>(new DynamoDbClient(std::move(endpoint), std::move(*url), std::move(credentials)));
}

DynamoDbReply DynamoDbClient::call(std::string_view operation, std::string_view body) {
  DynamoDbReply reply;
  const auto credentials = credentials_ ? credentials_() : nullptr;
  if (!credentials) {
    reply.error_type = "MissingCredentials";
    reply.message = "no credentials to sign the call with";
    reply.retryable = true;  // temporary credentials may come back
    return reply;
  }
  const std::string host = url_.host_header();
  const std::string target = "DynamoDB_20120810." + std::string(operation);
  const std::string content_type = "application/x-amz-json-1.0";
  const std::vector<aws::HeaderView> headers{
      {"host", host}, {"x-amz-target", target}, {"content-type", content_type}};
  const aws::RequestView view{"POST", "/", headers, body};
  const auto signature = aws::sigv4::sign_request(view, *credentials, endpoint_.region, "dynamodb",
                                                    std::chrono::system_clock::now(), &keys_);
  alerts::HttpHeaders extra{{"Content-Type", content_type},
                            {"User-Agent", "dynaudit-fleet"},
                            {"X-Amz-Target", target},
                            {"X-Amz-Date", signature.amz_date},
                            {"Authorization", signature.authorization}};
  if (!signature.security_token.empty()) extra.emplace_back("X-Amz-Security-Token", signature.security_token);

  auto result = http_.post(url_, body, extra, endpoint_.timeout);
  reply.status = result.status;
  reply.body = std::move(result.body);
  if (result.ok) {
    reply.ok = true;
    return reply;
  }
  if (result.status == 0) {
    reply.error_type = "NetworkError";
    reply.message = result.error;
    reply.retryable = result.retryable;
    return reply;
  }
  reply.error_type = error_type_of(reply.body);
  reply.message = error_message_of(reply.body);
  if (reply.error_type.empty()) reply.error_type = "HTTP" + std::to_string(result.status);
  reply.throttled = is_throttling(reply.error_type);
  reply.retryable = reply.throttled || result.status >= 500 || result.status == 429;
  return reply;
}

}  // namespace dynaudit::fleet
