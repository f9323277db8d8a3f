// Sealed clear values: AES-256-GCM round trips, and everything that must not
// open (wrong key, a flipped bit, another record's eventID, bad text); seal
// key parsing from text and files, whose errors never show key material.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <fstream>

#include "storage/value_seal.hpp"
#include "test_support.hpp"

using namespace dynaudit::storage;
using storage_test::TempDir;

namespace {

const std::string kHexKey = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const std::string kBase64Key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
constexpr const char* kEventId = "3f1c1c58-1b1e-4f0e-9a77-3c2a5d1e8b40";
constexpr const char* kWrongKey = "the value does not open with this key (wrong key or altered record)";

SealKey test_key() {
  std::string error;
  auto key = load_seal_key_text(kHexKey, error);
  REQUIRE(key);
  return *key;
}

SealKey other_key() {
  std::string error;
  auto key = generate_seal_key(error);
  REQUIRE(key);
  return *key;
}

void write_file(const std::string& path, const std::string& bytes, mode_t mode = 0600) {
  std::ofstream(path, std::ios::binary) << bytes;
  REQUIRE(::chmod(path.c_str(), mode) == 0);
}

// No run of 8 key characters (hex or base64) appears in `message`.
void check_no_key_material(const std::string& message, const std::string& key_text) {
  for (std::size_t i = 0; i + 8 <= key_text.size(); ++i) {
    INFO(message);
    CHECK(message.find(key_text.substr(i, 8)) == std::string::npos);
  }
}

}  // namespace

TEST_CASE("a sealed value opens with its key and eventID") {
  const SealKey key = test_key();
  const std::string plaintext = R"({"Item.ssn":{"S":"078-05-1120"},"note":"caf\u00e9"})";
  const std::string sealed = seal_value(key, plaintext, kEventId);
  REQUIRE(sealed.rfind("v1.", 0) == 0);
  CHECK(sealed.find('\n') == std::string::npos);
  CHECK(sealed.find("078-05-1120") == std::string::npos);
  // nonce 12 + ciphertext + tag 16, base64 with padding.
  CHECK(base64_decode(sealed.substr(3))->size() == 12 + plaintext.size() + 16);
  std::string error;
  const auto opened = unseal_value(key, sealed, kEventId, error);
  REQUIRE(opened);
  CHECK(*opened == plaintext);
  CHECK(error.empty());

  // A fresh nonce every time: the same value seals differently.
  CHECK(seal_value(key, plaintext, kEventId) != sealed);
  // Empty plaintext and empty aad still work.
  const std::string empty = seal_value(key, "", "");
  REQUIRE(unseal_value(key, empty, "", error));
  CHECK(unseal_value(key, empty, "", error)->empty());
}

TEST_CASE("a sealed value does not open with another key, a flipped bit or another eventID") {
  const SealKey key = test_key();
  const std::string sealed = seal_value(key, R"({"ssn":"078-05-1120"})", kEventId);
  std::string error;

  CHECK_FALSE(unseal_value(other_key(), sealed, kEventId, error));
  CHECK(error == kWrongKey);

  error.clear();
  CHECK_FALSE(unseal_value(key, sealed, "another-event-id", error));
  CHECK(error == kWrongKey);

  // Every bit of nonce, ciphertext and tag is covered.
  const std::string bytes = *base64_decode(sealed.substr(3));
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    for (int bit : {0, 7}) {
      std::string flipped = bytes;
      flipped[i] = static_cast<char>(flipped[i] ^ (1 << bit));
      error.clear();
      CHECK_FALSE(unseal_value(key, "v1." + base64_encode(flipped), kEventId, error));
      CHECK(error == kWrongKey);
    }
  }
  // Truncated (a tag cut short) does not open either.
  error.clear();
  CHECK_FALSE(unseal_value(key, "v1." + base64_encode(bytes.substr(0, bytes.size() - 1)), kEventId, error));
  CHECK_FALSE(error.empty());
}

TEST_CASE("text that is not a sealed value is refused with a clear error") {
  const SealKey key = test_key();
  std::string error;
  for (const std::string bad : {"", "v2.AAAA", "AAAA", "v1.", "v1.not base64!", "v1.AAA", "v1.AAAAAAAAAAAA"}) {
    INFO(bad);
    error.clear();
    CHECK_FALSE(unseal_value(key, bad, kEventId, error));
    CHECK_FALSE(error.empty());
    CHECK(error != kWrongKey);
  }
}

TEST_CASE("base64 is standard and strict") {
  for (const std::string& bytes : {std::string(), std::string("f"), std::string("fo"), std::string("foo"),
                                  std::string("foob"), std::string("\xff\x00\xfe", 3)}) {
    CHECK(base64_decode(base64_encode(bytes)) == bytes);
  }
  CHECK(base64_encode("foob") == "Zm9vYg==");
  CHECK(base64_encode("\xfb\xff") == "+/8=");
  CHECK_FALSE(base64_decode("Zm9vYg="));   // padding missing
  CHECK_FALSE(base64_decode("Zm9vYh=="));  // non-zero bits under the padding
  CHECK_FALSE(base64_decode("Zm=vYg=="));  // data after '='
  CHECK_FALSE(base64_decode("Zm9v\nYg=="));
  CHECK_FALSE(base64_decode("Zm9-Yg=="));  // URL-safe alphabet
}

TEST_CASE("seal keys read from hex or base64 text; errors never show the key") {
  std::string error;
  const auto hex = load_seal_key_text(kHexKey, error);
  REQUIRE(hex);
  CHECK(hex->bytes[0] == 0x00);
  CHECK(hex->bytes[31] == 0x1f);
  const auto upper = load_seal_key_text("000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F\n", error);
  REQUIRE(upper);
  CHECK(upper->bytes == hex->bytes);
  const auto base64 = load_seal_key_text(kBase64Key + "\r\n", error);
  REQUIRE(base64);
  CHECK(base64->bytes == hex->bytes);
  const auto unpadded = load_seal_key_text(kBase64Key.substr(0, 43), error);
  REQUIRE(unpadded);
  CHECK(unpadded->bytes == hex->bytes);

  const std::vector<std::string> bad = {
      "",
      kHexKey.substr(0, 62),                        // 31 bytes
      kHexKey + "00",                               // 33 bytes
      kHexKey.substr(0, 63) + "g",                  // not hex
      " " + kHexKey,                                // leading blank
      kHexKey + "\n\n",                             // two newlines
      "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==",  // base64 of 31 bytes
      std::string(32, 'k'),                         // raw bytes: files only
  };
  for (const auto& text : bad) {
    error.clear();
    CHECK_FALSE(load_seal_key_text(text, error));
    CHECK(error.find("64 hex digits") != std::string::npos);
    check_no_key_material(error, text);
  }
}

TEST_CASE("seal key files: hex, base64 or 32 raw bytes; a loose mode warns") {
  TempDir dir("seal-key");
  std::string error;
  std::string warning;

  write_file(dir.file("hex"), kHexKey + "\n");
  const auto hex = load_seal_key_file(dir.file("hex"), error, &warning);
  REQUIRE(hex);
  CHECK(warning.empty());

  write_file(dir.file("b64"), kBase64Key + "\n");
  REQUIRE(load_seal_key_file(dir.file("b64"), error));
  CHECK(load_seal_key_file(dir.file("b64"), error)->bytes == hex->bytes);

  std::string raw(32, '\0');
  for (std::size_t i = 0; i < raw.size(); ++i) raw[i] = static_cast<char>(i);
  write_file(dir.file("raw"), raw);
  const auto from_raw = load_seal_key_file(dir.file("raw"), error);
  REQUIRE(from_raw);
  CHECK(from_raw->bytes == hex->bytes);

  write_file(dir.file("loose"), kHexKey + "\n", 0644);
  const auto loose = load_seal_key_file(dir.file("loose"), error, &warning);
  REQUIRE(loose);  // mounted secrets are often 0644: warn, do not refuse
  CHECK(warning.find("0644") != std::string::npos);
  check_no_key_material(warning, kHexKey);

  // Bad files: the error names the file and the size, never the content.
  const std::string secretish = "5f4dcc3b5aa765d61d8327deb882cf99";  // 32 hex digits: a 128-bit key
  write_file(dir.file("short-hex"), secretish);
  error.clear();
  CHECK_FALSE(load_seal_key_file(dir.file("short-hex"), error));
  CHECK(error.find("128-bit") != std::string::npos);
  check_no_key_material(error, secretish);

  const std::string garbage = "password=correct-horse-battery-staple-and-more";
  write_file(dir.file("garbage"), garbage);
  error.clear();
  CHECK_FALSE(load_seal_key_file(dir.file("garbage"), error));
  CHECK(error.find(dir.file("garbage")) != std::string::npos);
  check_no_key_material(error, garbage);

  write_file(dir.file("big"), std::string(10'000, 'a'));
  error.clear();
  CHECK_FALSE(load_seal_key_file(dir.file("big"), error));

  error.clear();
  CHECK_FALSE(load_seal_key_file(dir.file("missing"), error));
  CHECK(error.find("cannot open") != std::string::npos);
  error.clear();
  CHECK_FALSE(load_seal_key_file(dir.path(), error));  // a folder
  CHECK_FALSE(error.empty());
}

TEST_CASE("key ids are stable, distinct and say nothing about the key") {
  const SealKey key = test_key();
  CHECK(key.id.size() == 16);
  CHECK(key.id.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(key.id == seal_key_id(key.bytes));
  std::string error;
  CHECK(load_seal_key_text(kBase64Key, error)->id == key.id);  // same key, however written
  CHECK(other_key().id != key.id);
  CHECK(other_key().id != other_key().id);
  CHECK(kHexKey.find(key.id) == std::string::npos);
  // Pinned: the id is SHA-256("dynaudit-seal-key-id" || key), first 8 bytes.
  std::array<unsigned char, 32> zeros{};
  CHECK(seal_key_id(zeros) == seal_key_id(zeros));
  CHECK(seal_key_id(zeros) != key.id);
}

TEST_CASE("a new seal key file is 64 hex digits, mode 0600, and never replaced") {
  TempDir dir("seal-keygen");
  std::string error;
  const auto key = generate_seal_key(error);
  REQUIRE(key);
  const std::string path = dir.file("seal.key");
  REQUIRE(write_seal_key_file(path, *key, error));
  struct stat info {};
  REQUIRE(::stat(path.c_str(), &info) == 0);
  CHECK((info.st_mode & 07777) == 0600);
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(text.size() == 65);
  CHECK(text.back() == '\n');
  std::string warning;
  const auto loaded = load_seal_key_file(path, error, &warning);
  REQUIRE(loaded);
  CHECK(loaded->bytes == key->bytes);
  CHECK(loaded->id == key->id);
  CHECK(warning.empty());

  const auto another = generate_seal_key(error);
  REQUIRE(another);
  error.clear();
  CHECK_FALSE(write_seal_key_file(path, *another, error));
  CHECK(error.find("never replaced") != std::string::npos);
  CHECK(load_seal_key_file(path, error)->bytes == key->bytes);  // untouched
}
