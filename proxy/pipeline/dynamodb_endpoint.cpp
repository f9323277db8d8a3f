// See dynamodb_endpoint.hpp.
#include "proxy/pipeline/dynamodb_endpoint.hpp"

#include <string>

#include "ddb/crc32.hpp"
#include "proxy/pipeline/stages.hpp"

namespace dynaudit::proxy {
namespace {

beast::string_view value_of(const http::fields& fields, std::string_view name) {
  return fields[beast::string_view(name.data(), name.size())];
}

bool has_field(const http::fields& fields, std::string_view name) {
  return fields.find(beast::string_view(name.data(), name.size())) != fields.end();
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// What every DynamoDB answer carries, whatever its body.
HttpResponse endpoint_answer(http::status status, unsigned version, bool keep_alive, std::string body) {
  HttpResponse response{status, version};
  response.set("x-amzn-RequestId", new_request_id());
  response.body() = std::move(body);
  response.set("x-amz-crc32", std::to_string(ddb::crc32(response.body())));
  response.set(http::field::date, http_date_now());
  response.keep_alive(keep_alive);
  response.prepare_payload();
  return response;
}

}  // namespace

std::optional<HttpResponse> answer_without_authentication(const HttpRequest& request, std::string_view region) {
  const bool has_origin = has_field(request, "Origin");
  if (request.method() == http::verb::get) {
    // The trailing space is DynamoDB's.
    auto response = endpoint_answer(http::status::ok, request.version(), request.keep_alive(),
                                    "healthy: dynamodb." + std::string(region) + ".amazonaws.com ");
    if (has_origin) response.set(http::field::access_control_allow_origin, "*");
    return response;
  }
  if (request.method() != http::verb::options) return std::nullopt;
  if (!has_origin) {
    return endpoint_answer(http::status::not_found, request.version(), request.keep_alive(),
                           "<UnknownOperationException/>\n");
  }
  // A browser cannot sign its preflight; DynamoDB grants every origin and
  // leaves the real call to its signature.
  HttpResponse response{http::status::ok, request.version()};
  response.set("x-amzn-RequestId", new_request_id());
  response.set(http::field::access_control_allow_origin, "*");
  if (has_field(request, "Access-Control-Request-Headers"))
    response.set(http::field::access_control_allow_headers, value_of(request, "Access-Control-Request-Headers"));
  if (has_field(request, "Access-Control-Request-Method"))
    response.set(http::field::access_control_allow_methods, value_of(request, "Access-Control-Request-Method"));
  response.set(http::field::access_control_max_age, "172800");
  response.set(http::field::date, http_date_now());
  response.keep_alive(request.keep_alive());
  response.prepare_payload();  // Content-Length: 0
  return response;
}

std::string_view reply_content_type(std::string_view request_content_type) {
  constexpr std::string_view kAmzJson = "application/x-amz-json-1.0";
  const std::string_view media_type = trim(request_content_type.substr(0, request_content_type.find(';')));
  const bool amz_json = beast::iequals(beast::string_view(media_type.data(), media_type.size()),
                                       beast::string_view(kAmzJson.data(), kAmzJson.size()));
  return amz_json ? kAmzJson : "application/json";
}

void dress_own_reply(HttpResponse& response, const http::fields& request) {
  const auto sent = value_of(request, "Content-Type");
  const std::string_view reply = reply_content_type(std::string_view(sent.data(), sent.size()));
  response.set(http::field::content_type, beast::string_view(reply.data(), reply.size()));
  if (has_field(request, "Origin")) response.set(http::field::access_control_allow_origin, "*");
}

}  // namespace dynaudit::proxy
