// Where the proxy's upstream (AWS) credentials come from: static config, the
// AWS_* environment variables, the shared credentials file, the ECS container
// endpoint, EC2 IMDSv2. Temporary credentials are refreshed before they
// expire. `current()` is cheap and thread-safe; it never does I/O on the
// caller's thread once credentials exist (a refresh thread does it).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "aws/aws_credentials.hpp"

namespace dynaudit::aws {

// A blocking HTTP call used by the ECS and IMDS providers. Implemented in
// proxy/net with Beast; injected so that auth code stays free of it.
struct FetchRequest {
  std::string method;  // "GET", "PUT" or "POST"
  std::string url;     // http://host[:port]/path
  std::map<std::string, std::string> headers;
  std::string body;
  std::chrono::milliseconds timeout{2000};
};
struct FetchResponse {
  unsigned status = 0;  // 0 when the call failed
  std::string body;
  std::string error;    // transport error, when status == 0
};
using HttpFetch = std::function<FetchResponse(const FetchRequest&)>;

enum class CredentialSource { chain, static_keys, environment, profile, ecs, imds };

struct UpstreamCredentialSettings {
  CredentialSource source = CredentialSource::chain;
  AwsCredentials static_credentials;   // for static_keys
  std::string profile;                 // empty: AWS_PROFILE or "default"
  std::string shared_credentials_file; // empty: AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials
  std::string imds_endpoint;           // empty: AWS_EC2_METADATA_SERVICE_ENDPOINT or http://169.254.169.254
  std::chrono::seconds refresh_before_expiry{300};
  // After a failed refresh: first retry delay, doubled per failure up to
  // the maximum. The old credentials stay in use until they expire.
  std::chrono::milliseconds refresh_retry_initial{1000};
  std::chrono::milliseconds refresh_retry_max{60000};
};

struct CredentialResult {
  std::optional<AwsCredentials> credentials;
  std::string error;       // why none were found (never contains a secret)
  std::string source_name; // "static", "environment", "profile:NAME", "ecs", "imds"
};

// One attempt to read credentials from one source.
CredentialResult load_from_environment();
CredentialResult load_from_profile(const std::string& file, const std::string& profile);
CredentialResult load_from_ecs(const HttpFetch& fetch);   // AWS_CONTAINER_CREDENTIALS_{RELATIVE,FULL}_URI
CredentialResult load_from_imds(const HttpFetch& fetch, const std::string& endpoint);

// Refreshes of temporary credentials since start, for /metrics.
struct CredentialRefreshStats {
  std::uint64_t refreshed = 0;
  std::uint64_t failed = 0;
  // When the credentials in use expire (seconds since the epoch); 0: they do not.
  std::int64_t expires_at = 0;
};

class UpstreamCredentialProvider {
 public:
  virtual ~UpstreamCredentialProvider() = default;
  virtual CredentialRefreshStats refresh_stats() const { return {}; }
  // The credentials to sign with now; nullptr if none could be loaded.
  virtual std::shared_ptr<const AwsCredentials> current() const = 0;
  virtual std::string describe() const = 0;  // e.g. "imds", never a secret
};

// Builds the provider for `settings`: resolves the first time synchronously
// (so `serve` can fail fast), then refreshes temporary credentials in a
// background thread `refresh_before_expiry` ahead of their expiration.
std::unique_ptr<UpstreamCredentialProvider> make_upstream_credential_provider(
    const UpstreamCredentialSettings& settings, HttpFetch fetch, std::string& error);

}  // namespace dynaudit::aws
