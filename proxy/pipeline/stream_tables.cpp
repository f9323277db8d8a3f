// See stream_tables.hpp.
#include "proxy/pipeline/stream_tables.hpp"

#include <simdjson.h>

namespace dynaudit::proxy {

StreamIteratorTables::StreamIteratorTables(std::size_t capacity, std::chrono::seconds ttl)
    : capacity_(capacity == 0 ? 1 : capacity), ttl_(ttl) {}

void StreamIteratorTables::evict_expired(Clock::time_point now) {
  // The list is in use order, not age order, so expired entries can sit
  // anywhere; the oldest-used end is where most of them are.
  while (!entries_.empty() && now - entries_.back().learned > ttl_) {
    index_.erase(entries_.back().iterator);
    entries_.pop_back();
  }
}

void StreamIteratorTables::remember(std::string_view iterator, std::string_view table, Clock::time_point now) {
  if (iterator.empty() || table.empty()) return;
  std::lock_guard lock(mutex_);
  evict_expired(now);
  if (auto found = index_.find(iterator); found != index_.end()) {
    found->second->table = std::string(table);
    found->second->learned = now;
    entries_.splice(entries_.begin(), entries_, found->second);
    return;
  }
  entries_.push_front(Entry{std::string(iterator), std::string(table), now});
  index_.emplace(entries_.front().iterator, entries_.begin());
  while (entries_.size() > capacity_) {
    index_.erase(entries_.back().iterator);
    entries_.pop_back();
  }
}

std::optional<std::string> StreamIteratorTables::table_of(std::string_view iterator, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  const auto found = index_.find(iterator);
  if (found == index_.end()) return std::nullopt;
  if (now - found->second->learned > ttl_) {
    entries_.erase(found->second);
    index_.erase(found);
    return std::nullopt;
  }
  entries_.splice(entries_.begin(), entries_, found->second);
  return found->second->table;
}

std::size_t StreamIteratorTables::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

std::optional<std::string> iterator_in_reply(std::string_view operation, std::string_view body) {
  const std::string_view member = operation == "GetShardIterator" ? "ShardIterator" : "NextShardIterator";
  simdjson::dom::parser parser;
  simdjson::dom::object root;
  if (parser.parse(simdjson::padded_string(body)).get(root) != simdjson::SUCCESS) return std::nullopt;
  std::string_view iterator;
  if (root[member].get(iterator) != simdjson::SUCCESS || iterator.empty()) return std::nullopt;
  return std::string(iterator);
}

}  // namespace dynaudit::proxy
