// The hash chain that makes the audit log tamper-evident:
//
//   hash(N) = SHA-256( raw(previousHash(N)) || canonical(N) )
//
// raw(h) is the 32 bytes the 64 lower-case hex digits of h stand for; the
// first record of a store has previousHash "" and raw("") is no bytes at
// all. canonical(N) is to_json(record N, include_hash = false): every field,
// including sequence and previousHash, except `hash` itself. hash(N) is
// stored as 64 lower-case hex digits in the record and becomes
// previousHash(N + 1).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace dynaudit::storage {

std::string to_hex(std::string_view bytes);
std::optional<std::string> from_hex(std::string_view hex);  // lower or upper case

// nullopt if previous_hash_hex is neither "" nor 64 hex digits.
std::optional<std::string> chain_hash(std::string_view previous_hash_hex, std::string_view canonical);

// The link for a caller that computes millions of them (the writer, through
// chain_hash; audit verify): one OpenSSL context kept between calls, and the
// canonical bytes given in pieces so that they need not be copied together.
class ChainHasher {
 public:
  ChainHasher();
  ~ChainHasher();
  ChainHasher(const ChainHasher&) = delete;
  ChainHasher& operator=(const ChainHasher&) = delete;

  // hash(previous, head ‖ tail) as 64 hex digits into `hex`; false if
  // previous_hash_hex is neither "" nor 64 hex digits (or OpenSSL fails).
  bool link(std::string_view previous_hash_hex, std::string_view head, std::string_view tail, std::string& hex);

 private:
  struct Context;
  std::unique_ptr<Context> context_;
};

}  // namespace dynaudit::storage
