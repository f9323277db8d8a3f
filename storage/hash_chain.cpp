// SHA-256 links of the audit hash chain (the definition is in hash_chain.hpp).
#include "storage/hash_chain.hpp"

#include <openssl/evp.h>

#include <memory>

namespace dynaudit::storage {
namespace {

// Fetched once: OpenSSL 3 looks an algorithm up on every implicit fetch,
// which would cost more than hashing a short record.
const EVP_MD* sha256_algorithm() {
  static EVP_MD* const algorithm = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return algorithm;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string to_hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(bytes.size() * 2);
  for (const char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    hex += kDigits[byte >> 4];
    hex += kDigits[byte & 0x0F];
  }
  return hex;
}

std::optional<std::string> from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string bytes;
  bytes.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int high = hex_digit(hex[i]);
    const int low = hex_digit(hex[i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    bytes += static_cast<char>(high * 16 + low);
  }
  return bytes;
}

namespace {

// 64 hex digits into 32 bytes; false on anything else.
bool raw_hash(std::string_view hex, unsigned char (&out)[32]) {
  if (hex.size() != 64) return false;
  for (std::size_t i = 0; i < 32; ++i) {
    const int high = hex_digit(hex[2 * i]);
    const int low = hex_digit(hex[2 * i + 1]);
    if (high < 0 || low < 0) return false;
    out[i] = static_cast<unsigned char>(high * 16 + low);
  }
  return true;
}

}  // namespace

struct ChainHasher::Context {
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  ~Context() { EVP_MD_CTX_free(md); }
};

ChainHasher::ChainHasher() : context_(std::make_unique<Context>()) {}
ChainHasher::~ChainHasher() = default;

bool ChainHasher::link(std::string_view previous_hash_hex, std::string_view head, std::string_view tail,
                       std::string& hex) {
  unsigned char previous[32];
  const bool has_previous = !previous_hash_hex.empty();
  if (has_previous && !raw_hash(previous_hash_hex, previous)) return false;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_MD_CTX* md = context_->md;
  if (md == nullptr || sha256_algorithm() == nullptr || EVP_DigestInit_ex(md, sha256_algorithm(), nullptr) != 1 ||
      (has_previous && EVP_DigestUpdate(md, previous, sizeof previous) != 1) ||
      EVP_DigestUpdate(md, head.data(), head.size()) != 1 || EVP_DigestUpdate(md, tail.data(), tail.size()) != 1 ||
      EVP_DigestFinal_ex(md, digest, &length) != 1) {
    return false;
  }
  static constexpr char kDigits[] = "0123456789abcdef";
  hex.resize(2 * length);
  for (unsigned int i = 0; i < length; ++i) {
    hex[2 * i] = kDigits[digest[i] >> 4];
    hex[2 * i + 1] = kDigits[digest[i] & 0x0F];
  }
  return true;
}

std::optional<std::string> chain_hash(std::string_view previous_hash_hex, std::string_view canonical) {
  // One hasher per thread: the store's writer links every record through here.
  thread_local ChainHasher hasher;
  std::string hex;
  if (!hasher.link(previous_hash_hex, canonical, {}, hex)) return std::nullopt;
  return hex;
}

}  // namespace dynaudit::storage
