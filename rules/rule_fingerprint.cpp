// Rule set fingerprints (rule_fingerprint.hpp).
#include "rules/rule_fingerprint.hpp"

#include <openssl/evp.h>

#include <cstdint>

namespace dynaudit::rules {

struct RuleFingerprint::Digest {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~Digest() { EVP_MD_CTX_free(ctx); }
};

RuleFingerprint::RuleFingerprint() : digest_(std::make_unique<Digest>()) {
  EVP_DigestInit_ex(digest_->ctx, EVP_sha256(), nullptr);
}

RuleFingerprint::~RuleFingerprint() = default;

void RuleFingerprint::add(std::string_view source, std::string_view text) {
  // Name and length first: moving bytes from one file to the next, or
  // renaming a file, changes the fingerprint.
  const auto length = [this](std::uint64_t n) {
    unsigned char be[8];
    for (int i = 7; i >= 0; --i, n >>= 8) be[i] = static_cast<unsigned char>(n & 0xFF);
    EVP_DigestUpdate(digest_->ctx, be, sizeof be);
  };
  length(source.size());
  EVP_DigestUpdate(digest_->ctx, source.data(), source.size());
  length(text.size());
  EVP_DigestUpdate(digest_->ctx, text.data(), text.size());
}

std::string RuleFingerprint::finish() {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_DigestFinal_ex(digest_->ctx, out, &size);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text = "sha256:";
  for (unsigned int i = 0; i < size; ++i) {
    text += kHex[out[i] >> 4];
    text += kHex[out[i] & 0xF];
  }
  return text;
}

}  // namespace dynaudit::rules
