// The writer: dense sequences and a verifiable chain under 16 concurrent
// producers, group commit that really groups, both durabilities surviving
// a clean close, the chain continuing after a reopen, a bounded queue.
#include <catch2/catch.hpp>

#include <csignal>
#include <algorithm>
#include <cstdlib>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "storage/audit_reader.hpp"
#include "storage/audit_store.hpp"
#include "test_support.hpp"

using namespace dynaudit::storage;
using storage_test::sample_event;
using storage_test::TempDir;

namespace {

std::unique_ptr<AuditStore> open_store(const StoreOptions& options) {
  std::string error;
  auto store = AuditStore::open(options, error);
  INFO(error);
  REQUIRE(store);
  return store;
}

std::unique_ptr<AuditReader> open_reader(const std::string& path) {
  std::string error;
  auto reader = AuditReader::open(path, error);
  INFO(error);
  REQUIRE(reader);
  return reader;
}

std::vector<AuditEvent> all_records(const AuditReader& reader) {
  std::vector<AuditEvent> records;
  std::string error;
  const bool read = reader.query(
      {},
      [&](const AuditEvent& e) {
        records.push_back(e);
        return true;
      },
      error);
  INFO(error);
  REQUIRE(read);
  return records;
}

// Counts down callbacks; the test waits for all of them.
class Latch {
 public:
  explicit Latch(std::size_t count) : count_(count) {}
  void arrive() {
    std::lock_guard lock(mutex_);
    if (--count_ == 0) done_.notify_all();
  }
  void wait() {
    std::unique_lock lock(mutex_);
    done_.wait(lock, [&] { return count_ == 0; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable done_;
  std::size_t count_;
};

}  // namespace

TEST_CASE("16 producers: sequences 1..N without gaps, chain verifies, commits are grouped") {
  TempDir dir("concurrent");
  constexpr std::size_t kThreads = 16;
  constexpr std::size_t kPerThread = 2'000;
  constexpr std::size_t kTotal = kThreads * kPerThread;
  StoreOptions options;
  options.path = dir.path();
  options.durability = Durability::sync;
  options.max_queue = kTotal;

  std::vector<AppendResult> results(kTotal);
  const auto started = std::chrono::steady_clock::now();
  {
    auto store = open_store(options);
    Latch latch(kTotal);
    std::vector<std::thread> producers;
    for (std::size_t t = 0; t < kThreads; ++t) {
      producers.emplace_back([&, t] {
        for (std::size_t i = 0; i < kPerThread; ++i) {
          const std::size_t slot = t * kPerThread + i;
          AuditEvent e = sample_event("principal-" + std::to_string(t));
          e.request_id = "REQ-" + std::to_string(slot);
          store->append(std::move(e), [&, slot](const AppendResult& r) {
            results[slot] = r;
            latch.arrive();
          });
        }
      });
    }
    for (auto& producer : producers) producer.join();
    latch.wait();
    const auto stats = store->stats();
    CHECK(stats.records == kTotal);
    CHECK(stats.first_sequence == 1);
    CHECK(stats.last_sequence == kTotal);
    CHECK(stats.failed_appends == 0);
    CHECK(stats.healthy);
    CHECK(stats.batches < kTotal / 4);  // grouped: many records per sync
    CHECK(stats.batches >= kTotal / options.max_batch);
    WARN("concurrent sync appends: " << kTotal << " records in " << stats.batches << " batches, "
         << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count()
         << " ms (not a benchmark)");
  }
  std::vector<std::uint64_t> sequences;
  for (const auto& r : results) {
    CHECK(r.ok);
    CHECK(r.hash.size() == 64);
    sequences.push_back(r.sequence);
  }
  std::sort(sequences.begin(), sequences.end());
  for (std::size_t i = 0; i < kTotal; ++i) REQUIRE(sequences[i] == i + 1);

  auto reader = open_reader(dir.path());
  const auto report = reader->verify("");
  CHECK(report.ok);
  CHECK(report.records_checked == kTotal);
  CHECK(report.problem.empty());
  // Each callback named the sequence and hash its record was stored under.
  const auto records = all_records(*reader);
  REQUIRE(records.size() == kTotal);
  for (std::size_t slot = 0; slot < kTotal; slot += 97) {
    const auto& stored = records[results[slot].sequence - 1];
    CHECK(stored.request_id == "REQ-" + std::to_string(slot));
    CHECK(stored.hash == results[slot].hash);
  }
}

TEST_CASE("sync and async records survive a clean close - a reopened store continues the chain") {
  for (const auto durability : {Durability::sync, Durability::async, Durability::write_ahead}) {
    TempDir dir("durability");
    StoreOptions options;
    options.path = dir.path();
    options.durability = durability;
    std::string hash_of_100;
    {
      auto store = open_store(options);
      for (int i = 1; i < 100; ++i) store->append(sample_event(), {});
      const auto last = store->append_and_wait(sample_event());
      REQUIRE(last.ok);
      CHECK(last.sequence == 100);
      hash_of_100 = last.hash;
    }
    {
      auto store = open_store(options);
      CHECK(store->stats().last_sequence == 100);
      CHECK(store->stats().records == 100);
      const auto next = store->append_and_wait(sample_event("bob"));
      REQUIRE(next.ok);
      CHECK(next.sequence == 101);
    }
    auto reader = open_reader(dir.path());
    const auto records = all_records(*reader);
    REQUIRE(records.size() == 101);
    CHECK(records[99].hash == hash_of_100);
    CHECK(records[100].previous_hash == hash_of_100);
    CHECK(records[100].user_identity.principal_id == "bob");
    CHECK(records[0].previous_hash.empty());
    const auto report = reader->verify("");
    CHECK(report.ok);
    CHECK(report.records_checked == 101);
  }
}

TEST_CASE("a full queue refuses at once with an error - the writer is never waited for") {
  TempDir dir("queue");
  StoreOptions options;
  options.path = dir.path();
  options.max_queue = 3;
  options.max_batch = 1;
  // Declared before the store: its callbacks write here until it closes.
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> entered;
  std::vector<AppendResult> results(5);
  std::atomic<int> done{0};
  auto store = open_store(options);

  // Hold the writer inside the first record's callback.
  store->append(sample_event(), [&](const AppendResult&) {
    entered.set_value();
    released.wait();
  });
  entered.get_future().wait();
  for (int i = 0; i < 5; ++i) {
    store->append(sample_event(), [&, i](const AppendResult& r) {
      results[static_cast<std::size_t>(i)] = r;
      ++done;
    });
  }
  // The 4th and 5th were refused on this thread, before the writer moved.
  CHECK(done == 2);
  CHECK_FALSE(results[3].ok);
  CHECK(results[3].error == "audit queue is full (3 records waiting)");
  CHECK_FALSE(results[4].ok);
  CHECK(store->stats().failed_appends == 2);
  release.set_value();
  while (done < 5) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  CHECK(results[0].sequence == 2);
  CHECK(results[1].sequence == 3);
  CHECK(results[2].sequence == 4);
  const auto after = store->append_and_wait(sample_event());
  CHECK(after.ok);
  CHECK(after.sequence == 5);
  CHECK(store->stats().failed_appends == 2);
  CHECK(store->stats().records == 5);
}

TEST_CASE("readers refuse a folder that holds no store, and create nothing there") {
  TempDir dir("no-store");
  std::string error;
  CHECK_FALSE(AuditReader::open(dir.file("absent"), error));
  CHECK(error == "no audit store at " + dir.file("absent"));
  CHECK_FALSE(AuditReader::open_for_prune(dir.path(), error));
  CHECK(error == "no audit store at " + dir.path());
  CHECK_FALSE(std::filesystem::exists(dir.file("absent")));
}

TEST_CASE("a reader opened beside the writer sees new records after refresh") {
  TempDir dir("live");
  StoreOptions options;
  options.path = dir.path();
  auto store = open_store(options);
  for (int i = 0; i < 9; ++i) store->append(sample_event(), {});
  REQUIRE(store->append_and_wait(sample_event()).sequence == 10);

  auto reader = open_reader(dir.path());
  CHECK(all_records(*reader).size() == 10);
  CHECK(reader->stats().last_sequence == 10);
  for (int i = 0; i < 4; ++i) store->append(sample_event(), {});
  REQUIRE(store->append_and_wait(sample_event()).sequence == 15);
  CHECK(all_records(*reader).size() == 10);  // a consistent view until refreshed
  std::string error;
  REQUIRE(reader->refresh(error));
  CHECK(all_records(*reader).size() == 15);
  CHECK(reader->verify("").ok);
  CHECK(reader->verify("").records_checked == 15);

  // Pruning needs the store to itself.
  CHECK_FALSE(AuditReader::open_for_prune(dir.path(), error));
  CHECK(error.find("lock") != std::string::npos);
}

// The writer process of the next test: the test binary re-executed with this
// hidden test selected. A plain fork() would not do: the child would inherit
// RocksDB's thread pool bookkeeping from earlier tests but not its threads.
TEST_CASE("writer process for the two-process test", "[.writer-process]") {
  const char* path = std::getenv("DYNAUDIT_TEST_STORE");
  const char* to_parent = std::getenv("DYNAUDIT_TEST_TO_PARENT");
  const char* from_parent = std::getenv("DYNAUDIT_TEST_FROM_PARENT");
  REQUIRE(path);
  REQUIRE(to_parent);
  REQUIRE(from_parent);
  StoreOptions options;
  options.path = path;
  std::string error;
  auto store = AuditStore::open(options, error);
  char status = 'x';
  if (store) {
    for (int i = 0; i < 19; ++i) store->append(sample_event(), {});
    status = store->append_and_wait(sample_event()).sequence == 20 ? 'r' : 'x';
  }
  (void)!write(std::atoi(to_parent), &status, 1);
  char stop = 0;
  (void)!read(std::atoi(from_parent), &stop, 1);
  REQUIRE(store);
  CHECK(store->append_and_wait(sample_event()).sequence == 21);  // while the reader is open
}

TEST_CASE("a reader in another process reads a store the writer holds open") {
  TempDir dir("process");
  int to_child[2];
  int from_child[2];
  REQUIRE(pipe(to_child) == 0);
  REQUIRE(pipe(from_child) == 0);
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    setenv("DYNAUDIT_TEST_STORE", dir.path().c_str(), 1);
    setenv("DYNAUDIT_TEST_TO_PARENT", std::to_string(from_child[1]).c_str(), 1);
    setenv("DYNAUDIT_TEST_FROM_PARENT", std::to_string(to_child[0]).c_str(), 1);
    execl("/proc/self/exe", "storage_unit_tests", "[.writer-process]", static_cast<char*>(nullptr));
    _exit(127);
  }
  close(to_child[0]);
  close(from_child[1]);
  char status = 0;
  const bool ready = read(from_child[0], &status, 1) == 1 && status == 'r';
  if (ready) {
    auto reader = open_reader(dir.path());
    CHECK(all_records(*reader).size() == 20);
    const auto report = reader->verify("");
    CHECK(report.ok);
    CHECK(report.records_checked == 20);
    std::string error;
    CHECK_FALSE(AuditReader::open_for_prune(dir.path(), error));
    const char stop = 's';
    CHECK(write(to_child[1], &stop, 1) == 1);
    int child_status = 0;
    REQUIRE(waitpid(child, &child_status, 0) == child);
    CHECK(WIFEXITED(child_status));
    CHECK(WEXITSTATUS(child_status) == 0);
    REQUIRE(reader->refresh(error));
    CHECK(all_records(*reader).size() == 21);
    CHECK(reader->verify("").records_checked == 21);
  } else {
    kill(child, SIGKILL);
    waitpid(child, nullptr, 0);
  }
  close(to_child[1]);
  close(from_child[0]);
  REQUIRE(ready);
}
