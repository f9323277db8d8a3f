// A label whose values come from traffic (table names, rule ids) must not
// let a caller create unbounded time series: one request with a random
// table name per second would otherwise grow every scrape forever. A
// BoundedLabels hands out ids to the first `capacity` distinct values
// (values named in the configuration first) and the id of "_other" to all
// later ones. Ids never change once given, so per-worker counters can be
// arrays indexed by them.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace dynaudit::metrics {

class BoundedLabels {
 public:
  // `reserved` get ids first and always keep them.
  BoundedLabels(std::size_t capacity, const std::vector<std::string>& reserved = {});

  // The id of `value`, giving it one while there is room. Thread-safe.
  std::uint32_t id(std::string_view value) { return intern(value).id; }
  // The id and the label's own copy of the value (valid as long as this
  // object; empty for "_other").
  struct Interned {
    std::uint32_t id;
    std::string_view stored;
  };
  Interned intern(std::string_view value);
  // The id every value past the capacity shares; its name is "_other".
  std::uint32_t other_id() const noexcept { return static_cast<std::uint32_t>(capacity_); }
  // Ids 0..capacity (the last is "_other"): how big an array indexed by id must be.
  std::size_t id_count() const noexcept { return capacity_ + 1; }
  // The name of each id given so far (index = id), "_other" not included.
  std::vector<std::string> names() const;
  static constexpr std::string_view kOther = "_other";

 private:
  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::deque<std::string> names_;  // a deque: the views in ids_ stay valid as it grows
  std::unordered_map<std::string_view, std::uint32_t> ids_;
};

// A worker's cache in front of a shared BoundedLabels: the lock is taken
// only the first time a worker meets a value (and for values past the
// capacity, which are not cached so the cache stays bounded too).
class LabelCache {
 public:
  explicit LabelCache(BoundedLabels& labels) : labels_(labels) {}
  std::uint32_t id(std::string_view value);

 private:
  BoundedLabels& labels_;
  std::unordered_map<std::string_view, std::uint32_t> cache_;  // views into labels_' values
};

}  // namespace dynaudit::metrics
