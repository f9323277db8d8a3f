// BatchWriteItem with UnprocessedItems and backoff (see batch_writer.hpp).
#include "fleet/batch_writer.hpp"

#include <simdjson.h>

#include <algorithm>
#include <random>
#include <thread>

#include "storage/json_text.hpp"

namespace dynaudit::fleet {

void WriteCounters::set_error(std::string error) {
  std::lock_guard lock(mutex);
  if (!error.empty()) last_error_at = std::chrono::system_clock::now();
  last_error = std::move(error);
}

std::string WriteCounters::error() const {
  std::lock_guard lock(mutex);
  return last_error;
}

bool unprocessed_items(std::string_view answer, std::string_view table, std::vector<std::string>& items) {
  items.clear();
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(answer.data(), answer.size()).get(doc)) return false;
  simdjson::dom::object unprocessed;
  if (doc["UnprocessedItems"].get_object().get(unprocessed)) return true;  // absent: all written
  simdjson::dom::array requests;
  if (unprocessed[table].get_array().get(requests)) return true;
  for (auto request : requests) {
    simdjson::dom::element item;
    if (request["PutRequest"]["Item"].get(item)) return false;
    items.push_back(simdjson::minify(item));
  }
  return true;
}

BatchWriter::BatchWriter(DynamoDbClient& client, std::string table, Backoff backoff, WriteCounters& counters,
                         Pause pause, StubMaker stub)
    : BatchWriter(std::vector<DynamoDbClient*>{&client}, std::move(table), backoff, counters, std::move(pause),
                  std::move(stub)) {}

BatchWriter::BatchWriter(std::vector<DynamoDbClient*> lanes, std::string table, Backoff backoff,
                         WriteCounters& counters, Pause pause, StubMaker stub)
    : lanes_(std::move(lanes)), table_(std::move(table)), backoff_(backoff), counters_(counters),
      pause_(std::move(pause)), stub_(std::move(stub)) {}

bool BatchWriter::write(const std::vector<std::string>& items) {
  std::vector<std::vector<std::string>> batches;
  for (std::size_t at = 0; at < items.size(); at += 25) {
    const auto end = items.begin() + static_cast<std::ptrdiff_t>(std::min(items.size(), at + 25));
    batches.emplace_back(items.begin() + static_cast<std::ptrdiff_t>(at), end);
  }
  const std::size_t lanes = std::min(lanes_.size(), batches.size());
  if (lanes <= 1) {
    for (auto& batch : batches)
      if (!write_batch(*lanes_.front(), std::move(batch))) return false;
    return true;
  }
  // Each lane takes the next batch not yet taken; the round is written
  // when every lane is done (the cursor moves only then).
  std::atomic<std::size_t> next{0};
  std::atomic<bool> stopped{false};
  std::vector<std::thread> threads;
  threads.reserve(lanes);
  for (std::size_t lane = 0; lane < lanes; ++lane) {
    threads.emplace_back([&, lane] {
      for (std::size_t i = next++; i < batches.size() && !stopped; i = next++) {
        if (!write_batch(*lanes_[lane], std::move(batches[i]))) stopped = true;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  return !stopped;
}

bool BatchWriter::write_batch(DynamoDbClient& client, std::vector<std::string> items) {
  thread_local std::mt19937 random{std::random_device{}()};
  auto delay = backoff_.initial;
  // Full jitter: proxies throttled together do not come back together.
  const auto wait = [&]() {
    std::uniform_int_distribution<long long> spread(delay.count() / 2, std::max<long long>(delay.count(), 1));
    const bool go_on = pause_(std::chrono::milliseconds(spread(random)));
    delay = std::min(backoff_.max, delay * 2);
    return go_on;
  };
  while (!items.empty()) {
    std::string body = "{\"RequestItems\":{";
    storage::json::append_string(body, table_);
    body += ":[";
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (i > 0) body += ',';
      body += "{\"PutRequest\":{\"Item\":";
      body += items[i];
      body += "}}";
    }
    body += "]}}";
    ++counters_.calls;
    const auto reply = client.call("BatchWriteItem", body);
    if (!reply.ok && reply.error_type == "ValidationException" && stub_) {
      // Invalid for one of the items (an index key too long, an item over
      // 400 KB): find which, alone, and ship its stub instead.
      if (items.size() > 1) {
        for (auto& item : items)
          if (!write_batch(client, {std::move(item)})) return false;
        return true;
      }
      auto stub = stub_(items.front(), reply.message);
      if (stub && *stub != items.front()) {
        ++counters_.stubbed;
        counters_.set_error("BatchWriteItem: an item refused (" + reply.message + "): shipped as a stub");
        items = {std::move(*stub)};
        continue;
      }
    }
    if (!reply.ok) {
      if (reply.throttled) ++counters_.throttled;
      else ++counters_.failed_calls;
      counters_.set_error("BatchWriteItem: " + reply.error_type + (reply.message.empty() ? "" : ": " + reply.message));
      if (!wait()) return false;
      continue;
    }
    std::vector<std::string> left;
    if (!unprocessed_items(reply.body, table_, left)) {
      ++counters_.failed_calls;
      counters_.set_error("BatchWriteItem: an answer that does not parse");
      if (!wait()) return false;
      continue;  // the same items again: writing twice is harmless
    }
    counters_.set_error({});
    if (left.empty()) return true;
    counters_.unprocessed += left.size();
    items = std::move(left);
    if (!wait()) return false;
  }
  return true;
}

}  // namespace dynaudit::fleet
