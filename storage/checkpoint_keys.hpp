// Ed25519 keys for signed audit checkpoints: the store signs with the
// private key (StoreOptions::checkpoint_key_file), `audit verify` checks
// with the public one. Used by tests and by `dynaudit audit keygen`.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace dynaudit::storage {

struct CheckpointKeyPair {
  std::string private_pem;  // PKCS#8 "PRIVATE KEY", unencrypted: protect the file
  std::string public_pem;   // SubjectPublicKeyInfo "PUBLIC KEY"
};

std::optional<CheckpointKeyPair> generate_checkpoint_key_pair(std::string& error);

// The public key belonging to a private key PEM (to hand to investigators).
std::optional<std::string> checkpoint_public_key_pem(std::string_view private_pem, std::string& error);

}  // namespace dynaudit::storage
