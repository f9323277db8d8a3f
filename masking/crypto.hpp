// The two keyed primitives masking needs: HMAC-SHA256 for `hash` (stable,
// joinable tokens) and AES-256-GCM for pagination tokens (masked key values
// that only the proxy can turn back into the original).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <openssl/evp.h>

namespace dynaudit::masking {

// HMAC-SHA256 with the key's inner and outer pads hashed once, so that each
// masked value costs two short digests (not a key schedule per value).
class Hmac {
 public:
  explicit Hmac(std::string_view key);
  ~Hmac();
  Hmac(const Hmac&) = delete;
  Hmac& operator=(const Hmac&) = delete;
  bool ok() const { return ok_; }
  bool digest(std::string_view message, std::array<unsigned char, 32>& out) const;

 private:
  struct Pads;  // the SHA-256 states after the inner and the outer pad
  std::unique_ptr<Pads> pads_;
  bool ok_ = false;
};

inline constexpr std::string_view kTokenPrefix = "dynaudit:v1:";

// "dynaudit:v1:" + base64url(nonce12 || ciphertext || tag16), AAD = name.
// False if the key is not 32 bytes or OpenSSL fails.
bool seal_token(std::string_view token_key, std::string_view attribute_name, std::string_view plaintext,
                std::string& token);
// The plaintext, or false for anything that does not authenticate.
bool unseal_token(std::string_view token_key, std::string_view attribute_name, std::string_view token,
                  std::string& plaintext);

}  // namespace dynaudit::masking
