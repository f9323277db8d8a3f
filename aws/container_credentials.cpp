// Credentials from the ECS / EKS Pod Identity container endpoint
// (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or _FULL_URI), with the optional
// authorization token the SDKs send.
#include <fstream>
#include <sstream>

#include "aws/credential_sources.hpp"
#include "aws/header_lookup.hpp"

namespace dynaudit::aws {
namespace upstream {
namespace {

constexpr std::string_view kEcsHost = "http://169.254.170.2";

// The host of "scheme://host[:port]/…", without brackets for IPv6.
std::string url_host(std::string_view url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return {};
  std::string_view rest = url.substr(scheme_end + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (const auto at = rest.rfind('@'); at != std::string_view::npos) rest = rest.substr(at + 1);
  if (!rest.empty() && rest.front() == '[') {
    const auto close = rest.find(']');
    return close == std::string_view::npos ? std::string{} : std::string(rest.substr(1, close - 1));
  }
  return std::string(rest.substr(0, rest.find(':')));
}

// Plain-HTTP full URIs may only point at the machine itself or at the
// container agents' link-local addresses, as the SDKs enforce: otherwise
// a poisoned variable would send the authorization token (and trust the
// credentials) of an arbitrary host over cleartext.
bool allowed_plain_http_host(const std::string& host) {
  if (host == "localhost" || host == "::1" || host == "169.254.170.2" || host == "169.254.170.23" ||
      http::iequals(host, "fd00:ec2::23"))
    return true;
  return host.rfind("127.", 0) == 0;
}

}  // namespace

bool container_endpoint_configured() {
  return env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") || env("AWS_CONTAINER_CREDENTIALS_FULL_URI");
}

std::optional<ContainerEndpoint> container_endpoint_from_environment(std::string& error) {
  ContainerEndpoint endpoint;
  if (auto relative = env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")) {
    endpoint.url = std::string(kEcsHost) + (relative->front() == '/' ? "" : "/") + *relative;
  } else if (auto full = env("AWS_CONTAINER_CREDENTIALS_FULL_URI")) {
    const bool is_https = full->rfind("https://", 0) == 0;
    const bool is_http = full->rfind("http://", 0) == 0;
    if (!is_https && !(is_http && allowed_plain_http_host(url_host(*full)))) {
      error = "ecs: AWS_CONTAINER_CREDENTIALS_FULL_URI must be https, or http to a loopback or "
              "container-agent address; got host '" + url_host(*full) + "'";
      return std::nullopt;
    }
    endpoint.url = *full;
  } else {
    error = "ecs: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and _FULL_URI are not set";
    return std::nullopt;
  }
  // The token file wins over the literal token, as in every SDK (EKS Pod
  // Identity rotates the file).
  endpoint.auth_token_file = env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE").value_or("");
  if (endpoint.auth_token_file.empty())
    endpoint.auth_token = env("AWS_CONTAINER_AUTHORIZATION_TOKEN").value_or("");
  return endpoint;
}

CredentialResult load_from_container(const HttpFetch& fetch, const ContainerEndpoint& endpoint) {
  CredentialResult result;
  result.source_name = "ecs";
  if (!fetch) {
    result.error = "ecs: no HTTP client available";
    return result;
  }
  FetchRequest request;
  request.method = "GET";
  request.url = endpoint.url;
  request.headers["Accept"] = "application/json";
  std::string token = endpoint.auth_token;
  if (!endpoint.auth_token_file.empty()) {
    std::ifstream in(endpoint.auth_token_file);
    if (!in) {
      result.error = "ecs: cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE " + endpoint.auth_token_file;
      return result;
    }
    std::ostringstream text;
    text << in.rdbuf();
    token = text.str();
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' '))
      token.pop_back();
  }
  if (token.find_first_of("\r\n") != std::string::npos) {
    // A header value with a line break would inject headers.
    result.error = "ecs: the container authorization token contains a line break";
    return result;
  }
  if (!token.empty()) request.headers["Authorization"] = token;

  const FetchResponse response = fetch(request);
  if (response.status == 0) {
    result.error = "ecs: " + endpoint.url + ": " + response.error;
    return result;
  }
  if (response.status != 200) {
    result.error = "ecs: " + endpoint.url + " answered HTTP " + std::to_string(response.status);
    return result;
  }
  return parse_credentials_json(response.body, "ecs");
}

}  // namespace upstream

CredentialResult load_from_ecs(const HttpFetch& fetch) {
  std::string error;
  const auto endpoint = upstream::container_endpoint_from_environment(error);
  if (!endpoint) {
    CredentialResult result;
    result.source_name = "ecs";
    result.error = error;
    return result;
  }
  return upstream::load_from_container(fetch, *endpoint);
}

}  // namespace dynaudit::aws
