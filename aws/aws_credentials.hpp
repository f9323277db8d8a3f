// An AWS credential triple. Secrets are held here only; nothing that prints
// or logs a request may print these fields.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace dynaudit::aws {

struct AwsCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty for long-term keys
  // Set for temporary credentials (ECS, IMDS, session profiles).
  std::optional<std::chrono::system_clock::time_point> expiration;
};

}  // namespace dynaudit::aws
