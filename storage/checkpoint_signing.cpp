// Ed25519 signatures over checkpoint bytes, and PEM key loading.
#include "storage/checkpoint_signing.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>

#include <fstream>
#include <sstream>

#include "storage/hash_chain.hpp"

namespace dynaudit::storage {
namespace {

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
};

std::string openssl_error() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

PkeyPtr require_ed25519(PkeyPtr key, std::string& error) {
  if (key && EVP_PKEY_get_id(key.get()) != EVP_PKEY_ED25519) {
    error = "not an Ed25519 key";
    return nullptr;
  }
  return key;
}

bool read_file(const std::string& path, std::string& out, std::string& error) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    error = "cannot read " + path;
    return false;
  }
  std::ostringstream text;
  text << file.rdbuf();
  out = text.str();
  return true;
}

}  // namespace

PkeyPtr load_private_key_pem(std::string_view pem, std::string& error) {
  const std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PkeyPtr key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!key) {
    error = "not a PEM private key: " + openssl_error();
    return nullptr;
  }
  return require_ed25519(std::move(key), error);
}

PkeyPtr load_public_key_pem(std::string_view pem, std::string& error) {
  const std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PkeyPtr key(bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!key) {
    error = "not a PEM public key: " + openssl_error();
    return nullptr;
  }
  return require_ed25519(std::move(key), error);
}

PkeyPtr load_private_key_file(const std::string& path, std::string& error) {
  std::string pem;
  if (!read_file(path, pem, error)) return nullptr;
  auto key = load_private_key_pem(pem, error);
  if (!key) error = path + ": " + error;
  return key;
}

PkeyPtr load_public_key_file(const std::string& path, std::string& error) {
  std::string pem;
  if (!read_file(path, pem, error)) return nullptr;
  auto key = load_public_key_pem(pem, error);
  if (!key) error = path + ": " + error;
  return key;
}

std::optional<std::string> sign_ed25519(EVP_PKEY* private_key, std::string_view data) {
  const std::unique_ptr<EVP_MD_CTX, MdCtxFree> context(EVP_MD_CTX_new());
  unsigned char signature[64];
  std::size_t length = sizeof signature;
  if (!context ||
      EVP_DigestSignInit(context.get(), nullptr, nullptr, nullptr, private_key) != 1 ||
      EVP_DigestSign(context.get(), signature, &length,
                     reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1) {
    ERR_clear_error();
    return std::nullopt;
  }
  return to_hex(std::string_view(reinterpret_cast<const char*>(signature), length));
}

bool verify_ed25519(EVP_PKEY* public_key, std::string_view data, std::string_view signature_hex) {
  const auto signature = from_hex(signature_hex);
  if (!signature) return false;
  const std::unique_ptr<EVP_MD_CTX, MdCtxFree> context(EVP_MD_CTX_new());
  const bool ok =
      context && EVP_DigestVerifyInit(context.get(), nullptr, nullptr, nullptr, public_key) == 1 &&
      EVP_DigestVerify(context.get(), reinterpret_cast<const unsigned char*>(signature->data()),
                       signature->size(), reinterpret_cast<const unsigned char*>(data.data()),
                       data.size()) == 1;
  ERR_clear_error();
  return ok;
}

std::string checkpoint_key_id(EVP_PKEY* key) {
  unsigned char raw[32];
  std::size_t length = sizeof raw;
  if (!key || EVP_PKEY_get_raw_public_key(key, raw, &length) != 1) {
    ERR_clear_error();
    return {};
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_length = 0;
  if (EVP_Digest(raw, length, digest, &digest_length, EVP_sha256(), nullptr) != 1) {
    ERR_clear_error();
    return {};
  }
  return to_hex(std::string_view(reinterpret_cast<const char*>(digest), 8));
}

}  // namespace dynaudit::storage
