// RateState: sliding-window counters in 16 mutex-guarded shards. Each
// (rule, key) pair has a current and a previous fixed window; the total
// weighs the previous window by how much of it still lies inside the
// sliding window. Keys are 64-bit hashes, so counting allocates only when a
// new key first appears; stale entries are swept every few thousand adds.
#include "rules/rate_state.hpp"

#include <array>
#include <mutex>
#include <unordered_map>

namespace dynaudit::rules {
namespace {

constexpr std::size_t kShards = 16;
constexpr std::uint64_t kSweepEvery = 4096;

std::uint64_t fnv1a(std::uint64_t h, std::string_view s) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

std::uint64_t mix(std::uint64_t x) {  // splitmix64 finaliser, spreads bits over shards
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

struct Entry {
  std::int64_t window_seconds = 0;
  std::int64_t window_index = 0;  // floor(now / window) of `current`
  std::uint64_t current = 0;
  std::uint64_t previous = 0;
};

struct Shard {
  std::mutex mutex;
  std::unordered_map<std::uint64_t, Entry> entries;
  std::uint64_t adds = 0;
};

}  // namespace

struct RateState::Shards {
  std::array<Shard, kShards> shards;
};

RateState::RateState() : shards_(std::make_unique<Shards>()) {}
RateState::~RateState() = default;

std::uint64_t RateState::add(std::string_view rule_id, std::string_view key, std::uint64_t amount,
                             std::chrono::seconds window, std::chrono::system_clock::time_point now) {
  std::uint64_t h = fnv1a(0xcbf29ce484222325ULL, rule_id);
  h = fnv1a(h ^ 0xff, "\x1f");
  h = mix(fnv1a(h, key));
  const std::int64_t w = window.count() > 0 ? window.count() : 1;
  const std::int64_t t = std::chrono::floor<std::chrono::milliseconds>(now.time_since_epoch()).count();
  const std::int64_t wms = w * 1000;
  const std::int64_t index = floor_div(t, wms);
  const std::int64_t into = t - index * wms;  // milliseconds into the current window

  Shard& shard = shards_->shards[h % kShards];
  std::lock_guard<std::mutex> lock(shard.mutex);
  if (++shard.adds % kSweepEvery == 0) {
    for (auto it = shard.entries.begin(); it != shard.entries.end();) {
      const Entry& e = it->second;
      const std::int64_t now_index = floor_div(t, e.window_seconds * 1000);
      if (now_index > e.window_index + 1) it = shard.entries.erase(it);
      else ++it;
    }
  }
  Entry& e = shard.entries[h];
  if (e.window_seconds != w) {
    e = Entry{w, index, 0, 0};
  } else if (index == e.window_index + 1) {
    e.previous = e.current;
    e.current = 0;
    e.window_index = index;
  } else if (index > e.window_index + 1) {
    e.previous = 0;
    e.current = 0;
    e.window_index = index;
  }
  // A time point older than the current window (clock step back) counts in the current one.
  e.current += amount;
  const double weight = static_cast<double>(wms - into) / static_cast<double>(wms);
  const auto prev_part = static_cast<std::uint64_t>(static_cast<double>(e.previous) * weight);
  return e.current + prev_part;
}

}  // namespace dynaudit::rules
