// The cryptographic primitives of SigV4 (SHA-256, HMAC-SHA256, hex,
// constant-time comparison), the signing-key derivation and its cache.
// Uses only OpenSSL 3 APIs that are not deprecated.
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <memory>

#include "aws/sigv4.hpp"

namespace dynaudit::aws::sigv4 {
namespace {

// Fetching the HMAC implementation walks the provider store; do it once.
EVP_MAC* hmac_algorithm() {
  static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  return mac;
}

// Likewise SHA-256: EVP_sha256() makes OpenSSL 3 fetch it (taking a lock)
// on every EVP_Digest call.
const EVP_MD* sha256_algorithm() {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

struct MacCtxDeleter {
  void operator()(EVP_MAC_CTX* ctx) const { EVP_MAC_CTX_free(ctx); }
};

// One context per thread, re-initialised with each key: avoids an
// allocation per HMAC on the request path without sharing state between
// threads.
// The digest is set once, when the context is made: passing it again on
// each EVP_MAC_init makes the HMAC provider look SHA-256 up (and lock) per
// call; a re-init with only a new key keeps it.
EVP_MAC_CTX* new_sha256_mac_context() {
  if (!hmac_algorithm()) return nullptr;
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(hmac_algorithm());
  if (ctx == nullptr) return nullptr;
  char digest_name[] = "SHA256";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
                               OSSL_PARAM_construct_end()};
  if (EVP_MAC_CTX_set_params(ctx, params) != 1) {
    EVP_MAC_CTX_free(ctx);
    return nullptr;
  }
  return ctx;
}

EVP_MAC_CTX* thread_mac_context() {
  thread_local std::unique_ptr<EVP_MAC_CTX, MacCtxDeleter> ctx{new_sha256_mac_context()};
  return ctx.get();
}

}  // namespace

std::string hex(const Digest& digest) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(digest.size() * 2, '\0');
  for (std::size_t i = 0; i < digest.size(); ++i) {
    out[2 * i] = kHex[digest[i] >> 4];
    out[2 * i + 1] = kHex[digest[i] & 0x0f];
  }
  return out;
}

Digest sha256(std::string_view data) {
  Digest out{};
  unsigned int len = 0;
  // EVP_Digest cannot fail for SHA-256 short of memory exhaustion; an
  // all-zero digest then never matches anything a client sends.
  const EVP_MD* md = sha256_algorithm();
  EVP_Digest(data.data(), data.size(), out.data(), &len, md ? md : EVP_sha256(), nullptr);
  return out;
}

Digest hmac_sha256(std::string_view key, std::string_view data) {
  Digest out{};
  EVP_MAC_CTX* ctx = thread_mac_context();
  if (ctx == nullptr) return out;
  std::size_t len = 0;
  if (EVP_MAC_init(ctx, reinterpret_cast<const unsigned char*>(key.data()), key.size(), nullptr) != 1 ||
      EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1 ||
      EVP_MAC_final(ctx, out.data(), &len, out.size()) != 1) {
    return Digest{};
  }
  return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  // The length is not secret (a signature is always 64 hex characters), but
  // the contents are: compare a full buffer in both cases so that the time
  // depends only on a's length, never on where the first difference is.
  const bool same_length = a.size() == b.size();
  const std::string_view other = same_length ? b : a;
  const bool contents_equal = CRYPTO_memcmp(a.data(), other.data(), a.size()) == 0;
  return same_length && contents_equal;
}

Digest derive_signing_key(std::string_view secret, std::string_view date,
                          std::string_view region, std::string_view service) {
  std::string seed;
  seed.reserve(4 + secret.size());
  seed.append("AWS4").append(secret);
  const Digest k_date = hmac_sha256(seed, date);
  OPENSSL_cleanse(seed.data(), seed.size());
  auto view = [](const Digest& d) {
    return std::string_view(reinterpret_cast<const char*>(d.data()), d.size());
  };
  const Digest k_region = hmac_sha256(view(k_date), region);
  const Digest k_service = hmac_sha256(view(k_region), service);
  return hmac_sha256(view(k_service), "aws4_request");
}

SigningKeyCache::SigningKeyCache(std::size_t max_entries)
    : max_entries_(max_entries == 0 ? 1 : max_entries) {}

Digest SigningKeyCache::get(std::string_view secret, std::string_view date,
                            std::string_view region, std::string_view service) {
  // The map key is a SHA-256 over the length-prefixed tuple: the secret
  // never sits in the map in clear, and no two tuples share a key by
  // concatenation ambiguity.
  std::string material;
  material.reserve(secret.size() + date.size() + region.size() + service.size() + 32);
  for (std::string_view part : {secret, date, region, service}) {
    material.append(std::to_string(part.size())).push_back(':');
    material.append(part);
  }
  const Digest id = sha256(material);
  OPENSSL_cleanse(material.data(), material.size());
  std::string map_key(reinterpret_cast<const char*>(id.data()), id.size());
  {
    std::lock_guard lock(mutex_);
    if (auto it = keys_.find(map_key); it != keys_.end()) return it->second;
  }
  // Derive outside the lock: four HMACs should not serialise other callers.
  const Digest key = derive_signing_key(secret, date, region, service);
  std::lock_guard lock(mutex_);
  if (keys_.size() >= max_entries_ && keys_.find(map_key) == keys_.end()) {
    // Keys are per day, so a full cache mostly holds yesterday's keys:
    // dropping everything is simpler than LRU and costs one derivation per
    // live key afterwards.
    keys_.clear();
  }
  keys_.emplace(std::move(map_key), key);
  return key;
}

}  // namespace dynaudit::aws::sigv4
