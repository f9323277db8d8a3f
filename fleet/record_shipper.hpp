// Ships a proxy's committed records and checkpoints to the fleet table, off
// the request path: it reads what the store committed (the store is the
// buffer, so a slow or absent table never reaches a client), writes rounds with BatchWriter, and moves the cursor only after
// the table acknowledged a whole round. A record's day bucket is its
// event day, but never earlier than the previous record's, so that the
// chain reads in order day by day (fleet_verify.hpp).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "fleet/batch_writer.hpp"
#include "fleet/ship_cursor.hpp"

namespace dynaudit::storage {
class AuditStore;
struct AuditQuery;
struct AuditEvent;
struct Checkpoint;
}

namespace dynaudit::fleet {

// Where the shipper reads committed records: the serving process's own
// store (no replay of the write-ahead log, as a read-only secondary would
// pay for every record), or a read-only reader of a store's folder.
class RecordSource {
 public:
  virtual ~RecordSource() = default;
  // See what was committed since the last call.
  virtual bool catch_up(std::string& error) = 0;
  virtual std::uint64_t head() = 0;  // the newest committed sequence
  virtual bool query(const storage::AuditQuery& query, const std::function<bool(const storage::AuditEvent&)>& each,
                     std::string& error) = 0;
  virtual bool checkpoints_from(std::uint64_t sequence, std::uint64_t after_number,
                                const std::function<bool(const storage::Checkpoint&)>& each, std::string& error) = 0;
};
std::unique_ptr<RecordSource> store_source(const storage::AuditStore& store);
std::unique_ptr<RecordSource> reader_source(const std::string& store_path, std::string& error);

struct ShipperOptions {
  std::string proxy_id;
  std::string table;
  const storage::AuditStore* store = nullptr;  // serve's own store; null: open store_path read-only
  std::string store_path;
  std::string cursor_file;
  std::size_t round_records = 500;      // records read and written per round
  std::chrono::seconds retention{0};    // TTL on shipped items; 0: none
  std::function<void(const std::string& level, const std::string& message)> log;
  Backoff backoff;
};

struct ShipperState {
  std::uint64_t shipped_sequence = 0;  // the cursor
  std::string shipped_hash;
  std::string shipped_day;
  std::string first_day;
  std::uint64_t head_sequence = 0;     // the store's newest record when last looked
  std::int64_t oldest_unshipped_ms = 0;  // event time of the first record not yet shipped; 0: none
  std::uint64_t shipped_records = 0;   // since start
  std::uint64_t shipped_checkpoints = 0;
  std::string problem;                 // why shipping stopped or stalls ("" when fine)
  std::string unshipped_gaps;          // "41-57,90-99": records that left the store unshipped
};

class RecordShipper {
 public:
  // `lanes`: one client per parallel batch (see BatchWriter).
  RecordShipper(ShipperOptions options, std::vector<DynamoDbClient*> lanes, WriteCounters& counters, Pause pause);
  ~RecordShipper();
  // Loads the cursor and opens the record source.
  bool open(std::string& error);
  // Ships everything committed so far, round after round; returns when
  // caught up, when stopping, or on a problem that waiting will not fix
  // (the store does not continue the shipped chain).
  void ship_available();
  ShipperState state() const;

 private:
  bool ship_round(bool& more);
  bool ship_checkpoints(std::string& error);
  void set_problem(std::string problem);
  void show_cursor();  // cursor_ into state_; mutex_ held

  ShipperOptions options_;
  WriteCounters& counters_;
  Pause pause_;
  BatchWriter writer_;
  std::unique_ptr<RecordSource> source_;
  ShipCursor cursor_;
  mutable std::mutex mutex_;
  ShipperState state_;
};

}  // namespace dynaudit::fleet
