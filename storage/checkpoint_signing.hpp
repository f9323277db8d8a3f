// Signing and checking checkpoints with OpenSSL's Ed25519 (EVP_DigestSign
// with no digest: Ed25519 hashes internally). Keys are read from PEM files.
#pragma once

#include <openssl/evp.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace dynaudit::storage {

struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

// Both refuse keys that are not Ed25519.
PkeyPtr load_private_key_pem(std::string_view pem, std::string& error);
PkeyPtr load_public_key_pem(std::string_view pem, std::string& error);
PkeyPtr load_private_key_file(const std::string& path, std::string& error);
PkeyPtr load_public_key_file(const std::string& path, std::string& error);

// Hex signature; nullopt if OpenSSL fails.
std::optional<std::string> sign_ed25519(EVP_PKEY* private_key, std::string_view data);
bool verify_ed25519(EVP_PKEY* public_key, std::string_view data, std::string_view signature_hex);

// Names a key pair without revealing anything: the first 16 hex digits of
// SHA-256 of the raw 32-byte public key (the same from either key of the
// pair). "" if OpenSSL cannot give the raw key.
std::string checkpoint_key_id(EVP_PKEY* key);

}  // namespace dynaudit::storage
