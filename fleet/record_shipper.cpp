// Shipping rounds from the local store to the fleet table (see record_shipper.hpp).
#include "fleet/record_shipper.hpp"

#include <algorithm>
#include <type_traits>
#include <vector>

#include "fleet/fleet_table.hpp"
#include "storage/audit_reader.hpp"

namespace dynaudit::fleet {
namespace {

std::int64_t ms_of(const storage::AuditEvent& record) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(record.event_time.time_since_epoch()).count();
}

// Over the serving process's AuditStore (always current: it is the
// writer's own view) or over a read-only AuditReader (refreshed per pass).
template <class Store>
class StoreRecordSource final : public RecordSource {
 public:
  StoreRecordSource(const Store& store, std::unique_ptr<Store> owned) : store_(store), owned_(std::move(owned)) {}
  bool catch_up(std::string& error) override {
    if constexpr (std::is_same_v<Store, storage::AuditReader>) return owned_->refresh(error);
    return true;
  }
  std::uint64_t head() override { return store_.stats().last_sequence; }
  bool query(const storage::AuditQuery& query, const std::function<bool(const storage::AuditEvent&)>& each,
             std::string& error) override {
    return store_.query(query, each, error);
  }
  bool checkpoints_from(std::uint64_t sequence, std::uint64_t after_number,
                        const std::function<bool(const storage::Checkpoint&)>& each, std::string& error) override {
    return store_.checkpoints_from(sequence, after_number, each, error);
  }

 private:
  const Store& store_;
  std::unique_ptr<Store> owned_;  // the reader this source opened; null over serve's store
};

}  // namespace

std::unique_ptr<RecordSource> store_source(const storage::AuditStore& store) {
  return std::make_unique<StoreRecordSource<storage::AuditStore>>(store, nullptr);
}

std::unique_ptr<RecordSource> reader_source(const std::string& store_path, std::string& error) {
  auto reader = storage::AuditReader::open(store_path, error);
  if (!reader) return nullptr;
  const auto& view = *reader;
  return std::make_unique<StoreRecordSource<storage::AuditReader>>(view, std::move(reader));
}

RecordShipper::RecordShipper(ShipperOptions options, std::vector<DynamoDbClient*> lanes, WriteCounters& counters,
                             Pause pause)
    : options_(std::move(options)), counters_(counters), pause_(std::move(pause)),
      writer_(std::move(lanes), options_.table, options_.backoff, counters_, pause_,
              [](const std::string& item, const std::string& reason) { return stub_item(item, reason); }) {}

RecordShipper::~RecordShipper() = default;

bool RecordShipper::open(std::string& error) {
  if (!load_cursor(options_.cursor_file, cursor_, error)) return false;
  source_ = options_.store != nullptr ? store_source(*options_.store) : reader_source(options_.store_path, error);
  if (!source_) {
    error = "cannot open the audit store to ship it: " + error;
    return false;
  }
  std::lock_guard lock(mutex_);
  show_cursor();
  return true;
}

void RecordShipper::show_cursor() {
  state_.shipped_sequence = cursor_.sequence;
  state_.shipped_hash = cursor_.hash;
  state_.shipped_day = cursor_.day;
  state_.first_day = cursor_.first_day;
}

ShipperState RecordShipper::state() const {
  std::lock_guard lock(mutex_);
  return state_;
}

void RecordShipper::set_problem(std::string problem) {
  std::lock_guard lock(mutex_);
  state_.problem = std::move(problem);
}

void RecordShipper::ship_available() {
  std::string error;
  if (!source_->catch_up(error)) {
    set_problem("cannot read the audit store: " + error);
    return;
  }
  const std::uint64_t head = source_->head();
  {
    std::lock_guard lock(mutex_);
    state_.head_sequence = head;
  }
  if (head < cursor_.sequence) {
    set_problem("the store ends at record " + std::to_string(head) + ", before the shipped record " +
                std::to_string(cursor_.sequence) + ": it was replaced or rolled back; shipping stopped");
    return;
  }
  bool more = true;
  while (more) {
    if (!pause_(std::chrono::milliseconds(0))) return;  // stopping: not one more round of a backlog
    if (!ship_round(more)) return;
  }
}

bool RecordShipper::ship_round(bool& more) {
  more = false;
  storage::AuditQuery query;
  query.after_sequence = cursor_.sequence;
  query.limit = options_.round_records;
  std::vector<std::string> items;
  items.reserve(options_.round_records);
  ShipCursor next = cursor_;
  std::size_t read = 0;
  std::size_t shipped_records = 0;
  const std::string tomorrow = day_of(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count() +
      86'400'000);
  std::string broken;
  std::string error;
  const std::int64_t expires_at =
      options_.retention.count() > 0
          ? std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
                    .count() + options_.retention.count()
          : 0;
  // Copied out first, items built after: the store's handle is held only
  // while reading (analytics and the writer's recovery probe share it).
  std::vector<storage::AuditEvent> records;
  records.reserve(options_.round_records);
  const bool read_ok = source_->query(query, [&](const storage::AuditEvent& record) {
    records.push_back(record);
    return true;
  }, error);
  if (!read_ok) {
    set_problem("cannot read the audit store: " + error);
    return false;
  }
  read = records.size();
  if (!records.empty()) {
    std::lock_guard lock(mutex_);
    state_.oldest_unshipped_ms = ms_of(records.front());
  }
  if (!records.empty() && records.front().sequence > next.sequence + 1) {
    // Removed from the store (audit prune) before they were shipped: the
    // table will lack them for good. Said, counted, and shipping goes on.
    const std::string gap = std::to_string(next.sequence + 1) + "-" + std::to_string(records.front().sequence - 1);
    {
      std::lock_guard lock(mutex_);
      state_.unshipped_gaps += (state_.unshipped_gaps.empty() ? "" : ",") + gap;
    }
    if (options_.log) options_.log("error", "fleet shipping: records " + gap +
                                                " left the store before they were shipped (pruned?); the fleet table "
                                                "will lack them");
    next.hash.clear();  // nothing to link to across the hole
  }
  for (const auto& record : records) {
    // The store must continue the chain the table already has: a store
    // swapped or rolled back under the proxy is not shipped over it.
    if (!next.hash.empty() && record.sequence == next.sequence + 1 && record.previous_hash != next.hash) {
      broken = "record " + std::to_string(record.sequence) + " does not link to shipped record " +
               std::to_string(next.sequence) + ": the store does not continue the shipped chain";
      break;
    }
    // A record's bucket is its day, never before the previous record's
    // (the chain reads in order), and never past tomorrow: one record
    // from a clock far ahead must not drag every later one with it.
    std::string day = std::min(day_of(ms_of(record)), tomorrow);
    if (day < next.day) day = next.day;
    if (next.first_day.empty()) next.first_day = day;
    for (auto& item : record_items(options_.proxy_id, day, record, storage::to_json(record), expires_at))
      items.push_back(std::move(item));
    ++shipped_records;
    next.sequence = record.sequence;
    next.hash = record.hash;
    next.day = std::move(day);
  }
  if (!broken.empty()) {
    set_problem(broken);
    return false;
  }
  if (!items.empty()) {
    if (!writer_.write(items)) return false;  // stopping
  }
  std::string checkpoint_error;
  ShipCursor before = cursor_;
  cursor_ = next;
  const std::uint64_t shipped_checkpoints_before = cursor_.checkpoint_number;
  if (!ship_checkpoints(checkpoint_error)) {
    if (!checkpoint_error.empty()) set_problem(checkpoint_error);
    // The records are in the table: keep the cursor for them.
  }
  if (!items.empty() || cursor_.checkpoint_number != before.checkpoint_number) {
    if (!save_cursor(options_.cursor_file, cursor_, error)) {
      set_problem("cannot save the shipping cursor: " + error);
      return false;
    }
  }
  {
    std::lock_guard lock(mutex_);
    show_cursor();
    state_.shipped_records += shipped_records;
    state_.shipped_checkpoints += cursor_.checkpoint_number - shipped_checkpoints_before;
    if (read < options_.round_records) state_.oldest_unshipped_ms = 0;
    if (checkpoint_error.empty()) state_.problem.clear();
  }
  more = read == options_.round_records;
  return true;
}

bool RecordShipper::ship_checkpoints(std::string& error) {
  // Only checkpoints over records already in the table: the table's chain
  // then always reaches what its checkpoints claim.
  std::vector<storage::Checkpoint> due;
  if (!source_->checkpoints_from(cursor_.checkpoint_sequence, cursor_.checkpoint_number,
                                 [&](const storage::Checkpoint& checkpoint) {
                                   if (checkpoint.last_sequence > cursor_.sequence) return false;
                                   due.push_back(checkpoint);
                                   return due.size() < 250;
                                 },
                                 error)) {
    return false;
  }
  if (due.empty()) return true;
  const std::int64_t expires_at = 0;  // checkpoints are small and kept: they prove silence too
  std::vector<std::string> items;
  for (const auto& checkpoint : due) items.push_back(checkpoint_item(options_.proxy_id, checkpoint, expires_at));
  if (!writer_.write(items)) return false;
  cursor_.checkpoint_number = due.back().number;
  cursor_.checkpoint_sequence = due.back().last_sequence;
  return true;
}

}  // namespace dynaudit::fleet
