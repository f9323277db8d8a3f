// AES-256-GCM sealing of clear values and seal key files (see value_seal.hpp).
#include "storage/value_seal.hpp"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <memory>

namespace dynaudit::storage {
namespace {

constexpr std::string_view kSealPrefix = "v1.";
constexpr std::size_t kNonceBytes = 12;
constexpr std::size_t kTagBytes = 16;
constexpr std::size_t kKeyBytes = 32;
// A key file is a few dozen bytes; reading stops well before anything big.
constexpr std::size_t kMaxKeyFileBytes = 4096;
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr const char* kWrongKey = "the value does not open with this key (wrong key or altered record)";

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

// Key material in a std::string is wiped when the string goes.
struct SecretText {
  std::string text;
  ~SecretText() {
    if (!text.empty()) OPENSSL_cleanse(text.data(), text.size());
  }
};

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int base64_digit(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

bool all_hex(std::string_view text) {
  for (char c : text) {
    if (hex_digit(c) < 0) return false;
  }
  return true;
}

SealKey key_from(const unsigned char* bytes) {
  SealKey key;
  std::memcpy(key.bytes.data(), bytes, kKeyBytes);
  key.id = seal_key_id(key.bytes);
  return key;
}

std::string_view without_newline(std::string_view text) {
  if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
  return text;
}

// What load_seal_key_text and the file loader accept as text.
std::optional<SealKey> parse_key_text(std::string_view text) {
  text = without_newline(text);
  if (text.size() == 2 * kKeyBytes && all_hex(text)) {
    unsigned char bytes[kKeyBytes];
    for (std::size_t i = 0; i < kKeyBytes; ++i) {
      bytes[i] = static_cast<unsigned char>(hex_digit(text[2 * i]) * 16 + hex_digit(text[2 * i + 1]));
    }
    SealKey key = key_from(bytes);
    OPENSSL_cleanse(bytes, sizeof bytes);
    return key;
  }
  // 44 characters with padding; 43 without (some tools drop it).
  if (text.size() == 44 || text.size() == 43) {
    SecretText padded{std::string(text)};
    if (padded.text.size() == 43) padded.text += '=';
    auto decoded = base64_decode(padded.text);
    if (decoded) {
      SecretText bytes{std::move(*decoded)};
      if (bytes.text.size() == kKeyBytes) {
        return key_from(reinterpret_cast<const unsigned char*>(bytes.text.data()));
      }
    }
  }
  return std::nullopt;
}

std::string shape_error(std::size_t size, bool raw_allowed) {
  return std::string("a seal key is 64 hex digits or the base64 of 32 bytes") +
         (raw_allowed ? ", or exactly 32 raw bytes" : "") + "; got " + std::to_string(size) +
         " bytes that are none of these";
}

}  // namespace

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const unsigned v = static_cast<unsigned char>(bytes[i]) << 16 | static_cast<unsigned char>(bytes[i + 1]) << 8 |
                       static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest != 0) {
    unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    if (rest == 2) v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    int d[4];
    std::size_t padding = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      const char c = text[i + j];
      if (c == '=' && last && j >= 2) {
        d[j] = 0;
        ++padding;
        continue;
      }
      if (padding != 0) return std::nullopt;  // data after '='
      d[j] = base64_digit(c);
      if (d[j] < 0) return std::nullopt;
    }
    const unsigned v = static_cast<unsigned>(d[0]) << 18 | static_cast<unsigned>(d[1]) << 12 |
                       static_cast<unsigned>(d[2]) << 6 | static_cast<unsigned>(d[3]);
    // Canonical only: the bits padding drops must be zero.
    if ((padding == 1 && (v & 0xFF) != 0) || (padding == 2 && (v & 0xFFFF) != 0)) return std::nullopt;
    out += static_cast<char>((v >> 16) & 0xFF);
    if (padding < 2) out += static_cast<char>((v >> 8) & 0xFF);
    if (padding < 1) out += static_cast<char>(v & 0xFF);
  }
  return out;
}

std::string seal_key_id(const std::array<unsigned char, 32>& bytes) {
  static constexpr std::string_view kLabel = "dynaudit-seal-key-id";
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), kLabel.data(), kLabel.size()) != 1 ||
      EVP_DigestUpdate(ctx.get(), bytes.data(), bytes.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), digest, &length) != 1 || length < 8) {
    return {};
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  for (std::size_t i = 0; i < 8; ++i) {
    id += kHex[digest[i] >> 4];
    id += kHex[digest[i] & 15];
  }
  return id;
}

std::optional<SealKey> load_seal_key_text(std::string_view text, std::string& error) {
  auto key = parse_key_text(text);
  if (!key) {
    error = shape_error(text.size(), false);
    return std::nullopt;
  }
  if (key->id.empty()) {
    error = "cannot compute the seal key's id (OpenSSL failed)";
    return std::nullopt;
  }
  return key;
}

std::optional<SealKey> load_seal_key_file(const std::string& path, std::string& error, std::string* warning) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = "cannot open seal key file " + path + ": " + std::strerror(errno);
    return std::nullopt;
  }
  struct stat info {};
  if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    error = "seal key file " + path + " is not a regular file";
    ::close(fd);
    return std::nullopt;
  }
  SecretText content;
  content.text.resize(kMaxKeyFileBytes + 1);
  std::size_t size = 0;
  while (size < content.text.size()) {
    const ssize_t n = ::read(fd, content.text.data() + size, content.text.size() - size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error = "cannot read seal key file " + path + ": " + std::strerror(errno);
      ::close(fd);
      return std::nullopt;
    }
    if (n == 0) break;
    size += static_cast<std::size_t>(n);
  }
  ::close(fd);
  if (size > kMaxKeyFileBytes) {
    error = "seal key file " + path + ": " + shape_error(size, true);
    return std::nullopt;
  }
  const std::string_view text(content.text.data(), size);
  std::optional<SealKey> key;
  if (size == kKeyBytes) {
    // 32 hex digits are a 128-bit key written as text, not 32 raw bytes:
    // taking them as raw would quietly make a weaker key than intended.
    if (all_hex(text)) {
      error = "seal key file " + path + " holds 32 hex digits (a 128-bit key); a seal key is 256 bits: 64 hex digits";
      return std::nullopt;
    }
    key = key_from(reinterpret_cast<const unsigned char*>(text.data()));
  } else {
    key = parse_key_text(text);
  }
  if (!key) {
    error = "seal key file " + path + ": " + shape_error(size, true);
    return std::nullopt;
  }
  if (key->id.empty()) {
    error = "cannot compute the seal key's id (OpenSSL failed)";
    return std::nullopt;
  }
  if (warning) {
    warning->clear();
    if ((info.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
      char mode[8];
      std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(info.st_mode & 07777));
      *warning = "seal key file " + path + " has mode " + mode +
                 ": others than its owner may read it (chmod 600 it unless it is a mounted secret)";
    }
  }
  return key;
}

std::optional<SealKey> generate_seal_key(std::string& error) {
  unsigned char bytes[kKeyBytes];
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    error = "cannot make a seal key: OpenSSL's random generator failed";
    return std::nullopt;
  }
  SealKey key = key_from(bytes);
  OPENSSL_cleanse(bytes, sizeof bytes);
  if (key.id.empty()) {
    error = "cannot compute the seal key's id (OpenSSL failed)";
    return std::nullopt;
  }
  return key;
}

bool write_seal_key_file(const std::string& path, const SealKey& key, std::string& error) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    error = "cannot create " + path + ": " + std::strerror(errno) +
            (errno == EEXIST ? " (a seal key file is never replaced: records sealed with it could no longer be revealed)"
                             : "");
    return false;
  }
  // The umask may have taken bits away, never added them; still, be exact.
  if (::fchmod(fd, 0600) != 0) {
    error = "cannot chmod " + path + ": " + std::strerror(errno);
    ::close(fd);
    ::unlink(path.c_str());
    return false;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  SecretText text;
  for (unsigned char byte : key.bytes) {
    text.text += kHex[byte >> 4];
    text.text += kHex[byte & 15];
  }
  text.text += '\n';
  std::size_t done = 0;
  while (done < text.text.size()) {
    const ssize_t n = ::write(fd, text.text.data() + done, text.text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      error = "cannot write " + path + ": " + std::strerror(errno);
      ::close(fd);
      ::unlink(path.c_str());
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    error = "cannot write " + path + ": " + std::strerror(errno);
    ::close(fd);
    ::unlink(path.c_str());
    return false;
  }
  if (::close(fd) != 0) {
    error = "cannot write " + path + ": " + std::strerror(errno);
    ::unlink(path.c_str());
    return false;
  }
  return true;
}

std::string seal_value(const SealKey& key, std::string_view plaintext, std::string_view aad) {
  if (plaintext.size() > INT_MAX / 2 || aad.size() > INT_MAX) return {};
  std::string sealed(kNonceBytes + plaintext.size() + kTagBytes, '\0');
  auto* out = reinterpret_cast<unsigned char*>(sealed.data());
  if (RAND_bytes(out, kNonceBytes) != 1) return {};
  CipherCtx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  int length = 0;
  int final_length = 0;
  const bool ok =
      ctx && EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(kNonceBytes), nullptr) == 1 &&
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, key.bytes.data(), out) == 1 &&
      EVP_EncryptUpdate(ctx.get(), nullptr, &length, reinterpret_cast<const unsigned char*>(aad.data()),
                        static_cast<int>(aad.size())) == 1 &&
      EVP_EncryptUpdate(ctx.get(), out + kNonceBytes, &length,
                        reinterpret_cast<const unsigned char*>(plaintext.data()),
                        static_cast<int>(plaintext.size())) == 1 &&
      static_cast<std::size_t>(length) == plaintext.size() &&
      EVP_EncryptFinal_ex(ctx.get(), out + kNonceBytes + length, &final_length) == 1 && final_length == 0 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagBytes),
                          out + kNonceBytes + plaintext.size()) == 1;
  if (!ok) return {};
  return std::string(kSealPrefix) + base64_encode(sealed);
}

std::optional<std::string> unseal_value(const SealKey& key, std::string_view sealed, std::string_view aad,
                                        std::string& error) {
  if (sealed.substr(0, kSealPrefix.size()) != kSealPrefix) {
    error = "not a sealed value (it should start with \"v1.\")";
    return std::nullopt;
  }
  auto bytes = base64_decode(sealed.substr(kSealPrefix.size()));
  if (!bytes) {
    error = "the sealed value is damaged (not base64)";
    return std::nullopt;
  }
  if (bytes->size() < kNonceBytes + kTagBytes) {
    error = "the sealed value is damaged (too short)";
    return std::nullopt;
  }
  const std::size_t cipher_size = bytes->size() - kNonceBytes - kTagBytes;
  if (cipher_size > INT_MAX || aad.size() > INT_MAX) {
    error = "the sealed value is too large";
    return std::nullopt;
  }
  auto* in = reinterpret_cast<unsigned char*>(bytes->data());
  std::string plaintext(cipher_size, '\0');
  CipherCtx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  int length = 0;
  const bool ready =
      ctx && EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(kNonceBytes), nullptr) == 1 &&
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, key.bytes.data(), in) == 1 &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &length, reinterpret_cast<const unsigned char*>(aad.data()),
                        static_cast<int>(aad.size())) == 1 &&
      EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(plaintext.data()), &length,
                        in + kNonceBytes, static_cast<int>(cipher_size)) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTagBytes),
                          in + kNonceBytes + cipher_size) == 1;
  if (!ready) {
    error = "cannot open the sealed value (OpenSSL failed)";
    return std::nullopt;
  }
  int final_length = 0;
  // The tag is checked here: nothing of the plaintext is returned unless it
  // verifies.
  if (EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(plaintext.data()) + length,
                          &final_length) != 1) {
    OPENSSL_cleanse(plaintext.data(), plaintext.size());
    error = kWrongKey;
    return std::nullopt;
  }
  return plaintext;
}

}  // namespace dynaudit::storage
