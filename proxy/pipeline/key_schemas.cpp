// See key_schemas.hpp.
#include "proxy/pipeline/key_schemas.hpp"

#include <simdjson.h>

#include <algorithm>

namespace dynaudit::proxy {

KeySchemaCache::KeySchemaCache(std::size_t capacity, std::chrono::seconds ttl)
    : capacity_(capacity == 0 ? 1 : capacity), ttl_(ttl) {}

std::optional<std::vector<std::string>> KeySchemaCache::find(std::string_view table, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  const auto found = entries_.find(std::string(table));
  if (found == entries_.end() || now - found->second.learned > ttl_) return std::nullopt;
  return found->second.key_attributes;
}

void KeySchemaCache::store(std::string_view table, std::vector<std::string> key_attributes, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  if (entries_.size() >= capacity_ && !entries_.contains(std::string(table))) {
    // Tables are few; when full, forget the oldest answer.
    auto oldest = std::min_element(entries_.begin(), entries_.end(),
                                   [](const auto& a, const auto& b) { return a.second.learned < b.second.learned; });
    entries_.erase(oldest);
  }
  entries_[std::string(table)] = Entry{std::move(key_attributes), now};
}

namespace {

void add_key_schema(simdjson::dom::element schema, std::vector<std::string>& out) {
  simdjson::dom::array elements;
  if (schema.get(elements) != simdjson::SUCCESS) return;
  for (auto element : elements) {
    std::string_view name;
    if (element["AttributeName"].get(name) != simdjson::SUCCESS) continue;
    if (std::find(out.begin(), out.end(), name) == out.end()) out.emplace_back(name);
  }
}

}  // namespace

std::optional<std::vector<std::string>> key_attributes_in_describe_table(std::string_view body) {
  simdjson::dom::parser parser;
  simdjson::dom::object table;
  if (parser.parse(simdjson::padded_string(body))["Table"].get(table) != simdjson::SUCCESS) return std::nullopt;
  std::vector<std::string> keys;
  simdjson::dom::element schema;
  if (table["KeySchema"].get(schema) != simdjson::SUCCESS) return std::nullopt;
  add_key_schema(schema, keys);
  for (const char* indexes_member : {"GlobalSecondaryIndexes", "LocalSecondaryIndexes"}) {
    simdjson::dom::array indexes;
    if (table[indexes_member].get(indexes) != simdjson::SUCCESS) continue;
    for (auto index : indexes) {
      simdjson::dom::element index_schema;
      if (index["KeySchema"].get(index_schema) == simdjson::SUCCESS) add_key_schema(index_schema, keys);
    }
  }
  return keys;
}

}  // namespace dynaudit::proxy
