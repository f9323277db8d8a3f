// `dynaudit audit keygen`: an Ed25519 key pair for signed audit checkpoints.
// The private key goes to the proxy (audit.checkpoint_key_file), the public
// key to whoever runs `dynaudit audit verify --public-key`.
#pragma once

#include <string>

namespace dynaudit::cli {

// Writes a PKCS#8 PEM private key (mode 0600) and a SubjectPublicKeyInfo PEM
// public key. Refuses to replace existing files unless `overwrite`.
bool generate_checkpoint_keys(const std::string& private_key_file, const std::string& public_key_file,
                              bool overwrite, std::string& error);

// True if `public_key_file` holds a PEM Ed25519 public key (so that verify can
// tell a wrong --public-key, a usage error, from a damaged store).
bool check_public_key_file(const std::string& public_key_file, std::string& error);

}  // namespace dynaudit::cli
