// Credentials of the EC2 instance profile through IMDSv2: a session token
// from PUT /latest/api/token, then the role name, then the role's
// credentials, each GET carrying the token.
#include "aws/credential_sources.hpp"

namespace dynaudit::aws {
namespace upstream {

std::string resolve_imds_endpoint(const std::string& configured) {
  std::string endpoint = configured.empty()
                             ? env("AWS_EC2_METADATA_SERVICE_ENDPOINT").value_or("http://169.254.169.254")
                             : configured;
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  return endpoint;
}

}  // namespace upstream

namespace {

constexpr std::string_view kCredentialsPath = "/latest/meta-data/iam/security-credentials/";

CredentialResult failure(std::string message) {
  CredentialResult result;
  result.source_name = "imds";
  result.error = "imds: " + std::move(message);
  return result;
}

std::string first_line(std::string_view body) {
  const auto start = body.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos) return {};
  body = body.substr(start);
  body = body.substr(0, body.find_first_of("\r\n"));
  while (!body.empty() && (body.back() == ' ' || body.back() == '\t')) body.remove_suffix(1);
  return std::string(body);
}

}  // namespace

CredentialResult load_from_imds(const HttpFetch& fetch, const std::string& configured_endpoint) {
  if (!fetch) return failure("no HTTP client available");
  const std::string endpoint = upstream::resolve_imds_endpoint(configured_endpoint);

  FetchRequest token_request;
  token_request.method = "PUT";
  token_request.url = endpoint + "/latest/api/token";
  token_request.headers["X-aws-ec2-metadata-token-ttl-seconds"] = "21600";
  const FetchResponse token = fetch(token_request);
  if (token.status == 0) return failure(token_request.url + ": " + token.error);

  std::map<std::string, std::string> auth_headers;
  if (token.status == 200) {
    if (token.body.empty() || token.body.find_first_of("\r\n") != std::string::npos)
      return failure("the IMDSv2 session token is empty or malformed");
    auth_headers["X-aws-ec2-metadata-token"] = token.body;
  } else if (token.status != 403 && token.status != 404 && token.status != 405) {
    return failure(token_request.url + " answered HTTP " + std::to_string(token.status));
  }
  // 403/404/405 to the token PUT: an IMDS without v2 (older emulators,
  // some on-premises metadata services). botocore then goes on with IMDSv1,
  // and so do we; a real EC2 with v2 enforced never answers this way.

  FetchRequest role_request;
  role_request.method = "GET";
  role_request.url = endpoint + std::string(kCredentialsPath);
  role_request.headers = auth_headers;
  const FetchResponse role = fetch(role_request);
  if (role.status == 0) return failure(role_request.url + ": " + role.error);
  if (role.status == 404) return failure("no IAM role is attached to this instance");
  if (role.status != 200) return failure(role_request.url + " answered HTTP " + std::to_string(role.status));
  const std::string role_name = first_line(role.body);
  if (role_name.empty() || role_name.find('/') != std::string::npos)
    return failure("the instance profile role name is empty or malformed");

  FetchRequest creds_request;
  creds_request.method = "GET";
  creds_request.url = role_request.url + role_name;
  creds_request.headers = auth_headers;
  const FetchResponse creds = fetch(creds_request);
  if (creds.status == 0) return failure(creds_request.url + ": " + creds.error);
  if (creds.status != 200)
    return failure(creds_request.url + " answered HTTP " + std::to_string(creds.status));
  return upstream::parse_credentials_json(creds.body, "imds");
}

}  // namespace dynaudit::aws
