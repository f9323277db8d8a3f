// The key attributes of tables, for one decision only: whether `=` on a
// masked attribute in a PartiQL WHERE names a key (the caller must hold the
// whole value, as with GetItem) or filters on a non-key attribute (an
// equality oracle). A statement cannot say which, and DynamoDB does not
// check it, so the proxy asks DynamoDB (DescribeTable, with its own
// credentials) the first time it needs to know, and keeps the answer for a
// while. Keys of the table's indexes count: querying an index by equality on
// its key is the same lookup. Shared by every worker behind one mutex;
// touched only by PartiQL calls that use a masked attribute.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace dynaudit::proxy {

class KeySchemaCache {
 public:
  using Clock = std::chrono::steady_clock;

  KeySchemaCache(std::size_t capacity, std::chrono::seconds ttl);

  // The table's and its indexes' key attribute names; nullopt when unknown or stale.
  std::optional<std::vector<std::string>> find(std::string_view table, Clock::time_point now = Clock::now());
  void store(std::string_view table, std::vector<std::string> key_attributes, Clock::time_point now = Clock::now());

 private:
  struct Entry {
    std::vector<std::string> key_attributes;
    Clock::time_point learned;
  };
  const std::size_t capacity_;
  const std::chrono::seconds ttl_;
  std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
};

// Every key attribute a DescribeTable reply names: Table.KeySchema and the
// KeySchema of each global and local secondary index. nullopt for a reply
// that is not a DescribeTable answer.
std::optional<std::vector<std::string>> key_attributes_in_describe_table(std::string_view body);

}  // namespace dynaudit::proxy
