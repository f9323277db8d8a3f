// Sealed clear values: the proxy may keep the clear form of values it masked
// in an audit record, encrypted with AES-256-GCM under a seal key that the
// proxy holds and an investigator can be given. Only someone with the key
// can read them (`dynaudit audit show --reveal`); anyone can still verify the
// hash chain, which covers the sealed text like every other byte.
//
// Sealed text: "v1." + base64(nonce[12] || ciphertext || tag[16]), standard
// base64 without line breaks. The additional authenticated data is the
// record's eventID, so a sealed value moved to another record does not open.
// See docs/audit-log.md, "Sealed clear values".
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace dynaudit::storage {

struct SealKey {
  // First 16 hex digits of SHA-256("dynaudit-seal-key-id" || bytes): names
  // the key in records and messages without revealing anything about it.
  std::string id;
  std::array<unsigned char, 32> bytes{};
};

// The id of a 256-bit key (see SealKey::id).
std::string seal_key_id(const std::array<unsigned char, 32>& bytes);

// A key from text (an environment variable): 64 hex digits or the standard
// base64 of 32 bytes, one trailing newline allowed. Errors describe the
// text's shape (its length), never its content.
std::optional<SealKey> load_seal_key_text(std::string_view text, std::string& error);

// A key from a file: what load_seal_key_text accepts, or exactly 32 raw
// bytes. A file that group or others may read still loads (secrets mounted
// into containers are often 0644); `warning`, if given, then says so, for
// the caller to log.
std::optional<SealKey> load_seal_key_file(const std::string& path, std::string& error,
                                          std::string* warning = nullptr);

// A new random key (OpenSSL's RAND_bytes). nullopt only if the generator
// cannot be seeded.
std::optional<SealKey> generate_seal_key(std::string& error);

// Writes `key` as 64 lower-case hex digits and a newline, to a new file of
// mode 0600. Never replaces an existing file: records sealed with the key it
// holds could no longer be revealed.
bool write_seal_key_file(const std::string& path, const SealKey& key, std::string& error);

// Seals `plaintext` with a fresh random nonce; `aad` is authenticated, not
// stored (the caller passes the record's eventID). Returns "" only if no
// random nonce could be had or OpenSSL fails -- never a value sealed with a
// reused nonce. An empty AuditEvent::sealed_values is not written, so a
// failed seal leaves the record without clear values, not with them.
std::string seal_value(const SealKey& key, std::string_view plaintext, std::string_view aad);

// The plaintext of a sealed value, or nullopt with `error`: not a sealed
// value (format), or "the value does not open with this key (wrong key or
// altered record)" when the tag does not verify (wrong key, changed bytes,
// other aad).
std::optional<std::string> unseal_value(const SealKey& key, std::string_view sealed, std::string_view aad,
                                        std::string& error);

// Standard base64 (RFC 4648, with padding, no line breaks); exposed for tests.
std::string base64_encode(std::string_view bytes);
// Strict: standard alphabet, padding required; nullopt on anything else.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace dynaudit::storage
