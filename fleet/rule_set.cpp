// Signing, checking and storing central rule sets (see rule_set.hpp).
#include "fleet/rule_set.hpp"

#include <openssl/sha.h>

#include "fleet/fleet_table.hpp"
#include "fleet/item_reader.hpp"
#include "storage/checkpoint_signing.hpp"
#include "storage/hash_chain.hpp"

namespace dynaudit::fleet {

std::string sha256_hex(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return storage::to_hex(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

std::string rule_set_signed_bytes(const RuleSet& set) {
  return "dynaudit-rules/1\n" + std::to_string(set.version) + "\n" + std::to_string(set.published_ms) + "\n" +
         sha256_hex(set.text) + "\n";
}

bool sign_rule_set(RuleSet& set, const std::string& private_key_file, std::string& error) {
  auto key = storage::load_private_key_file(private_key_file, error);
  if (!key) return false;
  set.text_sha256 = sha256_hex(set.text);
  set.key_id = storage::checkpoint_key_id(key.get());
  auto signature = storage::sign_ed25519(key.get(), rule_set_signed_bytes(set));
  if (!signature) {
    error = "signing failed";
    return false;
  }
  set.signature = std::move(*signature);
  return true;
}

std::string check_rule_set(const RuleSet& set, const std::string& public_key_file) {
  std::string error;
  auto key = storage::load_public_key_file(public_key_file, error);
  if (!key) return "cannot load the rules public key: " + error;
  return check_rule_set(set, key.get());
}

std::string check_rule_set(const RuleSet& set, EVP_PKEY* key) {
  if (set.signature.empty()) return "the rule set is not signed";
  if (sha256_hex(set.text) != set.text_sha256) return "the rule text does not match its hash";
  if (!storage::verify_ed25519(key, rule_set_signed_bytes(set), set.signature))
    return "bad signature (key " + set.key_id + " is not the configured key, or the set was altered)";
  return {};
}

std::string rule_set_item(const RuleSet& set) {
  std::string item = "{";
  append_s(item, "pk", kRulesPartition);
  item += ',';
  append_s(item, "sk", padded(set.version));
  item += ',';
  append_n(item, "version", static_cast<std::int64_t>(set.version));
  item += ',';
  append_n(item, "publishedMs", set.published_ms);
  item += ',';
  append_s(item, "text", set.text);
  item += ',';
  append_s(item, "textSha256", set.text_sha256);
  item += ',';
  append_s(item, "keyId", set.key_id.empty() ? "-" : set.key_id);
  item += ',';
  append_s(item, "sig", set.signature.empty() ? "-" : set.signature);
  item += ',';
  append_s(item, "publisher", set.publisher.empty() ? "-" : set.publisher);
  item += '}';
  return item;
}

std::optional<RuleSet> parse_rule_set_item(std::string_view item_json) {
  ItemReader item(item_json);
  if (!item.valid()) return std::nullopt;
  RuleSet set;
  auto version = item.n("version");
  auto published = item.n("publishedMs");
  auto text = item.s("text");
  if (!version || !published || !text || *version < 1) return std::nullopt;
  set.version = static_cast<std::uint64_t>(*version);
  set.published_ms = *published;
  set.text = *text;
  set.text_sha256 = item.s("textSha256").value_or("");
  const auto dash = [](std::optional<std::string> v) { return v && *v != "-" ? *v : std::string(); };
  set.key_id = dash(item.s("keyId"));
  set.signature = dash(item.s("sig"));
  set.publisher = dash(item.s("publisher"));
  return set;
}

}  // namespace dynaudit::fleet
