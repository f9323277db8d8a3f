// Compressed request bodies (Content-Encoding: gzip or deflate, which
// DynamoDB accepts): decoded once, bounded by the body limit, so that facts,
// rules, the audit record and the upstream all see the same JSON.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "ddb/error_response.hpp"
#include "proxy/net/asio.hpp"

namespace dynaudit::proxy {

// Decompresses `compressed` (gzip: every member of a multi-member stream;
// deflate: zlib-wrapped as RFC 9110 says, or raw as some clients send it)
// into at most `max_bytes`. Errors: request_too_large past the limit (a
// decompression bomb costs no more than an honest body of that size),
// serialization for a stream that is corrupt, truncated or followed by
// other bytes.
struct DecodeResult {
  std::string body;
  std::optional<ddb::DdbError> error;
};
DecodeResult decode_body(std::string_view coding, std::string_view compressed, std::size_t max_bytes);

// If `request` has a Content-Encoding other than identity (or empty), replaces its
// body by the decoded bytes and drops Content-Encoding and
// x-amz-content-sha256 (both describe the bytes that were sent, not these):
// the request is forwarded uncompressed and signed again over this body.
// Codings other than gzip, x-gzip and deflate, or several codings, are
// refused: the proxy would judge bytes the upstream reads differently.
// Run it after the caller's signature is checked (it covers the bytes sent).
std::optional<ddb::DdbError> decode_request_body(HttpRequest& request, std::size_t max_bytes);

}  // namespace dynaudit::proxy
