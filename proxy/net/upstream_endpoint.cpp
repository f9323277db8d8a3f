// Parses http(s)://host[:port][/] into the pieces the pool and signer need.
#include "proxy/net/upstream_endpoint.hpp"

namespace dynaudit::proxy {

std::optional<UpstreamEndpoint> parse_upstream_endpoint(const std::string& url) {
  UpstreamEndpoint out;
  std::string rest;
  if (url.rfind("https://", 0) == 0) {
    out.tls = true;
    rest = url.substr(8);
  } else if (url.rfind("http://", 0) == 0) {
    out.tls = false;
    rest = url.substr(7);
  } else {
    return std::nullopt;
  }
  if (auto slash = rest.find('/'); slash != std::string::npos) rest.resize(slash);
  if (rest.empty()) return std::nullopt;
  std::string host = rest;
  std::string port;
  if (rest.front() == '[') {  // IPv6 literal
    auto close = rest.find(']');
    if (close == std::string::npos) return std::nullopt;
    host = rest.substr(1, close - 1);
    if (close + 1 < rest.size()) {
      if (rest[close + 1] != ':') return std::nullopt;
      port = rest.substr(close + 2);
    }
  } else if (auto colon = rest.rfind(':'); colon != std::string::npos) {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  if (host.empty()) return std::nullopt;
  const std::string default_port = out.tls ? "443" : "80";
  if (!port.empty()) {
    for (char c : port)
      if (c < '0' || c > '9') return std::nullopt;
    if (port.size() > 5 || std::stoul(port) > 65535 || std::stoul(port) == 0) return std::nullopt;
  }
  out.host = host;
  out.port = port.empty() ? default_port : port;
  // Host as a client would send it: the default port is left out (botocore
  // and the AWS endpoints agree on that form).
  out.host_header = rest.front() == '[' ? "[" + host + "]" : host;
  if (out.port != default_port) out.host_header += ":" + out.port;
  return out;
}

}  // namespace dynaudit::proxy
