// See request_encoding.hpp.
#include "proxy/pipeline/request_encoding.hpp"

#include <zlib.h>

#include <array>

namespace dynaudit::proxy {
namespace {

enum class Coding { gzip, deflate };

bool same_coding(std::string_view a, std::string_view b) {
  return beast::iequals(beast::string_view(a.data(), a.size()), beast::string_view(b.data(), b.size()));
}

ddb::DdbError corrupt(std::string_view coding) {
  return {ddb::ErrorKind::serialization,
          "The request body could not be decompressed (Content-Encoding: " + std::string(coding) + ")"};
}

// A zlib stream starts with CMF/FLG: method 8 (deflate) and a header check
// (RFC 1950 §2.2). Anything else is taken as raw deflate.
bool has_zlib_header(std::string_view data) {
  if (data.size() < 2) return false;
  const auto cmf = static_cast<unsigned char>(data[0]);
  const auto flg = static_cast<unsigned char>(data[1]);
  return (cmf & 0x0f) == 8 && (cmf >> 4) <= 7 && (cmf * 256u + flg) % 31 == 0;
}

// One zlib inflater, freed however decoding ends.
class Inflater {
 public:
  explicit Inflater(int window_bits) { ok_ = inflateInit2(&stream_, window_bits) == Z_OK; }
  ~Inflater() {
    if (ok_) inflateEnd(&stream_);
  }
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;
  bool ok() const { return ok_; }
  z_stream& stream() { return stream_; }

 private:
  z_stream stream_{};
  bool ok_ = false;
};

}  // namespace

DecodeResult decode_body(std::string_view coding_name, std::string_view compressed, std::size_t max_bytes) {
  DecodeResult result;
  const Coding coding = same_coding(coding_name, "deflate") ? Coding::deflate : Coding::gzip;
  const int window_bits = coding == Coding::gzip ? 16 + MAX_WBITS : has_zlib_header(compressed) ? MAX_WBITS : -MAX_WBITS;
  Inflater inflater(window_bits);
  if (!inflater.ok()) {
    result.error = ddb::DdbError{ddb::ErrorKind::internal_server_error, "dynaudit could not start decompressing the body"};
    return result;
  }
  z_stream& z = inflater.stream();
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  z.avail_in = static_cast<uInt>(compressed.size());  // bounded by the body limit (< 4 GiB)
  std::array<char, 64 * 1024> chunk;
  for (;;) {
    z.next_out = reinterpret_cast<Bytef*>(chunk.data());
    z.avail_out = static_cast<uInt>(chunk.size());
    const int rc = inflate(&z, Z_NO_FLUSH);
    const std::size_t produced = chunk.size() - z.avail_out;
    if (result.body.size() + produced > max_bytes) {
      result.body.clear();
      result.error = ddb::DdbError{ddb::ErrorKind::request_too_large,
                                   "Request body is larger than the configured limit once decompressed"};
      return result;
    }
    result.body.append(chunk.data(), produced);
    if (rc == Z_STREAM_END) {
      if (z.avail_in == 0) return result;
      // gzip allows several members one after the other (RFC 1952 §2.2),
      // and gunzip reads them all; anything else after the end is refused.
      if (coding != Coding::gzip || inflateReset(&z) != Z_OK) break;
      continue;
    }
    if (rc == Z_OK) continue;
    // Z_BUF_ERROR with output room left: the input ended mid-stream.
    break;
  }
  result.body.clear();
  result.error = corrupt(coding_name);
  return result;
}

std::optional<ddb::DdbError> decode_request_body(HttpRequest& request, std::size_t max_bytes) {
  const auto field = request.find(http::field::content_encoding);
  if (field == request.end()) return std::nullopt;
  std::string_view coding(field->value().data(), field->value().size());
  while (!coding.empty() && (coding.front() == ' ' || coding.front() == '\t')) coding.remove_prefix(1);
  while (!coding.empty() && (coding.back() == ' ' || coding.back() == '\t')) coding.remove_suffix(1);
  if (coding.empty() || same_coding(coding, "identity")) return std::nullopt;  // nothing applied
  if (!same_coding(coding, "gzip") && !same_coding(coding, "x-gzip") && !same_coding(coding, "deflate")) {
    return ddb::DdbError{ddb::ErrorKind::serialization,
                         "dynaudit reads request bodies with Content-Encoding gzip or deflate, not '" +
                             std::string(coding) + "'"};
  }
  auto decoded = decode_body(coding, request.body(), max_bytes);
  if (decoded.error) return decoded.error;
  request.body() = std::move(decoded.body);
  request.erase(http::field::content_encoding);
  request.erase("x-amz-content-sha256");
  request.prepare_payload();
  return std::nullopt;
}

}  // namespace dynaudit::proxy
