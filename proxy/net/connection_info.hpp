// What the proxy knows about the client's connection: where it came from,
// which listener took it, and its TLS parameters (for the audit record).
#pragma once

#include <cstdint>
#include <string>

namespace dynaudit::proxy {

struct ConnectionInfo {
  std::string listener;
  std::string remote_address;
  std::uint16_t remote_port = 0;
  bool tls = false;
  std::string tls_version;       // "TLSv1.3"
  std::string tls_cipher;        // "TLS_AES_256_GCM_SHA384"
  std::string tls_server_name;   // SNI the client sent, if any
};

}  // namespace dynaudit::proxy
