// CRC-32 must equal zlib's, or boto3 rejects the proxy's responses.
#include <catch2/catch.hpp>

#include <string>

#include "ddb/crc32.hpp"

using dynaudit::ddb::crc32;

TEST_CASE("crc32 matches zlib's values") {
  CHECK(crc32("") == 0u);
  CHECK(crc32("123456789") == 0xCBF43926u);  // the standard check value
  CHECK(crc32("The quick brown fox jumps over the lazy dog") == 0x414FA339u);
  // python3 -c 'import zlib;print(zlib.crc32(b"{\"__type\":\"com.amazon.coral.service#SerializationException\"}"))'
  CHECK(crc32(R"({"__type":"com.amazon.coral.service#SerializationException"})") == 3948637019u);
  std::string binary(256, '\0');
  for (int i = 0; i < 256; ++i) binary[static_cast<std::size_t>(i)] = static_cast<char>(i);
  CHECK(crc32(binary) == 0x29058C73u);
}

// The sliced implementation against the bit-at-a-time definition, for every
// length up to 300 (all tail sizes and offsets) and a few large inputs.
TEST_CASE("crc32 equals the bitwise definition for every length and offset") {
  const auto reference = [](std::string_view data) {
    std::uint32_t c = 0xFFFFFFFFu;
    for (unsigned char byte : data) {
      c ^= byte;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    }
    return c ^ 0xFFFFFFFFu;
  };
  std::string data;
  std::uint32_t state = 12345;
  for (int i = 0; i < 70000; ++i) {
    state = state * 1103515245u + 12345u;
    data.push_back(static_cast<char>(state >> 16));
  }
  for (std::size_t offset = 0; offset < 8; ++offset) {
    for (std::size_t length = 0; length <= 300; ++length) {
      const std::string_view slice(data.data() + offset, length);
      REQUIRE(dynaudit::ddb::crc32(slice) == reference(slice));
    }
  }
  for (const std::size_t length : {4096u, 48557u, 69992u}) CHECK(dynaudit::ddb::crc32({data.data(), length}) == reference({data.data(), length}));
}
