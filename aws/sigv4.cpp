// The SigV4 signer used on the upstream side: builds the credential scope
// and string to sign, and signs a request that the proxy forwards with its
// own upstream credentials.
#include "aws/sigv4.hpp"

#include <algorithm>

#include "aws/header_lookup.hpp"

namespace dynaudit::aws::sigv4 {
namespace {

// What the proxy signs upstream. A deliberately small set: these are the
// headers DynamoDB needs to be bound to the signature; everything else the
// client sent (user agent, invocation ids) travels unsigned, so a header
// rewritten by an intermediary cannot break the signature.
constexpr std::string_view kSignableHeaders[] = {"content-type", "host", "x-amz-target"};

std::string_view view(const Digest& d) {
  return {reinterpret_cast<const char*>(d.data()), d.size()};
}

}  // namespace

std::string credential_scope(std::string_view date, std::string_view region,
                             std::string_view service) {
  std::string scope;
  scope.reserve(date.size() + region.size() + service.size() + 16);
  scope.append(date).push_back('/');
  scope.append(region).push_back('/');
  scope.append(service).append("/aws4_request");
  return scope;
}

std::string string_to_sign(std::string_view amz_date, std::string_view scope,
                           std::string_view canonical) {
  std::string sts;
  sts.reserve(kAlgorithm.size() + amz_date.size() + scope.size() + 68);
  sts.append(kAlgorithm).push_back('\n');
  sts.append(amz_date).push_back('\n');
  sts.append(scope).push_back('\n');
  sts.append(hex(sha256(canonical)));
  return sts;
}

SignatureHeaders sign_request(const RequestView& request, const AwsCredentials& credentials,
                              std::string_view region, std::string_view service,
                              std::chrono::system_clock::time_point now, SigningKeyCache* cache) {
  SignatureHeaders result;
  result.amz_date = format_amz_date(now);
  result.security_token = credentials.session_token;
  const std::string date = result.amz_date.substr(0, 8);

  // The request as it will be sent: its own headers minus any stale
  // signature, date or token (they are replaced), plus the new ones.
  std::vector<HeaderView> headers;
  headers.reserve(request.headers.size() + 2);
  for (const HeaderView& h : request.headers) {
    if (http::iequals(h.name, "authorization") || http::iequals(h.name, "x-amz-date") ||
        http::iequals(h.name, "x-amz-security-token"))
      continue;
    headers.push_back(h);
  }
  headers.push_back({"x-amz-date", result.amz_date});
  if (!result.security_token.empty()) headers.push_back({"x-amz-security-token", result.security_token});

  std::vector<std::string> signed_headers{"x-amz-date"};
  if (!result.security_token.empty()) signed_headers.emplace_back("x-amz-security-token");
  for (std::string_view name : kSignableHeaders) {
    const bool present = std::any_of(headers.begin(), headers.end(),
                                     [&](const HeaderView& h) { return http::iequals(h.name, name); });
    if (present) signed_headers.emplace_back(name);
  }
  std::sort(signed_headers.begin(), signed_headers.end());

  RequestView to_sign = request;
  to_sign.headers = headers;
  const std::string canonical = canonical_request(to_sign, signed_headers, hex(sha256(request.body)));
  const std::string scope = credential_scope(date, region, service);
  const Digest key = cache ? cache->get(credentials.secret_access_key, date, region, service)
                           : derive_signing_key(credentials.secret_access_key, date, region, service);
  const std::string signature = hex(hmac_sha256(view(key), string_to_sign(result.amz_date, scope, canonical)));

  result.authorization.reserve(200);
  result.authorization.append(kAlgorithm)
      .append(" Credential=")
      .append(credentials.access_key_id)
      .push_back('/');
  result.authorization.append(scope).append(", SignedHeaders=");
  for (std::size_t i = 0; i < signed_headers.size(); ++i) {
    if (i > 0) result.authorization.push_back(';');
    result.authorization.append(signed_headers[i]);
  }
  result.authorization.append(", Signature=").append(signature);
  return result;
}

}  // namespace dynaudit::aws::sigv4
