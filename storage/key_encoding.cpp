// Byte layouts of the audit store's keys (see key_encoding.hpp).
#include "storage/key_encoding.hpp"

namespace dynaudit::storage::keys {
namespace {
constexpr std::uint64_t kSignBit = std::uint64_t{1} << 63;
}  // namespace

std::string decision_value(std::string_view decision) {
  return "decision:" + std::string(decision);
}

std::string error_value(std::string_view error_code) {
  return "error:" + std::string(error_code);
}

void append_be64(std::string& out, std::uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out += static_cast<char>((value >> shift) & 0xFF);
  }
}

std::uint64_t read_be64(std::string_view eight_bytes) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < 8; ++i) {
    value = (value << 8) | static_cast<unsigned char>(eight_bytes[i]);
  }
  return value;
}

std::uint64_t sortable_time(std::int64_t time_ms) {
  return static_cast<std::uint64_t>(time_ms) ^ kSignBit;
}

std::int64_t time_from_sortable(std::uint64_t sortable) {
  return static_cast<std::int64_t>(sortable ^ kSignBit);
}

std::string record_key(std::uint64_t sequence) {
  std::string key;
  append_be64(key, sequence);
  return key;
}

std::optional<std::uint64_t> sequence_from_record_key(std::string_view key) {
  if (key.size() != 8) return std::nullopt;
  return read_be64(key);
}

std::string time_index_key(std::int64_t time_ms, std::uint64_t sequence) {
  std::string key;
  key.reserve(16);
  append_be64(key, sortable_time(time_ms));
  append_be64(key, sequence);
  return key;
}

std::string value_index_prefix(std::string_view value) {
  std::string prefix(value);
  prefix += '\0';
  return prefix;
}

std::string value_index_key(std::string_view value, std::int64_t time_ms, std::uint64_t sequence) {
  std::string key = value_index_prefix(value);
  append_be64(key, sortable_time(time_ms));
  append_be64(key, sequence);
  return key;
}

std::optional<IndexKeyTail> index_key_tail(std::string_view key) {
  if (key.size() < 16) return std::nullopt;
  const std::string_view tail = key.substr(key.size() - 16);
  return IndexKeyTail{time_from_sortable(read_be64(tail.substr(0, 8))), read_be64(tail.substr(8))};
}

std::string checkpoint_key(std::uint64_t last_sequence, std::uint64_t number) {
  std::string key;
  append_be64(key, last_sequence);
  append_be64(key, number);
  return key;
}

}  // namespace dynaudit::storage::keys
