// HMAC-SHA256 (SHA-256 states kept per key) and AES-256-GCM tokens (OpenSSL's
// EVP API); see crypto.hpp.
#define OPENSSL_SUPPRESS_DEPRECATED  // SHA256_Init/Update/Final: see Hmac::Pads
#include "masking/crypto.hpp"

#include <memory>

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "masking/json_text.hpp"

namespace dynaudit::masking {

// SHA-256's own state, copied by value per digest: OpenSSL 3's EVP contexts
// go through the provider on every copy (an allocation and a free), which
// cost more than the two compressions a short value needs. The SHA256_*
// functions are deprecated in OpenSSL 3 but kept; OPENSSL_SUPPRESS_DEPRECATED
// (above) silences that for this file only.
struct Hmac::Pads {
  SHA256_CTX inner;
  SHA256_CTX outer;
};

Hmac::Hmac(std::string_view key) : pads_(std::make_unique<Pads>()) {
  unsigned char block[64] = {};
  if (key.size() > sizeof block) {
    SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(), block);
  } else {
    for (std::size_t i = 0; i < key.size(); ++i) block[i] = static_cast<unsigned char>(key[i]);
  }
  unsigned char ipad[64], opad[64];
  for (int i = 0; i < 64; ++i) {
    ipad[i] = block[i] ^ 0x36;
    opad[i] = block[i] ^ 0x5c;
  }
  ok_ = SHA256_Init(&pads_->inner) == 1 && SHA256_Update(&pads_->inner, ipad, sizeof ipad) == 1 &&
        SHA256_Init(&pads_->outer) == 1 && SHA256_Update(&pads_->outer, opad, sizeof opad) == 1;
  OPENSSL_cleanse(block, sizeof block);
  OPENSSL_cleanse(ipad, sizeof ipad);
  OPENSSL_cleanse(opad, sizeof opad);
}

Hmac::~Hmac() {
  if (pads_) OPENSSL_cleanse(pads_.get(), sizeof(Pads));
}

bool Hmac::digest(std::string_view message, std::array<unsigned char, 32>& out) const {
  if (!ok_) return false;
  unsigned char inner_hash[32];
  SHA256_CTX work = pads_->inner;
  if (SHA256_Update(&work, message.data(), message.size()) != 1 || SHA256_Final(inner_hash, &work) != 1) return false;
  work = pads_->outer;
  return SHA256_Update(&work, inner_hash, sizeof inner_hash) == 1 && SHA256_Final(out.data(), &work) == 1;
}

namespace {

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

constexpr std::size_t kNonce = 12;
constexpr std::size_t kTag = 16;

const unsigned char* bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

}  // namespace

bool seal_token(std::string_view token_key, std::string_view attribute_name, std::string_view plaintext,
                std::string& token) {
  if (token_key.size() != 32) return false;
  std::string sealed(kNonce + plaintext.size() + kTag, '\0');
  auto* out = reinterpret_cast<unsigned char*>(sealed.data());
  if (RAND_bytes(out, kNonce) != 1) return false;
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int length = 0;
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, bytes(token_key), out) != 1) return false;
  if (!attribute_name.empty() &&
      EVP_EncryptUpdate(ctx.get(), nullptr, &length, bytes(attribute_name), static_cast<int>(attribute_name.size())) != 1)
    return false;
  if (EVP_EncryptUpdate(ctx.get(), out + kNonce, &length, bytes(plaintext), static_cast<int>(plaintext.size())) != 1)
    return false;
  if (EVP_EncryptFinal_ex(ctx.get(), out + kNonce + length, &length) != 1) return false;
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTag, out + kNonce + plaintext.size()) != 1) return false;
  token.assign(kTokenPrefix);
  json::append_base64(token, sealed, /*url=*/true);
  return true;
}

bool unseal_token(std::string_view token_key, std::string_view attribute_name, std::string_view token,
                  std::string& plaintext) {
  if (token_key.size() != 32 || token.substr(0, kTokenPrefix.size()) != kTokenPrefix) return false;
  std::string sealed;
  if (!json::decode_base64(token.substr(kTokenPrefix.size()), sealed, /*url=*/true)) return false;
  if (sealed.size() < kNonce + kTag) return false;
  const std::size_t n = sealed.size() - kNonce - kTag;
  const auto* in = reinterpret_cast<const unsigned char*>(sealed.data());
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int length = 0;
  if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, bytes(token_key), in) != 1) return false;
  if (!attribute_name.empty() &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &length, bytes(attribute_name), static_cast<int>(attribute_name.size())) != 1)
    return false;
  plaintext.assign(n, '\0');
  auto* out = reinterpret_cast<unsigned char*>(plaintext.data());
  if (EVP_DecryptUpdate(ctx.get(), out, &length, in + kNonce, static_cast<int>(n)) != 1) return false;
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTag, const_cast<unsigned char*>(in + kNonce + n)) != 1)
    return false;
  int final_length = 0;
  if (EVP_DecryptFinal_ex(ctx.get(), out + length, &final_length) != 1) {
    plaintext.clear();
    return false;
  }
  return true;
}

}  // namespace dynaudit::masking
