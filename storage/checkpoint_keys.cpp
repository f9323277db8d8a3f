// Ed25519 key pairs for checkpoint signing, as PEM text.
#include "storage/checkpoint_keys.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>

#include "storage/checkpoint_signing.hpp"

namespace dynaudit::storage {
namespace {

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};

std::optional<std::string> public_pem_of(EVP_PKEY* key) {
  const std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key) != 1) return std::nullopt;
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(length));
}

std::optional<std::string> private_pem_of(EVP_PKEY* key) {
  const std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return std::nullopt;
  }
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(length));
}

}  // namespace

std::optional<CheckpointKeyPair> generate_checkpoint_key_pair(std::string& error) {
  PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  std::optional<std::string> private_pem;
  std::optional<std::string> public_pem;
  if (key) {
    private_pem = private_pem_of(key.get());
    public_pem = public_pem_of(key.get());
  }
  if (!private_pem || !public_pem) {
    ERR_clear_error();
    error = "OpenSSL could not generate an Ed25519 key";
    return std::nullopt;
  }
  return CheckpointKeyPair{std::move(*private_pem), std::move(*public_pem)};
}

std::optional<std::string> checkpoint_public_key_pem(std::string_view private_pem, std::string& error) {
  const PkeyPtr key = load_private_key_pem(private_pem, error);
  if (!key) return std::nullopt;
  auto pem = public_pem_of(key.get());
  if (!pem) {
    ERR_clear_error();
    error = "OpenSSL could not write the public key";
  }
  return pem;
}

}  // namespace dynaudit::storage
