// The request-path stages that need no sockets: identify the caller, turn a
// client request into the signed upstream request, turn the upstream answer
// (or a failure) into the client's response. Each is a plain function of its
// inputs so it can be unit-tested without a network.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ddb/error_response.hpp"
#include "aws/aws_credentials.hpp"
#include "proxy/auth/aws_imports.hpp"
#include "aws/http_view.hpp"
#include "proxy/auth/principal.hpp"
#include "aws/sigv4.hpp"
#include "proxy/auth/sigv4_verifier.hpp"
#include "proxy/net/asio.hpp"
#include "proxy/net/upstream_endpoint.hpp"

namespace dynaudit::proxy {

// Fills `out` with views of `request`'s headers and returns a view of the
// whole request. Valid while `request` and `out` are unchanged.
RequestView view_of(const HttpRequest& request, std::vector<HeaderView>& out);

struct IdentifyOutcome {
  Principal principal;
  std::optional<ddb::DdbError> error;
};

// verify mode checks the signature; trust mode takes the claimed key after
// the checks DynamoDB makes without the secret (SigV4Verifier::check_unverified).
IdentifyOutcome identify(const RequestView& request, AuthMode mode, const SigV4Verifier& verifier,
                         std::chrono::system_clock::time_point now);

// Rewrites the client's request, in place, into the request for the upstream:
// drops the client's signature (header and query-string credentials) and
// hop-by-hop headers, sets Host, signs with the upstream credentials. Every
// other header is kept as sent.
void prepare_upstream_request(HttpRequest& request, const UpstreamEndpoint& endpoint,
                              const AwsCredentials& credentials, std::string_view region,
                              std::chrono::system_clock::time_point now, sigv4::SigningKeyCache& keys);

// The client's response from the upstream's: status, headers and body pass
// through; only connection management is the proxy's own.
HttpResponse client_response_from_upstream(HttpResponse&& upstream, unsigned version, bool keep_alive);

// A DynamoDB-shaped error answered by the proxy itself.
HttpResponse error_response(const ddb::DdbError& error, unsigned version, bool keep_alive);

// Puts a rewritten (masked) body in the response with the Content-Length and
// x-amz-crc32 of the new bytes: clients that check the checksum (boto3 in
// legacy retry mode) would otherwise reject the answer.
void replace_response_body(HttpResponse& response, std::string body);

// Puts a rewritten request body in place before signing (Content-Length;
// the caller's x-amz-content-sha256, which no longer matches, is dropped).
void replace_request_body(HttpRequest& request, std::string body);

// The `__type` short name of an error response body ("ValidationException"),
// empty for a success or an unreadable body. Cheap: a substring scan.
std::string error_type_of(const HttpResponse& response);

// The current time as an HTTP Date header value (IMF-fixdate).
std::string http_date_now();

// A request id in DynamoDB's form (52 upper-case letters and digits).
std::string new_request_id();

}  // namespace dynaudit::proxy
