// Internal pieces of the upstream credential providers, shared between the
// per-source files and the chain: environment access, the JSON document
// that ECS and IMDS return, and endpoint resolution.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "aws/upstream_credentials.hpp"

namespace dynaudit::aws::upstream {

// The variable's value, or nullopt when unset or empty (SDKs treat an
// empty variable as unset).
std::optional<std::string> env(const char* name);

// {AccessKeyId, SecretAccessKey, Token, Expiration[, Code]}: the body ECS
// and IMDS return. Errors never quote the body (it may hold a secret).
CredentialResult parse_credentials_json(std::string_view body, const std::string& source_name);

// Where the ECS/EKS container credentials endpoint is, from the
// AWS_CONTAINER_* variables, resolved once so that refreshes do not read
// the environment from another thread.
struct ContainerEndpoint {
  std::string url;
  std::string auth_token;       // AWS_CONTAINER_AUTHORIZATION_TOKEN
  std::string auth_token_file;  // AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE, read at every fetch
};
bool container_endpoint_configured();
std::optional<ContainerEndpoint> container_endpoint_from_environment(std::string& error);
CredentialResult load_from_container(const HttpFetch& fetch, const ContainerEndpoint& endpoint);

// settings.imds_endpoint, else AWS_EC2_METADATA_SERVICE_ENDPOINT, else the
// link-local default; without a trailing slash.
std::string resolve_imds_endpoint(const std::string& configured);

// settings' file/profile, else AWS_SHARED_CREDENTIALS_FILE / AWS_PROFILE,
// else ~/.aws/credentials and "default".
std::string resolve_credentials_file(const std::string& configured);
std::string resolve_profile(const std::string& configured);

}  // namespace dynaudit::aws::upstream
