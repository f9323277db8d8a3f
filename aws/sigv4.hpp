// AWS Signature Version 4 primitives shared by the verifier (client side of
// the proxy) and the signer (upstream side): canonical request, string to
// sign, signing-key derivation and its cache, and the Authorization header
// grammar. Pure functions over RequestView; no I/O.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "aws/aws_credentials.hpp"
#include "aws/http_view.hpp"

namespace dynaudit::aws::sigv4 {

inline constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

using Digest = std::array<std::uint8_t, 32>;

std::string hex(const Digest& digest);
Digest sha256(std::string_view data);
Digest hmac_sha256(std::string_view key, std::string_view data);
// Constant-time comparison of two strings of possibly different lengths.
bool constant_time_equal(std::string_view a, std::string_view b);

// "20240101T120000Z" <-> time point (UTC). Empty on malformed input. Parsed
// in whole seconds, so every year 1970-9999 is representable: compare the
// result with a clock reading in seconds (floor/ceil), never by converting it
// to system_clock::time_point, whose nanoseconds end in 2262.
std::string format_amz_date(std::chrono::sys_seconds t);
// Any finer or coarser system_clock time, truncated to the second.
template <class Duration>
std::string format_amz_date(std::chrono::time_point<std::chrono::system_clock, Duration> t) {
  return format_amz_date(std::chrono::floor<std::chrono::seconds>(t));
}
std::optional<std::chrono::sys_seconds> parse_amz_date(std::string_view amz_date);

// The parsed `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…,
// Signature=…` header.
struct AuthorizationHeader {
  std::string access_key_id;
  std::string date;     // yyyymmdd from the credential scope
  std::string region;
  std::string service;
  std::string terminator;  // must be "aws4_request"
  std::vector<std::string> signed_headers;  // as listed (lower case, sorted by the client)
  std::string signature;  // 64 lower-case hex chars
};

struct AuthorizationParse {
  std::optional<AuthorizationHeader> header;
  std::string error;  // IncompleteSignatureException message when !header
};

AuthorizationParse parse_authorization(std::string_view value);
// As above, for a request that may lack both `X-Amz-Date` and `Date`: AWS
// reports that in the same message as missing parameters, before the
// echoed "Authorization=…", so the parser needs to know.
AuthorizationParse parse_authorization(std::string_view value, bool request_has_date);

// Canonical request per the SigV4 spec: method, canonical URI (each path
// segment URI-encoded, as AWS does for non-S3 services), canonical query
// (sorted, encoded), canonical headers (lower-case names, values trimmed and
// inner spaces collapsed, repeated headers joined by ','), signed header
// list, payload hash. `signed_headers` must be lower case and sorted.
std::string canonical_request(const RequestView& request,
                              const std::vector<std::string>& signed_headers,
                              std::string_view payload_hash_hex);

std::string credential_scope(std::string_view date, std::string_view region,
                             std::string_view service);

std::string string_to_sign(std::string_view amz_date, std::string_view scope,
                           std::string_view canonical_request);

Digest derive_signing_key(std::string_view secret, std::string_view date,
                          std::string_view region, std::string_view service);

// Caches derived signing keys per (secret, date, region, service): a key is
// valid for a whole day, and deriving one costs four HMACs. Thread-safe.
class SigningKeyCache {
 public:
  explicit SigningKeyCache(std::size_t max_entries = 1024);
  Digest get(std::string_view secret, std::string_view date, std::string_view region,
             std::string_view service);

 private:
  std::size_t max_entries_;
  std::mutex mutex_;
  std::unordered_map<std::string, Digest> keys_;  // key: hash of the tuple, never the secret itself
};

// The headers to add to a request so that it carries a valid signature.
struct SignatureHeaders {
  std::string authorization;
  std::string amz_date;
  std::string security_token;  // empty when the credentials have none
};

// Signs `request` for `region`/`service`. The request's own headers must
// already contain `host` (and everything to be signed); `x-amz-date` and
// `x-amz-security-token` are taken from the result, not from the request.
// Signed: host, x-amz-date, x-amz-target, content-type, x-amz-security-token
// (when present). Other headers travel unsigned, as AWS allows.
SignatureHeaders sign_request(const RequestView& request, const AwsCredentials& credentials,
                              std::string_view region, std::string_view service,
                              std::chrono::system_clock::time_point now,
                              SigningKeyCache* cache = nullptr);

}  // namespace dynaudit::aws::sigv4
