// The fleet chain check (see fleet_verify.hpp).
#include "fleet/fleet_verify.hpp"

#include <algorithm>
#include <map>

#include "fleet/fleet_table.hpp"
#include "storage/checkpoint_signing.hpp"
#include "storage/hash_chain.hpp"

namespace dynaudit::fleet {
namespace {

// Collects problems of one kind into ranges of consecutive sequences:
// "missing records 41-57", "record 60 altered (...)".
class RangeList {
 public:
  RangeList(std::string prefix, std::string suffix) : prefix_(std::move(prefix)), suffix_(std::move(suffix)) {}
  void add(std::uint64_t from, std::uint64_t to) {
    if (!ranges_.empty() && ranges_.back().second + 1 == from) ranges_.back().second = to;
    else ranges_.emplace_back(from, to);
  }
  void report(std::vector<std::string>& problems) const {
    for (const auto& [from, to] : ranges_) {
      std::string text = prefix_ + (from == to ? "record " + std::to_string(from)
                                               : "records " + std::to_string(from) + "-" + std::to_string(to));
      problems.push_back(text + suffix_);
    }
  }

 private:
  std::string prefix_;
  std::string suffix_;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges_;
};

bool is_day(const std::string& day) {
  if (day.size() != 10 || day[4] != '-' || day[7] != '-') return false;
  for (std::size_t i : {0u, 1u, 2u, 3u, 5u, 6u, 8u, 9u})
    if (day[i] < '0' || day[i] > '9') return false;
  return true;
}

}  // namespace

bool verify_fleet(DynamoDbClient& client, const std::string& table, const std::vector<std::string>& public_key_files,
                  std::chrono::seconds retention, std::vector<ProxyVerdict>& out, std::string& error) {
  out.clear();
  std::vector<storage::PkeyPtr> keys;
  for (const auto& file : public_key_files) {
    auto key = storage::load_public_key_file(file, error);
    if (!key) {
      error = file + ": " + error;
      return false;
    }
    keys.push_back(std::move(key));
  }
  std::vector<ProxyHeartbeat> proxies;
  if (!read_heartbeats(client, table, proxies, error)) return false;
  const std::int64_t now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  const std::string today = day_of(now_ms);
  for (const auto& proxy : proxies) {
    ProxyVerdict verdict;
    verdict.proxy = proxy.proxy;
    std::vector<storage::Checkpoint> checkpoints;
    std::string checkpoint_error;
    if (!read_checkpoints(client, table, proxy.proxy, checkpoints, checkpoint_error)) {
      // One proxy's unreadable checkpoint is that proxy's problem, not the fleet's.
      verdict.problems.push_back("its checkpoints cannot be read: " + checkpoint_error);
      checkpoints.clear();
    }
    std::map<std::uint64_t, std::string> hash_at;  // the chain's hash at each checkpointed sequence
    for (const auto& c : checkpoints)
      if (c.last_sequence > 0) hash_at[c.last_sequence];
    RangeList missing("missing ", "");
    RangeList expired("", " not in the table: expired (fleet.retention) and removed by the table's TTL");
    RangeList altered("", " altered (the hash does not recompute from the text)");
    RangeList unlinked("", " not linked to the record before (previousHash differs)");
    RangeList unreadable("", " shipped without text (too large or refused by the table): hashes only");
    std::vector<std::pair<std::uint64_t, std::uint64_t>> excused;  // expired ranges
    // The first checkpoint filed at or after `last` (its time is not earlier
    // than that record's) is older than the retention.
    const auto older_than_retention = [&](std::uint64_t, std::uint64_t last) {
      for (const auto& c : checkpoints)
        if (c.last_sequence >= last)
          return c.time_ms <= now_ms - std::chrono::duration_cast<std::chrono::milliseconds>(retention).count();
      return false;
    };
    std::uint64_t expected = 1;
    std::string previous_hash;
    storage::AuditEvent record;
    // The walk's days come from the heartbeat, which anyone with write
    // access could rewrite: a day that is not one, or lies years away, is
    // named and bounded (the first checkpoint's day, tomorrow) instead.
    const std::string tomorrow = next_day(today);
    const std::string oldest_plausible = day_of(now_ms - 20LL * 366 * 86'400'000);
    std::string first_day = proxy.first_day;
    if (!first_day.empty() && (!is_day(first_day) || first_day < oldest_plausible || first_day > tomorrow)) {
      verdict.problems.push_back("the heartbeat names an impossible first day '" + first_day.substr(0, 40) + "'");
      first_day.clear();
    }
    if (!checkpoints.empty()) {
      const std::string checkpoint_day = day_of(checkpoints.front().time_ms);
      if (is_day(checkpoint_day) && checkpoint_day >= oldest_plausible &&
          (first_day.empty() || checkpoint_day < first_day))
        first_day = checkpoint_day;
    }
    if (!first_day.empty()) {
      std::string last_day = tomorrow;
      if (is_day(proxy.shipped_day) && proxy.shipped_day > last_day && proxy.shipped_day <= next_day(tomorrow))
        last_day = proxy.shipped_day;
      if (!read_proxy_records(client, table, proxy.proxy, first_day, last_day, [&](FleetRecord&& r) {
            if (r.sequence < expected) {
              altered.add(r.sequence, r.sequence);  // out of order: a copy under another day
              return true;
            }
            if (r.sequence > expected) {
              // The TTL removes the oldest records: a hole at the start of
              // the chain (or right after another such hole) whose newest
              // record a checkpoint older than the retention covers is its
              // work. Checkpoint times are signed (and kept without TTL);
              // an item's `exp` is not, so it proves nothing.
              const bool at_start = verdict.records == 0;
              if (retention.count() > 0 && at_start && older_than_retention(expected, r.sequence - 1)) {
                expired.add(expected, r.sequence - 1);
                excused.emplace_back(expected, r.sequence - 1);
              } else {
                missing.add(expected, r.sequence - 1);
              }
              previous_hash.clear();  // the link over a hole cannot be checked
            }
            ++verdict.records;
            if (verdict.first_sequence == 0) verdict.first_sequence = r.sequence;
            verdict.last_sequence = r.sequence;
            if (r.big) {
              unreadable.add(r.sequence, r.sequence);
            } else {
              const bool parsed = storage::parse_record(r.text, record) && record.sequence == r.sequence;
              const auto recomputed =
                  parsed ? storage::chain_hash(record.previous_hash, storage::to_json(record, false)) : std::nullopt;
              if (!parsed || !recomputed || *recomputed != record.hash || record.hash != r.hash ||
                  record.previous_hash != r.previous_hash) {
                altered.add(r.sequence, r.sequence);
              }
            }
            if (!previous_hash.empty() && r.previous_hash != previous_hash) unlinked.add(r.sequence, r.sequence);
            if (auto it = hash_at.find(r.sequence); it != hash_at.end()) it->second = r.hash;
            previous_hash = r.hash;
            expected = r.sequence + 1;
            return true;
          }, error))
        return false;
    }
    if (proxy.shipped >= expected) missing.add(expected, proxy.shipped);
    missing.report(verdict.problems);
    altered.report(verdict.problems);
    unlinked.report(verdict.problems);
    expired.report(verdict.notes);
    unreadable.report(verdict.notes);
    if (proxy.shipped > 0 && verdict.last_sequence == proxy.shipped && !proxy.shipped_hash.empty() &&
        previous_hash != proxy.shipped_hash)
      verdict.problems.push_back("the newest record's hash is not the one the proxy's heartbeat names");
    for (const auto& c : checkpoints) {
      ++verdict.checkpoints;
      if (c.last_sequence > 0) {
        const auto& hash = hash_at[c.last_sequence];
        const bool expired_record = std::any_of(excused.begin(), excused.end(), [&](const auto& range) {
          return c.last_sequence >= range.first && c.last_sequence <= range.second;
        });
        if (hash.empty() && expired_record) {
          // its record expired: nothing left to compare
        } else if (hash.empty())
          verdict.problems.push_back("checkpoint " + std::to_string(c.number) + " covers record " +
                                     std::to_string(c.last_sequence) + ", which the table lacks");
        else if (hash != c.last_hash)
          verdict.problems.push_back("checkpoint " + std::to_string(c.number) + " does not match record " +
                                     std::to_string(c.last_sequence) + "'s hash");
      }
      if (!keys.empty()) {
        const auto bytes = storage::checkpoint_signed_bytes(c);
        const bool signed_ok = std::any_of(keys.begin(), keys.end(), [&](const storage::PkeyPtr& key) {
          return storage::verify_ed25519(key.get(), bytes, c.signature);
        });
        if (signed_ok) ++verdict.signatures_checked;
        else verdict.problems.push_back("checkpoint " + std::to_string(c.number) + " has a bad signature");
      }
    }
    out.push_back(std::move(verdict));
  }
  return true;
}

}  // namespace dynaudit::fleet
