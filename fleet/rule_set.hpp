// Central rule sets: a rule file's text published to the fleet table under a
// version number and signed with an Ed25519 key, so that a proxy applies
// only what the key holder published (not whatever someone with write
// access to the table put there). What is signed binds the version and the
// time to the text: an old signed set cannot be replayed as a new version.
#pragma once

#include <openssl/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dynaudit::fleet {

struct RuleSet {
  std::uint64_t version = 0;
  std::int64_t published_ms = 0;
  std::string text;         // the YAML rule file
  std::string text_sha256;  // hex, of text
  std::string key_id;       // storage::checkpoint_key_id of the signing key
  std::string signature;    // hex Ed25519 over signed_bytes()
  std::string publisher;    // who ran `rules publish` (informational)
};

std::string sha256_hex(std::string_view data);
// "dynaudit-rules/1\n<version>\n<published_ms>\n<text sha256>\n"
std::string rule_set_signed_bytes(const RuleSet& set);

// Fills text_sha256, key_id and signature with the private key in `pem_file`.
bool sign_rule_set(RuleSet& set, const std::string& private_key_file, std::string& error);
// "" when the signature holds for `public_key_file`; else why not.
std::string check_rule_set(const RuleSet& set, const std::string& public_key_file);
// The same with a loaded key (either half of the pair: Ed25519 verifies with
// the public part of a private key too).
std::string check_rule_set(const RuleSet& set, EVP_PKEY* key);

// The fleet table item, and back (from a GetItem/Query item).
std::string rule_set_item(const RuleSet& set);
std::optional<RuleSet> parse_rule_set_item(std::string_view item_json);

}  // namespace dynaudit::fleet
