// AuditReader: opens the store as a RocksDB secondary instance, which reads
// while `dynaudit serve` holds the store and catches up on refresh(); or
// exclusively for pruning. Queries, verification and pruning live in
// query_plan.cpp, chain_verifier.cpp and prune.cpp.
#include "storage/audit_reader.hpp"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <random>

#include "storage/chain_verifier.hpp"
#include "storage/checkpoint_signing.hpp"
#include "storage/event_lookup.hpp"
#include "storage/key_encoding.hpp"
#include "storage/prune.hpp"
#include "storage/query_plan.hpp"
#include "storage/rocks_handle.hpp"
#include "storage/store_head.hpp"
#include "storage/time_format.hpp"

namespace dynaudit::storage {
namespace {

// A secondary instance needs a folder of its own for its log and state;
// one per reader, removed when the reader closes.
std::string private_folder(std::string& error) {
  static std::atomic<unsigned> counter{0};
  std::random_device random;
  std::error_code failed;
  const auto base = std::filesystem::temp_directory_path(failed);
  if (failed) {
    error = "no temporary folder for the audit reader: " + failed.message();
    return {};
  }
  const auto folder = base / ("dynaudit-reader-" + std::to_string(::getpid()) + "-" +
                              std::to_string(counter++) + "-" + std::to_string(random()));
  if (!std::filesystem::create_directories(folder, failed) || failed) {
    error = "cannot create " + folder.string() + ": " + failed.message();
    return {};
  }
  return folder.string();
}

}  // namespace

struct AuditReader::Impl {
  std::unique_ptr<RocksHandle> rocks;
  std::string private_folder;  // secondary mode only

  ~Impl() {
    rocks.reset();  // close before its folder goes
    if (!private_folder.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(private_folder, ignored);
    }
  }
};

std::unique_ptr<AuditReader> AuditReader::open(const std::string& path, std::string& error, bool* damaged) {
  if (damaged) *damaged = false;
  // RocksDB would create a missing store even for a secondary; refuse first.
  if (!std::filesystem::exists(std::filesystem::path(path) / "CURRENT")) {
    error = "no audit store at " + path;
    return nullptr;
  }
  auto impl = std::make_unique<Impl>();
  impl->private_folder = private_folder(error);
  if (impl->private_folder.empty()) return nullptr;
  if (!check_store_files(path, impl->private_folder, error)) {
    if (damaged) *damaged = true;
    return nullptr;
  }
  impl->rocks = RocksHandle::open({path, OpenMode::secondary, nullptr, impl->private_folder}, error);
  if (!impl->rocks) return nullptr;
  return std::unique_ptr<AuditReader>(new AuditReader(std::move(impl)));
}

std::unique_ptr<AuditReader> AuditReader::open_for_prune(const std::string& path, std::string& error) {
  if (!std::filesystem::exists(std::filesystem::path(path) / "CURRENT")) {
    error = "no audit store at " + path;
    return nullptr;
  }
  auto impl = std::make_unique<Impl>();
  impl->rocks = RocksHandle::open({path, OpenMode::exclusive, nullptr, {}}, error);
  if (!impl->rocks) return nullptr;
  return std::unique_ptr<AuditReader>(new AuditReader(std::move(impl)));
}

AuditReader::AuditReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AuditReader::~AuditReader() = default;

std::optional<AuditEvent> AuditReader::find_event(std::string_view event_id, std::string* error) const {
  std::string why;
  auto event = find_event_by_id(*impl_->rocks, event_id, why);
  if (error) *error = std::move(why);
  return event;
}

bool AuditReader::query(const AuditQuery& q, const std::function<bool(const AuditEvent&)>& each,
                        std::string& error) const {
  return run_query(*impl_->rocks, q, each, error);
}

bool AuditReader::refresh(std::string& error) {
  const auto status = impl_->rocks->catch_up();
  if (!status.ok()) error = "cannot refresh the audit store: " + status.ToString();
  return status.ok();
}

VerifyReport AuditReader::verify(const std::string& public_key_file,
                                 const std::function<void(const VerifyProgress&)>& progress,
                                 RecordVisitor* visitor, bool check_indexes) const {
  return verify_chain(*impl_->rocks, public_key_file, progress, visitor, check_indexes);
}

bool AuditReader::count_by_hour(std::string_view decision, std::chrono::system_clock::time_point since,
                                std::chrono::system_clock::time_point until, std::size_t max_entries,
                                std::vector<std::uint64_t>& hours, bool& capped, std::string& error) const {
  const std::int64_t from = ceil_unix_ms(since), to = ceil_unix_ms(until);
  constexpr std::int64_t kHourMs = 3'600'000;
  hours.assign(to > from ? static_cast<std::size_t>((to - from + kHourMs - 1) / kHourMs) : 0, 0);
  capped = false;
  const RocksHandle& rocks = *impl_->rocks;
  const std::string prefix = keys::value_index_prefix(keys::decision_value(decision));
  std::string lower = prefix, upper = prefix;
  keys::append_be64(lower, keys::sortable_time(from));
  keys::append_be64(upper, keys::sortable_time(to));
  rocksdb::ReadOptions options = checked_read_options();
  rocksdb::Slice upper_slice(upper);
  options.iterate_upper_bound = &upper_slice;
  const std::unique_ptr<rocksdb::Iterator> it(rocks.db()->NewIterator(options, rocks.index_family(IndexFamily::outcome)));
  std::size_t read = 0;
  for (it->Seek(lower); it->Valid(); it->Next()) {
    if (++read > max_entries) {
      capped = true;
      break;
    }
    const auto tail = keys::index_key_tail(it->key().ToStringView());
    if (!tail) continue;
    const auto slot = static_cast<std::size_t>((tail->time_ms - from) / kHourMs);
    if (slot < hours.size()) ++hours[slot];
  }
  if (!it->status().ok()) {
    error = "cannot read the outcome index: " + it->status().ToString();
    return false;
  }
  return true;
}

std::optional<Checkpoint> AuditReader::checkpoint_covering(std::uint64_t sequence, std::string& error) const {
  const RocksHandle& rocks = *impl_->rocks;
  const std::unique_ptr<rocksdb::Iterator> it(
      rocks.db()->NewIterator(checked_read_options(), rocks.family(Family::checkpoints)));
  it->Seek(keys::checkpoint_key(sequence, 0));
  if (!it->Valid()) {
    if (!it->status().ok()) error = "cannot read the checkpoints: " + it->status().ToString();
    return std::nullopt;
  }
  return parse_checkpoint(it->value().ToStringView());
}

bool AuditReader::checkpoints_from(std::uint64_t sequence, std::uint64_t after_number,
                                   const std::function<bool(const Checkpoint&)>& each, std::string& error) const {
  return scan_checkpoints(*impl_->rocks, sequence, after_number, each, error);
}

StoreStats AuditReader::stats() const {
  StoreStats stats;
  const RocksHandle& rocks = *impl_->rocks;
  ChainMeta meta;
  std::string error;
  if (!read_chain_meta(rocks, meta, error)) {
    stats.healthy = false;
    stats.problem = "cannot read the chain state: " + error;
    return stats;
  }
  stats.last_sequence = meta.last_sequence;
  // Checkpoints are never pruned, so meta's count is how many there are
  // (verify checks that they are all there); counting them would read a
  // year of one-a-second checkpoints.
  stats.checkpoints = meta.checkpoint_count;
  const std::unique_ptr<rocksdb::Iterator> records(
      rocks.db()->NewIterator(checked_read_options(), rocks.family(Family::records)));
  records->SeekToFirst();
  if (!records->status().ok()) {
    stats.healthy = false;
    stats.problem = "cannot read the records: " + records->status().ToString();
    return stats;
  }
  const bool has_records = meta.last_sequence >= meta.anchor_sequence;
  if (records->Valid() != has_records) {
    stats.healthy = false;
    stats.problem = has_records ? "the store's head is record " + std::to_string(meta.last_sequence) +
                                      " but it holds no records"
                                : "the store holds records beyond its head";
    return stats;
  }
  if (records->Valid()) {
    const auto first = keys::sequence_from_record_key(records->key().ToStringView());
    if (!first || *first != meta.anchor_sequence) {
      stats.healthy = false;
      stats.problem = "record " + std::to_string(meta.anchor_sequence) + ", where the chain starts, is missing";
      return stats;
    }
    stats.first_sequence = *first;
    if (stats.last_sequence >= stats.first_sequence) {
      stats.records = stats.last_sequence - stats.first_sequence + 1;
    }
  }
  return stats;
}

bool AuditReader::head(StoreHead& out, std::string& error) const {
  return read_store_head(*impl_->rocks, out, error);
}

bool AuditReader::compare_witness(const std::string& witness_file, const std::string& public_key_file,
                                  WitnessReport& report, std::vector<WitnessReadIssue>& issues,
                                  std::string& error) const {
  PkeyPtr public_key;
  if (!public_key_file.empty()) {
    public_key = load_public_key_file(public_key_file, error);
    if (!public_key) return false;
  }
  StoreHead store;
  if (!head(store, error)) return false;
  WitnessComparison comparison(store, record_hash_lookup(*impl_->rocks), public_key.get());
  if (!read_witness(witness_file, [&](const WitnessEntry& entry) { comparison.add(entry); }, issues, error)) {
    return false;
  }
  report = comparison.finish();
  return true;
}

PruneReport AuditReader::prune_before(std::chrono::system_clock::time_point before, std::string& error) {
  if (impl_->rocks->mode() != OpenMode::exclusive) {
    error = "pruning needs the store to itself: open it with open_for_prune";
    return {};
  }
  return prune_records(*impl_->rocks, before, error);
}

bool AuditReader::read_side_state(SideState kind, const SideVisitor& visit, std::string& error) const {
  return storage::read_side_state(*impl_->rocks, kind, visit, error);
}

bool AuditReader::write_side_state(SideState kind, const SideEntries& entries, std::string& error) {
  if (impl_->rocks->mode() != OpenMode::exclusive) {
    error = "writing " + std::string(to_string(kind)) + " needs the store to itself: stop `dynaudit serve` first";
    return false;
  }
  return storage::write_side_state(*impl_->rocks, kind, entries, error);
}

}  // namespace dynaudit::storage
