// Credentials from the AWS_* environment variables, the first link of the
// default chain, exactly as every AWS SDK reads them.
#include <cstdlib>

#include "aws/credential_sources.hpp"
#include "aws/time_format.hpp"

namespace dynaudit::aws {

namespace upstream {

std::optional<std::string> env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

}  // namespace upstream

CredentialResult load_from_environment() {
  CredentialResult result;
  result.source_name = "environment";
  auto access_key = upstream::env("AWS_ACCESS_KEY_ID");
  auto secret = upstream::env("AWS_SECRET_ACCESS_KEY");
  if (!access_key && !secret) {
    result.error = "environment: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set";
    return result;
  }
  if (!access_key || !secret) {
    // Half a key pair is a configuration mistake, not an absent source:
    // silently moving on down the chain would sign as someone else.
    result.error = std::string("environment: ") +
                   (access_key ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID") +
                   " is not set although the other half of the key pair is";
    return result;
  }
  AwsCredentials creds;
  creds.access_key_id = std::move(*access_key);
  creds.secret_access_key = std::move(*secret);
  // AWS_SECURITY_TOKEN is the older name that botocore still honours.
  creds.session_token = upstream::env("AWS_SESSION_TOKEN")
                            .value_or(upstream::env("AWS_SECURITY_TOKEN").value_or(""));
  if (auto expiration = upstream::env("AWS_CREDENTIAL_EXPIRATION")) {
    creds.expiration = time_format::parse_iso8601(*expiration);
    if (!creds.expiration) {
      result.error = "environment: AWS_CREDENTIAL_EXPIRATION is not an ISO 8601 time";
      return result;
    }
  }
  result.credentials = std::move(creds);
  return result;
}

}  // namespace dynaudit::aws
