// TLS contexts: the server side for HTTPS listeners (TLS 1.2 minimum) and the
// client side for an https upstream (peer and host-name verification, system
// trust store plus an optional CA bundle).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "proxy/config/serve_config.hpp"
#include "proxy/net/asio.hpp"

namespace dynaudit::proxy {

// nullptr and `error` set when the files cannot be used.
std::shared_ptr<asio::ssl::context> make_server_tls_context(const TlsFiles& files, std::string& error);
std::shared_ptr<asio::ssl::context> make_upstream_tls_context(const std::string& ca_file, std::string& error);

// When the context's certificate stops being valid (notAfter), in seconds
// since the epoch; nullopt without a certificate.
std::optional<std::int64_t> certificate_not_after(asio::ssl::context& context);

// "TLSv1.3" and the cipher name of an established connection.
std::string tls_version_of(SSL* ssl);
std::string tls_cipher_of(SSL* ssl);

}  // namespace dynaudit::proxy
