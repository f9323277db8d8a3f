// The store failing is a state, not a crash: writes that fail mark it
// unhealthy, fail the waiting records with the error, keep the chain where
// it was, and a probe brings it back when the disk works again. Tested with
// a RocksDB file system whose writes fail on demand and, where the test may
// mount file systems (root), with a real tmpfs that fills up.
#include <catch2/catch.hpp>

#include <rocksdb/env.h>
#include <rocksdb/file_system.h>
#include <sys/mount.h>

#include <fstream>
#include <thread>

#include "storage/audit_reader.hpp"
#include "storage/audit_store.hpp"
#include "test_support.hpp"

using namespace dynaudit::storage;
using storage_test::sample_event;
using storage_test::TempDir;

namespace {

// Files whose writes fail while `failing` is set, as a full or broken disk's do.
class FailingFile : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  FailingFile(std::unique_ptr<rocksdb::FSWritableFile>&& file, const std::atomic<bool>& failing)
      : FSWritableFileOwnerWrapper(std::move(file)), failing_(failing) {}

  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           rocksdb::IODebugContext* debug) override {
    if (failing_) return rocksdb::IOStatus::IOError("injected write failure");
    return target()->Append(data, options, debug);
  }
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           const rocksdb::DataVerificationInfo& info, rocksdb::IODebugContext* debug) override {
    if (failing_) return rocksdb::IOStatus::IOError("injected write failure");
    return target()->Append(data, options, info, debug);
  }
  rocksdb::IOStatus Sync(const rocksdb::IOOptions& options, rocksdb::IODebugContext* debug) override {
    if (failing_) return rocksdb::IOStatus::IOError("injected sync failure");
    return target()->Sync(options, debug);
  }

 private:
  const std::atomic<bool>& failing_;
};

class FailingFileSystem : public rocksdb::FileSystemWrapper {
 public:
  FailingFileSystem() : FileSystemWrapper(rocksdb::FileSystem::Default()) {}
  const char* Name() const override { return "FailingFileSystem"; }

  rocksdb::IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* debug) override {
    if (failing) return rocksdb::IOStatus::IOError("injected create failure");
    std::unique_ptr<rocksdb::FSWritableFile> file;
    auto status = target()->NewWritableFile(name, options, &file, debug);
    if (status.ok()) result->reset(new FailingFile(std::move(file), failing));
    return status;
  }

  std::atomic<bool> failing{false};
};

bool becomes_healthy(const AuditStore& store, std::chrono::milliseconds within) {
  const auto deadline = std::chrono::steady_clock::now() + within;
  while (std::chrono::steady_clock::now() < deadline) {
    if (store.healthy()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return store.healthy();
}

// A tmpfs of `megabytes`, unmounted and removed again by the destructor.
class SmallFilesystem {
 public:
  SmallFilesystem(const std::string& path, int megabytes) : path_(path) {
    const std::string data = "size=" + std::to_string(megabytes) + "m";
    mounted_ = ::mount("tmpfs", path.c_str(), "tmpfs", 0, data.c_str()) == 0;
  }
  ~SmallFilesystem() {
    if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }

 private:
  std::string path_;
  bool mounted_ = false;
};

}  // namespace

TEST_CASE("failed writes: unhealthy, records fail with the error, the chain waits, recovery") {
  TempDir dir("failing");
  auto file_system = std::make_shared<FailingFileSystem>();
  StoreOptions options;
  options.path = dir.path();
  options.env = std::shared_ptr<rocksdb::Env>(rocksdb::NewCompositeEnv(file_system));
  std::string error;
  auto store = AuditStore::open(options, error);
  INFO(error);
  REQUIRE(store);
  for (std::uint64_t s = 1; s <= 10; ++s) REQUIRE(store->append_and_wait(sample_event()).sequence == s);
  CHECK(store->healthy());

  file_system->failing = true;
  const auto failed = store->append_and_wait(sample_event());
  CHECK_FALSE(failed.ok);
  CHECK(failed.sequence == 0);
  CHECK(failed.error == "audit store cannot write: IO error: injected write failure");
  CHECK_FALSE(store->healthy());
  CHECK_FALSE(store->stats().healthy);
  // While unhealthy, records fail at once with the same reason.
  const auto fast = store->append_and_wait(sample_event());
  CHECK_FALSE(fast.ok);
  CHECK(fast.error == failed.error);
  CHECK(store->stats().failed_appends == 2);
  CHECK(store->stats().last_sequence == 10);
  // The disk stays broken: probes keep failing.
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  CHECK_FALSE(store->healthy());

  file_system->failing = false;
  REQUIRE(becomes_healthy(*store, std::chrono::seconds(3)));
  const auto next = store->append_and_wait(sample_event("after"));
  CHECK(next.ok);
  CHECK(next.sequence == 11);  // the failed records' sequences were not used up
  CHECK(store->stats().failed_appends == 2);
  store.reset();

  // The store reopens (on the real file system) and everything verifies.
  options.env = nullptr;
  store = AuditStore::open(options, error);
  REQUIRE(store);
  CHECK(store->stats().last_sequence == 11);
  CHECK(store->append_and_wait(sample_event()).sequence == 12);
  store.reset();
  auto reader = AuditReader::open(dir.path(), error);
  REQUIRE(reader);
  const auto report = reader->verify("");
  CHECK(report.ok);
  CHECK(report.records_checked == 12);
}

TEST_CASE("a full disk (tmpfs with size=): unhealthy while full, healthy when space returns") {
  TempDir dir("tmpfs");
  const std::string mount_point = dir.file("small");
  std::filesystem::create_directories(mount_point);
  SmallFilesystem small(mount_point, 8);
  if (!small.mounted()) {
    WARN("cannot mount a tmpfs here (not root?): the full-disk test is skipped");
    return;
  }
  StoreOptions options;
  options.path = mount_point + "/store";
  options.durability = Durability::sync;
  std::string error;
  auto store = AuditStore::open(options, error);
  INFO(error);
  REQUIRE(store);
  for (std::uint64_t s = 1; s <= 50; ++s) REQUIRE(store->append_and_wait(sample_event()).sequence == s);

  // Fill what is left, leaving the store no room.
  {
    std::ofstream filler(mount_point + "/filler", std::ios::binary);
    const std::string block(64 * 1024, 'x');
    while (filler.write(block.data(), static_cast<std::streamsize>(block.size())) && filler.flush()) {
    }
  }
  AppendResult failed;
  std::uint64_t written_before_failure = 50;
  for (int i = 0; i < 10'000; ++i) {
    auto e = sample_event();
    e.request_parameters_json = "{\"padding\":\"" + std::string(2000, 'p') + "\"}";
    failed = store->append_and_wait(std::move(e));
    if (!failed.ok) break;
    written_before_failure = failed.sequence;
  }
  REQUIRE_FALSE(failed.ok);
  CHECK(failed.error.find("audit store cannot write: ") == 0);
  CHECK(failed.error.find("No space left on device") != std::string::npos);
  CHECK_FALSE(store->healthy());
  WARN("tmpfs full after record " << written_before_failure << ": " << failed.error);

  std::filesystem::remove(mount_point + "/filler");
  REQUIRE(becomes_healthy(*store, std::chrono::seconds(10)));
  const auto next = store->append_and_wait(sample_event("after"));
  CHECK(next.ok);
  CHECK(next.sequence == written_before_failure + 1);
  store.reset();

  auto reader = AuditReader::open(options.path, error);
  REQUIRE(reader);
  const auto report = reader->verify("");
  CHECK(report.ok);
  CHECK(report.records_checked == written_before_failure + 1);
  reader.reset();
  store = AuditStore::open(options, error);
  REQUIRE(store);
  CHECK(store->stats().last_sequence == written_before_failure + 1);
}

TEST_CASE("side state on a failing disk: the write fails with a reason, works again after recovery, from other threads") {
  TempDir dir("failing-side-state");
  auto file_system = std::make_shared<FailingFileSystem>();
  StoreOptions options;
  options.path = dir.path();
  options.env = std::shared_ptr<rocksdb::Env>(rocksdb::NewCompositeEnv(file_system));
  std::string error;
  auto store = AuditStore::open(options, error);
  REQUIRE(store);
  REQUIRE(store->write_side_state(dynaudit::storage::SideState::baselines, {{"alice", "v1"}}, error));

  file_system->failing = true;
  CHECK_FALSE(store->append_and_wait(sample_event()).ok);  // the writer starts probing and reopening
  // Saves from another thread while the writer swaps its handle: each fails
  // with a reason or succeeds, never crashes.
  std::atomic<int> failed{0};
  std::thread saver([&] {
    for (int i = 0; i < 50; ++i) {
      std::string e;
      if (!store->write_side_state(dynaudit::storage::SideState::inventory, {{"k", "v"}}, e)) {
        CHECK_FALSE(e.empty());
        ++failed;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  });
  saver.join();
  CHECK(failed > 0);

  file_system->failing = false;
  REQUIRE(becomes_healthy(*store, std::chrono::seconds(5)));
  REQUIRE(store->write_side_state(dynaudit::storage::SideState::baselines, {{"alice", "v2"}}, error));
  std::string seen;
  REQUIRE(store->read_side_state(dynaudit::storage::SideState::baselines,
                                 [&](std::string_view key, std::string_view value) {
                                   if (key == "alice") seen = std::string(value);
                                 },
                                 error));
  CHECK(seen == "v2");
}
