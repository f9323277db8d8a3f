// Writes items to the fleet table 25 at a time with BatchWriteItem, sending
// back what DynamoDB returns in UnprocessedItems, and backing off (doubling,
// with jitter, up to a maximum) on throttling, 5xx and network errors. It
// never drops an item: a call that keeps failing is retried until it works
// or the agent stops (the local store is the buffer). A batch DynamoDB
// refuses as invalid is split; an item refused alone is replaced by its
// stub (StubMaker), so that one poisoned record cannot stall shipping.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "fleet/dynamodb_client.hpp"

namespace dynaudit::fleet {

// Waits up to `duration`; false when the agent is stopping (give up now).
using Pause = std::function<bool(std::chrono::milliseconds)>;

struct Backoff {
  std::chrono::milliseconds initial{100};
  std::chrono::milliseconds max{30'000};
};

// Counters for /metrics and the heartbeat; updated by one writer thread,
// read from others.
struct WriteCounters {
  std::atomic<std::uint64_t> calls{0};
  std::atomic<std::uint64_t> throttled{0};        // throttling answers
  std::atomic<std::uint64_t> failed_calls{0};     // other errors (network, 5xx, 4xx)
  std::atomic<std::uint64_t> unprocessed{0};      // items DynamoDB handed back
  std::atomic<std::uint64_t> stubbed{0};          // items refused alone, shipped as stubs
  mutable std::mutex mutex;
  std::string last_error;  // "" after a call that worked
  std::chrono::system_clock::time_point last_error_at{};
  void set_error(std::string error);
  std::string error() const;
};

// The item to send instead of one the table refuses (ValidationException
// for that item alone); nullopt: keep retrying it.
using StubMaker = std::function<std::optional<std::string>(const std::string& item, const std::string& reason)>;

class BatchWriter {
 public:
  BatchWriter(DynamoDbClient& client, std::string table, Backoff backoff, WriteCounters& counters, Pause pause,
              StubMaker stub = {});
  // With several clients (lanes), the batches of one write() go out in
  // parallel, one lane per client: a distant table's round trip then
  // limits each lane, not the whole proxy. Each client is used by its own
  // thread only.
  BatchWriter(std::vector<DynamoDbClient*> lanes, std::string table, Backoff backoff, WriteCounters& counters,
              Pause pause, StubMaker stub = {});
  // Every item (DynamoDB-JSON objects) written; false only when stopping.
  bool write(const std::vector<std::string>& items);

 private:
  bool write_batch(DynamoDbClient& client, std::vector<std::string> items);
  std::vector<DynamoDbClient*> lanes_;
  std::string table_;
  Backoff backoff_;
  WriteCounters& counters_;
  Pause pause_;
  StubMaker stub_;
};

// The items in a BatchWriteItem answer's UnprocessedItems for `table`, as
// JSON text (empty when everything was written). False when the answer
// does not parse.
bool unprocessed_items(std::string_view answer, std::string_view table, std::vector<std::string>& items);

}  // namespace dynaudit::fleet
