// The audit writer: one thread drains the append queue, links each record
// into the hash chain and commits everything it took as one WriteBatch with
// one sync (group commit). A failed write makes the store unhealthy, not
// dead: records fail fast and a probe write retries every 500 ms.
#include "storage/audit_store.hpp"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <future>
#include <mutex>
#include <thread>

#include <iostream>

#include "storage/append_queue.hpp"
#include "storage/checkpoint_signing.hpp"
#include "storage/json_text.hpp"
#include "storage/key_encoding.hpp"
#include "storage/query_plan.hpp"
#include "storage/rocks_handle.hpp"
#include "storage/store_batches.hpp"
#include "storage/store_head.hpp"
#include "storage/store_privacy.hpp"
#include "storage/time_format.hpp"
#include "storage/witness_check.hpp"
#include "storage/witness_file.hpp"
#include "storage/witness_writer.hpp"

namespace dynaudit::storage {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kProbeInterval = std::chrono::milliseconds(500);

void run_callback(const AppendCallback& done, const AppendResult& result) {
  if (!done) return;
  // A throwing callback would end the writer thread and with it all
  // auditing; the result has been delivered as far as we can, so go on.
  try {
    done(result);
  } catch (...) {
  }
}

}  // namespace

struct AuditStore::Impl {
  explicit Impl(const StoreOptions& o) : options(o), queue(o.max_queue) {}

  StoreOptions options;
  std::unique_ptr<RocksHandle> rocks;
  // Held by the writer while it replaces `rocks` (probe), and by the other
  // threads that use the handle (side state: baselines, inventory), which hold it
  // for their whole access. The writer's own reads and writes need no lock:
  // only it replaces the handle.
  mutable std::mutex handle_mutex;
  PkeyPtr checkpoint_key;
  AppendQueue queue;
  std::thread writer;
  std::uint64_t first_sequence = 1;  // the chain anchor; no prune while a writer is open
  std::string store_id;
  std::string key_id;                      // of checkpoint_key, for witness lines
  std::unique_ptr<WitnessWriter> witness;  // null without a witness file

  // Touched by the writer thread only (and by open() before it starts).
  ChainHead head;
  std::uint64_t checkpoint_count = 0;
  std::uint64_t last_checkpoint_sequence = 0;
  Clock::time_point last_checkpoint_at;
  Clock::time_point next_probe;
  std::string failure;  // why the store is unhealthy

  std::atomic<bool> healthy{true};
  std::atomic<std::uint64_t> failed_appends{0};
  std::atomic<std::uint64_t> batches{0};
  std::atomic<std::uint64_t> last_sequence{0};
  std::atomic<std::uint64_t> checkpoints{0};
  std::atomic<std::uint64_t> committed_records{0};
  metrics::LatencyHistogram commit_latency;  // written by the writer thread only
  // Read by the writer (which may reopen `rocks`) every few seconds, so that
  // stats() never touches the handle from another thread.
  std::atomic<std::uint64_t> sst_bytes{0};
  Clock::time_point next_size_check{};
  void refresh_size() {
    std::uint64_t bytes = 0;
    if (rocks && rocks->db()->GetAggregatedIntProperty("rocksdb.total-sst-files-size", &bytes)) sst_bytes = bytes;
    next_size_check = Clock::now() + std::chrono::seconds(5);
  }

  bool recover(std::string& error);
  bool find_witness_mismatch(std::optional<std::pair<WitnessEntry, std::string>>& accepted, std::string& error);
  bool accept_mismatch(const WitnessEntry& witnessed, const std::string& problem, std::string& error);
  void note(bool is_error, const std::string& message) const;
  bool checkpoints_enabled() const { return checkpoint_key || !options.witness_file.empty(); }
  void run();
  void commit(std::vector<PendingAppend>& batch);
  void fail(std::vector<PendingAppend>& batch, const std::string& error);
  bool write(rocksdb::WriteBatch& batch, bool force_sync = false);
  void probe();
  bool checkpoint_due(Clock::time_point now) const;
  void write_checkpoint();
  std::optional<Clock::time_point> next_wakeup() const;
};

// The chain continues from what "meta" says, but only if the newest record
// says the same: a store whose head was removed or altered is not silently
// extended (that would hide the damage behind fresh, valid links).
bool AuditStore::Impl::recover(std::string& error) {
  ChainMeta meta;
  if (!read_chain_meta(*rocks, meta, error)) return false;
  head = {meta.last_sequence, meta.last_hash};
  first_sequence = meta.anchor_sequence;
  checkpoint_count = meta.checkpoint_count;
  checkpoints = meta.checkpoint_count;
  last_sequence = meta.last_sequence;

  const std::unique_ptr<rocksdb::Iterator> last(
      rocks->db()->NewIterator(rocksdb::ReadOptions(), rocks->family(Family::records)));
  last->SeekToLast();
  if (!last->status().ok()) {
    error = "cannot read the audit store: " + last->status().ToString();
    return false;
  }
  const std::string hint = "; run `dynaudit audit verify` on " + options.path;
  if (!last->Valid()) {
    if (meta.last_sequence + 1 != meta.anchor_sequence) {
      error = "audit store damaged: its head is record " + std::to_string(meta.last_sequence) +
              " but it holds no records" + hint;
      return false;
    }
  } else {
    const auto key_sequence = keys::sequence_from_record_key(last->key().ToStringView());
    const auto record = from_json(last->value().ToStringView());
    if (!key_sequence || *key_sequence != meta.last_sequence || !record ||
        record->sequence != meta.last_sequence || record->hash != meta.last_hash) {
      error = "audit store damaged: its head is record " + std::to_string(meta.last_sequence) +
              " but the newest record does not match it" + hint;
      return false;
    }
  }

  // record_count of the next checkpoint counts from the newest one.
  last_checkpoint_sequence = head.last_sequence;
  const std::unique_ptr<rocksdb::Iterator> newest(
      rocks->db()->NewIterator(rocksdb::ReadOptions(), rocks->family(Family::checkpoints)));
  newest->SeekToLast();
  if (!newest->status().ok()) {
    error = "cannot read the audit store's checkpoints: " + newest->status().ToString();
    return false;
  }
  if (newest->Valid()) {
    if (const auto checkpoint = parse_checkpoint(newest->value().ToStringView())) {
      last_checkpoint_sequence = checkpoint->last_sequence;
    }
  } else {
    last_checkpoint_sequence = first_sequence - 1;
  }
  return true;
}

void AuditStore::Impl::run() {
  std::vector<PendingAppend> batch;
  batch.reserve(options.max_batch);
  bool open = true;
  while (open) {
    batch.clear();
    open = queue.pop_batch(batch, options.max_batch, next_wakeup(),
                           options.durability == Durability::async ? options.async_linger
                                                                   : std::chrono::microseconds::zero());
    if (!healthy && Clock::now() >= next_probe) probe();
    if (!batch.empty()) {
      if (healthy) {
        commit(batch);
      } else {
        fail(batch, failure);
      }
    }
    if (healthy && checkpoint_due(Clock::now())) write_checkpoint();
    if (healthy && Clock::now() >= next_size_check) refresh_size();
  }
  // A clean close ends with a checkpoint over the last records, and with the
  // WAL synced so that async records survive it too; flushing the memtables
  // spares the next open (and every reader) replaying the WAL. An unhealthy
  // handle is left alone: Debian's RocksDB is built with assertions and
  // aborts on a WAL write after a failed one.
  if (!healthy) return;
  if (checkpoints_enabled() && head.last_sequence != last_checkpoint_sequence) write_checkpoint();
  if (!healthy) return;
  rocks->db()->FlushWAL(true).PermitUncheckedError();
  rocks->flush_all().PermitUncheckedError();
}

void AuditStore::Impl::commit(std::vector<PendingAppend>& batch) {
  rocksdb::WriteBatch write_batch;
  ChainHead next = head;
  for (auto& pending : batch) {
    if (!add_record(write_batch, *rocks, next, pending.event)) {
      fail(batch, "audit chain head is malformed");
      return;
    }
  }
  put_chain_head(write_batch, *rocks, next);
  const auto write_start = Clock::now();
  const bool written = write(write_batch);
  commit_latency.observe(std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - write_start));
  if (!written) {
    // The chain stays where it was: these sequences are given out again.
    fail(batch, failure);
    return;
  }
  head = std::move(next);
  last_sequence = head.last_sequence;
  ++batches;
  committed_records += batch.size();
  for (auto& pending : batch) {
    run_callback(pending.done, {true, pending.event.sequence, pending.event.hash, {}, &pending.event});
  }
}

void AuditStore::Impl::fail(std::vector<PendingAppend>& batch, const std::string& error) {
  failed_appends += batch.size();
  for (auto& pending : batch) run_callback(pending.done, {false, 0, {}, error, &pending.event});
}

bool AuditStore::Impl::write(rocksdb::WriteBatch& batch, bool force_sync) {
  rocksdb::WriteOptions write_options;
  write_options.sync = force_sync || options.durability != Durability::async;
  const auto status = rocks->db()->Write(write_options, &batch);
  if (status.ok()) return true;
  failure = "audit store cannot write: " + status.ToString();
  healthy = false;
  next_probe = Clock::now() + kProbeInterval;
  return false;
}

// RocksDB refuses all writes after a failed one. Resume() clears errors it
// can recover from (a full disk during a flush); a failed WAL write is fatal
// to the open handle, and then a fresh open recovers from the WAL as after
// a crash. One small synced write then shows whether the disk takes data.
void AuditStore::Impl::probe() {
  next_probe = Clock::now() + kProbeInterval;
  std::string error;
  if (rocks && !rocks->db()->Resume().ok()) {
    std::lock_guard lock(handle_mutex);
    rocks.reset();
  }
  if (!rocks) {
    auto reopened = RocksHandle::open({options.path, OpenMode::writer, options.env, {}, options.max_open_files}, error);
    std::lock_guard lock(handle_mutex);
    rocks = std::move(reopened);
    if (!rocks) {
      failure = "audit store cannot reopen: " + error;
      return;
    }
  }
  rocksdb::WriteBatch batch;
  std::string now;
  keys::append_be64(now, static_cast<std::uint64_t>(unix_ms(std::chrono::system_clock::now())));
  batch.Put(rocks->family(Family::meta),
            rocksdb::Slice(keys::kMetaLastProbe.data(), keys::kMetaLastProbe.size()), now)
      .PermitUncheckedError();
  rocksdb::WriteOptions write_options;
  write_options.sync = true;
  const auto status = rocks->db()->Write(write_options, &batch);
  ChainMeta meta;
  if (!status.ok() || !read_chain_meta(*rocks, meta, error)) {
    failure = "audit store cannot write: " + (status.ok() ? error : status.ToString());
    return;
  }
  // The database is the authority on where the chain stands; normally the
  // failed batch is simply absent and this changes nothing.
  head = {meta.last_sequence, meta.last_hash};
  last_sequence = head.last_sequence;
  healthy = true;
}

bool AuditStore::Impl::checkpoint_due(Clock::time_point now) const {
  if (!checkpoints_enabled()) return false;
  const bool new_records = head.last_sequence != last_checkpoint_sequence;
  if (new_records && now - last_checkpoint_at >= options.checkpoint_active_interval) return true;
  if (now - last_checkpoint_at >= options.checkpoint_interval) return true;
  return options.checkpoint_every_records != 0 &&
         head.last_sequence - last_checkpoint_sequence >= options.checkpoint_every_records;
}

void AuditStore::Impl::write_checkpoint() {
  Checkpoint checkpoint;
  checkpoint.number = checkpoint_count + 1;
  checkpoint.time_ms = unix_ms(std::chrono::system_clock::now());
  checkpoint.last_sequence = head.last_sequence;
  checkpoint.last_hash = head.last_hash;
  checkpoint.record_count = head.last_sequence - last_checkpoint_sequence;
  rocksdb::WriteBatch batch;
  if (!add_checkpoint(batch, *rocks, checkpoint, checkpoint_key.get())) {
    last_checkpoint_at = Clock::now();  // OpenSSL refused; try again next interval
    return;
  }
  // Synced even in async mode: the witness must never vouch for a record a
  // crash could still take from the store (the WAL is written in order, so
  // this sync makes every record before the checkpoint durable too).
  if (!write(batch, true)) return;  // unhealthy now; written after recovery
  checkpoint_count = checkpoint.number;
  checkpoints = checkpoint_count;
  last_checkpoint_sequence = checkpoint.last_sequence;
  last_checkpoint_at = Clock::now();
  if (witness) witness->submit(witness_line(WitnessedCheckpoint{store_id, checkpoint, key_id}));
}

std::optional<Clock::time_point> AuditStore::Impl::next_wakeup() const {
  std::optional<Clock::time_point> wakeup;
  if (checkpoints_enabled()) {
    const bool new_records = head.last_sequence != last_checkpoint_sequence;
    wakeup = last_checkpoint_at + (new_records ? std::min(options.checkpoint_active_interval, options.checkpoint_interval)
                                               : options.checkpoint_interval);
  }
  if (!healthy && (!wakeup || next_probe < *wakeup)) wakeup = next_probe;
  return wakeup;
}

void AuditStore::Impl::note(bool is_error, const std::string& message) const {
  if (options.log) {
    options.log(is_error, message);
  } else {
    std::cerr << "dynaudit: audit store: " << message << "\n";
  }
}

// The newest witnessed entry must be in the store. Only the newest: each
// checkpoint's hash covers the whole chain before it, so a store holding
// the newest witnessed point holds the earlier ones unless the chain itself
// is broken, which `audit verify` finds (it compares every entry).
// A mismatch is an error, unless accept_witness_mismatch: then it is
// returned in `accepted` for accept_mismatch() once the witness is open.
bool AuditStore::Impl::find_witness_mismatch(std::optional<std::pair<WitnessEntry, std::string>>& accepted,
                                              std::string& error) {
  const auto newest = newest_witness_entry(options.witness_file, error);
  if (!error.empty()) return false;
  if (!newest) return true;  // a new witness: nothing vouched for yet
  StoreHead store;
  if (!read_store_head(*rocks, store, error)) return false;
  std::string problem;
  switch (compare_with_witness(store, record_hash_lookup(*rocks), *newest, problem)) {
    case WitnessMatch::matches:
    case WitnessMatch::pruned:
      return true;
    case WitnessMatch::error:
      error = problem;
      return false;
    case WitnessMatch::mismatch:
      break;
  }
  if (options.accept_witness_mismatch) {
    accepted.emplace(*newest, problem);
    return true;
  }
  error = "the audit store " + options.path + " is behind its witness " + options.witness_file + ": " + problem +
          ". Records the witness vouched for are gone or were changed; run `dynaudit audit verify` with the witness to "
          "see what is missing. To start on this store anyway, pass --accept-witness-mismatch: the acceptance is "
          "recorded in the chain and in the witness, and verify keeps reporting the loss";
  return false;
}

// The store says in its own chain what was accepted, then the witness says
// so too, pointing at that record: from here on both vouch for the store as
// it now is, and the loss stays on record.
bool AuditStore::Impl::accept_mismatch(const WitnessEntry& witnessed, const std::string& problem,
                                       std::string& error) {
  AuditEvent event;
  event.event_id = new_event_id();
  event.event_time = std::chrono::system_clock::now();
  event.event_name = "AuditWitnessMismatchAccepted";
  event.management_event = true;
  event.outcome = "witness_mismatch_accepted";
  event.decision = "allow";
  std::string parameters = "{\"witnessFile\":";
  json::append_string(parameters, options.witness_file);
  parameters += ",\"witnessedStoreId\":";
  json::append_string(parameters, witnessed.store_id());
  parameters += ",\"witnessedCheckpoint\":" +
                std::to_string(witnessed.kind == WitnessEntry::Kind::checkpoint ? witnessed.checkpoint.checkpoint.number : 0);
  parameters += ",\"witnessedSequence\":" + std::to_string(witnessed.sequence()) + ",\"witnessedHash\":";
  json::append_string(parameters, witnessed.hash());
  parameters += ",\"storeId\":";
  json::append_string(parameters, store_id);
  parameters += ",\"storeLastSequence\":" + std::to_string(head.last_sequence) + ",\"storeLastHash\":";
  json::append_string(parameters, head.last_hash);
  parameters += ",\"problem\":";
  json::append_string(parameters, problem);
  parameters += "}";
  event.request_parameters_json = std::move(parameters);

  const ChainHead before = head;
  rocksdb::WriteBatch batch;
  ChainHead next = head;
  if (!add_record(batch, *rocks, next, event)) {
    error = "audit chain head is malformed";
    return false;
  }
  put_chain_head(batch, *rocks, next);
  if (!write(batch, true)) {
    error = failure;
    return false;
  }
  head = next;
  last_sequence = head.last_sequence;

  WitnessedAcceptance acceptance;
  acceptance.store_id = store_id;
  acceptance.time_ms = unix_ms(event.event_time);
  acceptance.record_sequence = event.sequence;
  acceptance.record_hash = event.hash;
  acceptance.witnessed_store_id = witnessed.store_id();
  acceptance.witnessed_checkpoint =
      witnessed.kind == WitnessEntry::Kind::checkpoint ? witnessed.checkpoint.checkpoint.number : 0;
  acceptance.witnessed_sequence = witnessed.sequence();
  acceptance.witnessed_hash = witnessed.hash();
  acceptance.store_last_sequence = before.last_sequence;
  acceptance.store_last_hash = before.last_hash;
  if (!witness->write_now(witness_line(acceptance), error)) return false;
  note(true, "started on a store that does not match its witness, as --accept-witness-mismatch allows: " + problem +
                 "; recorded as record " + std::to_string(event.sequence) + " (AuditWitnessMismatchAccepted)");
  return true;
}

std::unique_ptr<AuditStore> AuditStore::open(const StoreOptions& options, std::string& error) {
  if (options.path.empty() || options.max_batch == 0 || options.max_queue == 0) {
    error = "audit store: path, max_batch and max_queue must be set";
    return nullptr;
  }
  auto impl = std::make_unique<Impl>(options);
  if (!options.checkpoint_key_file.empty()) {
    impl->checkpoint_key = load_private_key_file(options.checkpoint_key_file, error);
    if (!impl->checkpoint_key) {
      error = "audit checkpoint key: " + error;
      return nullptr;
    }
    impl->key_id = checkpoint_key_id(impl->checkpoint_key.get());
  }
  const bool store_existed = std::filesystem::exists(std::filesystem::path(options.path) / "CURRENT");
  if (!options.witness_file.empty() && !store_existed && !options.accept_witness_mismatch) {
    // Refuse before RocksDB creates a new, empty store in its place.
    const auto newest = newest_witness_entry(options.witness_file, error);
    if (!error.empty()) return nullptr;
    if (newest) {
      error = "there is no audit store at " + options.path + ", but its witness " + options.witness_file +
              " holds " + describe(*newest) + ": the store was deleted or moved. To start a new store anyway, pass "
              "--accept-witness-mismatch (recorded in the new store and in the witness)";
      return nullptr;
    }
  }
  std::error_code ignored;  // RocksDB reports a folder it cannot use better
  std::filesystem::create_directories(options.path, ignored);
  impl->rocks = RocksHandle::open({options.path, OpenMode::writer, options.env, {}, options.max_open_files}, error);
  if (!impl->rocks || !impl->recover(error)) return nullptr;
  // Files made before this version, or under a lax umask, become private.
  std::string privacy_error;
  if (!make_store_private(options.path, privacy_error)) impl->note(true, privacy_error);
  if (!read_store_id(*impl->rocks, impl->store_id, error)) return nullptr;
  if (!options.witness_file.empty()) {
    // Compared before the witness file is opened (and maybe created), so a
    // refused start leaves it as it was.
    std::optional<std::pair<WitnessEntry, std::string>> accepted;
    if (!impl->find_witness_mismatch(accepted, error)) return nullptr;
    WitnessWriterOptions witness_options;
    witness_options.path = options.witness_file;
    witness_options.on_written = options.on_witnessed;
    witness_options.log = options.log;
    impl->witness = WitnessWriter::open(std::move(witness_options), error);
    if (!impl->witness) return nullptr;
    if (accepted && !impl->accept_mismatch(accepted->first, accepted->second, error)) return nullptr;
  }
  impl->last_checkpoint_at = Clock::now();
  // A witness starts with a checkpoint of the store as it is: the first
  // point it can vouch for, without waiting for the idle interval.
  if (impl->witness) impl->write_checkpoint();
  impl->writer = std::thread([raw = impl.get()] { raw->run(); });
  return std::unique_ptr<AuditStore>(new AuditStore(std::move(impl)));
}

AuditStore::AuditStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

AuditStore::~AuditStore() {
  impl_->queue.close();
  if (impl_->writer.joinable()) impl_->writer.join();
}

void AuditStore::append(AuditEvent event, AppendCallback done) {
  PendingAppend pending{std::move(event), std::move(done)};
  const auto pushed = impl_->queue.push(pending);
  if (pushed == AppendQueue::Push::queued) return;
  ++impl_->failed_appends;
  // The record goes along, so that fail-open can still log what it held.
  run_callback(pending.done,
               {false, 0, {},
                pushed == AppendQueue::Push::full
                    ? "audit queue is full (" + std::to_string(impl_->options.max_queue) + " records waiting)"
                    : std::string("audit store is closing"),
                &pending.event});
}

AppendResult AuditStore::append_and_wait(AuditEvent event) {
  std::promise<AppendResult> promise;
  auto result = promise.get_future();
  append(std::move(event), [&promise](const AppendResult& r) {
    AppendResult kept = r;
    kept.event = nullptr;  // lent for the callback only
    promise.set_value(std::move(kept));
  });
  return result.get();
}

bool AuditStore::write_side_state(SideState kind, const SideEntries& entries, std::string& error) {
  std::lock_guard lock(impl_->handle_mutex);
  if (!impl_->rocks) {
    error = "the audit store is not open (it is recovering from a write failure)";
    return false;
  }
  return storage::write_side_state(*impl_->rocks, kind, entries, error);
}

bool AuditStore::read_side_state(SideState kind, const SideVisitor& visit, std::string& error) const {
  std::lock_guard lock(impl_->handle_mutex);
  if (!impl_->rocks) {
    error = "the audit store is not open (it is recovering from a write failure)";
    return false;
  }
  return storage::read_side_state(*impl_->rocks, kind, visit, error);
}

bool AuditStore::healthy() const {
  if (!impl_->healthy) return false;
  const bool witnessed = !impl_->witness || impl_->witness->healthy();
  return witnessed || impl_->options.failure_policy == FailurePolicy::fail_open;
}

bool AuditStore::query(const AuditQuery& query, const std::function<bool(const AuditEvent&)>& each,
                       std::string& error) const {
  std::lock_guard lock(impl_->handle_mutex);
  if (!impl_->rocks) {
    error = "the audit store is not open (it is recovering from a write failure)";
    return false;
  }
  return run_query(*impl_->rocks, query, each, error);
}

bool AuditStore::checkpoints_from(std::uint64_t sequence, std::uint64_t after_number,
                                  const std::function<bool(const Checkpoint&)>& each, std::string& error) const {
  std::lock_guard lock(impl_->handle_mutex);
  if (!impl_->rocks) {
    error = "the audit store is not open (it is recovering from a write failure)";
    return false;
  }
  return scan_checkpoints(*impl_->rocks, sequence, after_number, each, error);
}

StoreStats AuditStore::stats() const {
  StoreStats stats;
  stats.last_sequence = impl_->last_sequence;
  if (stats.last_sequence >= impl_->first_sequence) {
    stats.first_sequence = impl_->first_sequence;
    stats.records = stats.last_sequence - stats.first_sequence + 1;
  }
  stats.checkpoints = impl_->checkpoints;
  stats.failed_appends = impl_->failed_appends;
  stats.batches = impl_->batches;
  stats.committed_records = impl_->committed_records;
  stats.queue_depth = impl_->queue.size();
  stats.commit_latency.add(impl_->commit_latency);
  stats.sst_bytes = impl_->sst_bytes;
  stats.healthy = healthy();
  stats.witness_healthy = !impl_->witness || impl_->witness->healthy();
  if (impl_->witness) {
    const auto witness = impl_->witness->stats();
    stats.witness_configured = true;
    stats.witness_written = witness.written;
    stats.witness_failed_attempts = witness.failed_attempts;
    stats.witness_dropped = witness.dropped;
  }
  return stats;
}

const StoreOptions& AuditStore::options() const { return impl_->options; }

}  // namespace dynaudit::storage
