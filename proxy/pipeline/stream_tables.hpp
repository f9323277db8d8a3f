// Which table a DynamoDB Streams shard iterator reads. Iterators are opaque,
// and a GetRecords call names nothing else, so rules and masks on a table
// would not see its stream. The proxy learns each iterator when it hands it
// out — GetShardIterator names its StreamArn, GetRecords returns the
// NextShardIterator of the same stream — and looks GetRecords calls up here.
// An iterator it never handed out is unknown: the pipeline then refuses the
// call rather than guess (a client gets a fresh iterator through the proxy).
// Bounded (LRU) and timed (iterators expire after 15 minutes at AWS); shared
// by every worker behind one mutex, touched by Streams calls only.
#pragma once

#include <chrono>
#include <cstddef>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace dynaudit::proxy {

class StreamIteratorTables {
 public:
  using Clock = std::chrono::steady_clock;

  StreamIteratorTables(std::size_t capacity, std::chrono::seconds ttl);

  void remember(std::string_view iterator, std::string_view table, Clock::time_point now = Clock::now());
  std::optional<std::string> table_of(std::string_view iterator, Clock::time_point now = Clock::now());
  std::size_t size() const;

 private:
  struct Entry {
    std::string iterator;
    std::string table;
    Clock::time_point learned;
  };

  void evict_expired(Clock::time_point now);

  const std::size_t capacity_;
  const std::chrono::seconds ttl_;
  mutable std::mutex mutex_;
  std::list<Entry> entries_;  // most recently used first
  std::unordered_map<std::string_view, std::list<Entry>::iterator> index_;  // keys view entries_' strings
};

// The iterator a Streams reply hands out: GetShardIterator's ShardIterator,
// GetRecords' NextShardIterator. nullopt when the body has none.
std::optional<std::string> iterator_in_reply(std::string_view operation, std::string_view body);

}  // namespace dynaudit::proxy
