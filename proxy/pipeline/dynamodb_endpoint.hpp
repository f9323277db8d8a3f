// How DynamoDB's endpoint answers what never reaches an operation: the
// health answer to a GET, the CORS preflight answer to an OPTIONS (neither
// authenticated), and the Content-Type and CORS header of its own errors
// (the request's JSON media type mirrored). Pure functions over Beast
// messages; the answers follow dynalite, whose tests were recorded against
// DynamoDB (docs/architecture.md, "The endpoint outside operations").
#pragma once

#include <optional>
#include <string_view>

#include "proxy/net/asio.hpp"

namespace dynaudit::proxy {

// GET (any path): 200 "healthy: dynamodb.<region>.amazonaws.com " as
// DynamoDB answers load balancers. OPTIONS with an Origin: 200 and the CORS
// grant (Allow-Origin *, the requested headers and method echoed, Max-Age
// 172800, no body). OPTIONS without an Origin: 404 <UnknownOperationException/>.
// Anything else: nothing, the request goes through the pipeline.
std::optional<HttpResponse> answer_without_authentication(const HttpRequest& request, std::string_view region);

// The Content-Type DynamoDB gives its answer to a request of this
// Content-Type: application/x-amz-json-1.0 for that type (any parameters
// after ';', any case), application/json for anything else.
std::string_view reply_content_type(std::string_view request_content_type);

// Makes one of the proxy's own answers carry what DynamoDB's would for this
// request: the mirrored Content-Type and, when the request has an Origin,
// Access-Control-Allow-Origin: *. Never used on an upstream's answer.
void dress_own_reply(HttpResponse& response, const http::fields& request);

}  // namespace dynaudit::proxy
