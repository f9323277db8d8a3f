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
