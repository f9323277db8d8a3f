// The upstream DynamoDB endpoint, parsed once from the configured URL.
#pragma once

#include <optional>
#include <string>

namespace dynaudit::proxy {

struct UpstreamEndpoint {
  bool tls = true;
  std::string host;         // name or address, without brackets
  std::string port;         // "443"
  std::string host_header;  // what goes in Host: name, plus ":port" when not the default
};

std::optional<UpstreamEndpoint> parse_upstream_endpoint(const std::string& url);

}  // namespace dynaudit::proxy
