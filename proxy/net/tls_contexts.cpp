// Builds the OpenSSL contexts; errors are reported as text, never thrown.
#include "proxy/net/tls_contexts.hpp"

#include <ctime>

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/ssl.h>

namespace dynaudit::proxy {
namespace {

std::string openssl_error(const error_code& ec) {
  std::string message = ec.message();
  if (auto code = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    message += " (";
    message += buf;
    message += ")";
  }
  return message;
}

}  // namespace

std::shared_ptr<asio::ssl::context> make_server_tls_context(const TlsFiles& files, std::string& error) {
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                   asio::ssl::context::no_sslv3 | asio::ssl::context::single_dh_use);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  error_code ec;
  ctx->use_certificate_chain_file(files.cert_file, ec);
  if (ec) {
    error = "tls.cert_file " + files.cert_file + ": " + openssl_error(ec);
    return nullptr;
  }
  ctx->use_private_key_file(files.key_file, asio::ssl::context::pem, ec);
  if (ec) {
    error = "tls.key_file " + files.key_file + ": " + openssl_error(ec);
    return nullptr;
  }
  if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
    error = "tls.key_file " + files.key_file + " does not match " + files.cert_file;
    return nullptr;
  }
  return ctx;
}

std::shared_ptr<asio::ssl::context> make_upstream_tls_context(const std::string& ca_file, std::string& error) {
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  error_code ec;
  ctx->set_default_verify_paths(ec);
  if (ec) {
    error = "system trust store: " + openssl_error(ec);
    return nullptr;
  }
  if (!ca_file.empty()) {
    ctx->load_verify_file(ca_file, ec);
    if (ec) {
      error = "upstream.ca_file " + ca_file + ": " + openssl_error(ec);
      return nullptr;
    }
  }
  ctx->set_verify_mode(asio::ssl::verify_peer);
  return ctx;
}

std::string tls_version_of(SSL* ssl) { return ssl ? SSL_get_version(ssl) : ""; }

std::string tls_cipher_of(SSL* ssl) {
  if (!ssl) return "";
  const char* name = SSL_get_cipher_name(ssl);
  return name ? name : "";
}

std::optional<std::int64_t> certificate_not_after(asio::ssl::context& context) {
  const X509* cert = SSL_CTX_get0_certificate(context.native_handle());
  if (!cert) return std::nullopt;
  const ASN1_TIME* not_after = X509_get0_notAfter(cert);
  std::tm when{};
  if (!not_after || ASN1_TIME_to_tm(not_after, &when) != 1) return std::nullopt;
  return static_cast<std::int64_t>(timegm(&when));
}

}  // namespace dynaudit::proxy
