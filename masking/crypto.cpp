// HMAC-SHA256 and AES-256-GCM tokens with OpenSSL's EVP API; see crypto.hpp.
#include "masking/crypto.hpp"

#include <memory>

#include <openssl/rand.h>

#include "masking/json_text.hpp"

namespace dynaudit::masking {

Hmac::Hmac(std::string_view key) {
  inner_ = EVP_MD_CTX_new();
  outer_ = EVP_MD_CTX_new();
  work_ = EVP_MD_CTX_new();
  if (!inner_ || !outer_ || !work_) return;
  const EVP_MD* md = EVP_sha256();
  unsigned char block[64] = {};
  if (key.size() > sizeof block) {
    unsigned int length = 0;
    if (EVP_Digest(key.data(), key.size(), block, &length, md, nullptr) != 1) return;
  } else {
    for (std::size_t i = 0; i < key.size(); ++i) block[i] = static_cast<unsigned char>(key[i]);
  }
  unsigned char ipad[64], opad[64];
  for (int i = 0; i < 64; ++i) {
    ipad[i] = block[i] ^ 0x36;
    opad[i] = block[i] ^ 0x5c;
  }
  ok_ = EVP_DigestInit_ex(inner_, md, nullptr) == 1 && EVP_DigestUpdate(inner_, ipad, sizeof ipad) == 1 &&
        EVP_DigestInit_ex(outer_, md, nullptr) == 1 && EVP_DigestUpdate(outer_, opad, sizeof opad) == 1;
}

Hmac::~Hmac() {
  EVP_MD_CTX_free(inner_);
  EVP_MD_CTX_free(outer_);
  EVP_MD_CTX_free(work_);
}

bool Hmac::digest(std::string_view message, std::array<unsigned char, 32>& out) const {
  if (!ok_) return false;
  unsigned char inner_hash[32];
  unsigned int length = 0;
  if (EVP_MD_CTX_copy_ex(work_, inner_) != 1 || EVP_DigestUpdate(work_, message.data(), message.size()) != 1 ||
      EVP_DigestFinal_ex(work_, inner_hash, &length) != 1)
    return false;
  if (EVP_MD_CTX_copy_ex(work_, outer_) != 1 || EVP_DigestUpdate(work_, inner_hash, sizeof inner_hash) != 1 ||
      EVP_DigestFinal_ex(work_, out.data(), &length) != 1)
    return false;
  return true;
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
