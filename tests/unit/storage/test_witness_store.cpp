// The audit store with a witness: checkpoints leave the store while records
// flow, a store behind its witness does not open (truncated, rolled back,
// deleted), an accepted mismatch is recorded in the chain and the witness,
// a failing witness follows the failure policy, and the store's files are
// private whatever the umask.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <mutex>
#include <thread>

#include "storage/audit_reader.hpp"
#include "storage/audit_store.hpp"
#include "storage/checkpoint_keys.hpp"
#include "storage/checkpoint_signing.hpp"
#include "storage/witness_file.hpp"
#include "test_support.hpp"

using namespace dynaudit::storage;
using storage_test::sample_event;
using storage_test::TempDir;

namespace {

namespace fs = std::filesystem;

std::vector<WitnessEntry> witness_entries(const std::string& path) {
  std::vector<WitnessEntry> entries;
  std::vector<WitnessReadIssue> issues;
  std::string error;
  REQUIRE(read_witness(path, [&](const WitnessEntry& e) { entries.push_back(e); }, issues, error));
  CHECK(issues.empty());
  return entries;
}

template <typename Predicate>
bool eventually(Predicate predicate, std::chrono::milliseconds within = std::chrono::seconds(5)) {
  const auto deadline = std::chrono::steady_clock::now() + within;
  while (std::chrono::steady_clock::now() < deadline) {
    if (predicate()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return predicate();
}

struct Setup {
  TempDir dir{"witness-store"};
  StoreOptions options;
  std::mutex log_mutex;
  std::vector<std::string> log;

  Setup() {
    options.path = dir.file("store");
    options.witness_file = dir.file("witness.jsonl");
    options.checkpoint_active_interval = std::chrono::milliseconds(50);
    options.checkpoint_interval = std::chrono::hours(1);
    options.log = [this](bool, const std::string& message) {
      std::lock_guard lock(log_mutex);
      log.push_back(message);
    };
  }

  std::unique_ptr<AuditStore> open(std::string& error) { return AuditStore::open(options, error); }

  // A closed store of `count` more records.
  void fill(int count) {
    std::string error;
    auto store = open(error);
    INFO(error);
    REQUIRE(store);
    for (int i = 0; i < count; ++i) REQUIRE(store->append_and_wait(sample_event()).ok);
  }
};

class SmallFilesystem {
 public:
  SmallFilesystem(const std::string& path, int megabytes) : path_(path) {
    fs::create_directories(path);
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

// Every last byte: a witness line is a few hundred bytes.
void fill_up(const std::string& file) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  REQUIRE(fd >= 0);
  const std::string block(64 * 1024, 'x');
  for (std::size_t size = block.size(); size > 0; size /= 2) {
    while (::write(fd, block.data(), size) == static_cast<ssize_t>(size)) {
    }
  }
  ::close(fd);
}

}  // namespace

TEST_CASE("witness: a checkpoint at open, soon after new records and at close, signed with a key") {
  Setup s;
  std::string error;
  const auto pair = generate_checkpoint_key_pair(error);
  REQUIRE(pair);
  std::ofstream(s.dir.file("key.pem")) << pair->private_pem;
  s.options.checkpoint_key_file = s.dir.file("key.pem");
  {
    auto store = s.open(error);
    INFO(error);
    REQUIRE(store);
    REQUIRE(eventually([&] { return witness_entries(s.options.witness_file).size() == 1; }));
    for (int i = 0; i < 3; ++i) REQUIRE(store->append_and_wait(sample_event()).ok);
    // Within the active interval, not the hour of the idle one.
    REQUIRE(eventually([&] {
      const auto entries = witness_entries(s.options.witness_file);
      return !entries.empty() && entries.back().sequence() == 3;
    }));
    REQUIRE(store->append_and_wait(sample_event()).ok);
  }
  const auto entries = witness_entries(s.options.witness_file);
  REQUIRE(entries.size() >= 3);
  CHECK(entries.front().sequence() == 0);
  CHECK(entries.back().sequence() == 4);  // the close witnessed the last record
  const auto public_key = load_public_key_pem(pair->public_pem, error);
  REQUIRE(public_key);
  std::uint64_t number = 0;
  for (const auto& e : entries) {
    REQUIRE(e.kind == WitnessEntry::Kind::checkpoint);
    CHECK(e.checkpoint.checkpoint.number == ++number);
    CHECK(verify_ed25519(public_key.get(), checkpoint_signed_bytes(e.checkpoint.checkpoint),
                         e.checkpoint.checkpoint.signature));
    CHECK(e.checkpoint.key_id == checkpoint_key_id(public_key.get()));
    CHECK(e.store_id().size() == 32);
    CHECK(e.store_id() == entries.front().store_id());
  }
  // The store holds the same checkpoints, and they verify.
  auto reader = AuditReader::open(s.options.path, error);
  REQUIRE(reader);
  const auto report = reader->verify("");
  CHECK(report.ok);
  CHECK(report.checkpoints_checked == entries.size());
  WitnessReport witnessed;
  std::vector<WitnessReadIssue> issues;
  REQUIRE(reader->compare_witness(s.options.witness_file, "", witnessed, issues, error));
  CHECK(witnessed.ok());
  CHECK(witnessed.not_yet_provable == 0);
}

TEST_CASE("witness without a checkpoint key: unsigned checkpoints, in the store and the witness") {
  Setup s;
  s.fill(2);
  const auto entries = witness_entries(s.options.witness_file);
  REQUIRE(entries.size() >= 2);
  CHECK(entries.back().sequence() == 2);
  CHECK(entries.back().checkpoint.checkpoint.signature.empty());
  CHECK(entries.back().checkpoint.key_id.empty());
}

TEST_CASE("a store rolled back behind its witness does not open, and accepting it is recorded") {
  Setup s;
  s.fill(5);
  const std::string copy = s.dir.file("copy");
  fs::copy(s.options.path, copy, fs::copy_options::recursive);
  s.fill(5);
  const auto newest = witness_entries(s.options.witness_file).back();
  REQUIRE(newest.sequence() == 10);
  fs::remove_all(s.options.path);
  fs::rename(copy, s.options.path);
  const auto witness_size = fs::file_size(s.options.witness_file);

  std::string error;
  CHECK_FALSE(s.open(error));
  CHECK(error.find("behind its witness") != std::string::npos);
  CHECK(error.find("lacks witnessed checkpoint #" + std::to_string(newest.checkpoint.checkpoint.number) +
                   " (sequence 10") != std::string::npos);
  CHECK(error.find("--accept-witness-mismatch") != std::string::npos);
  CHECK(fs::file_size(s.options.witness_file) == witness_size);  // a refused start writes nothing

  s.options.accept_witness_mismatch = true;
  {
    auto store = s.open(error);
    INFO(error);
    REQUIRE(store);
    CHECK(store->append_and_wait(sample_event()).sequence == 7);
  }
  auto reader = AuditReader::open(s.options.path, error);
  REQUIRE(reader);
  std::vector<AuditEvent> accepted;
  AuditQuery q;
  q.operation = "AuditWitnessMismatchAccepted";
  REQUIRE(reader->query(q, [&](const AuditEvent& e) {
    accepted.push_back(e);
    return true;
  }, error));
  REQUIRE(accepted.size() == 1);
  CHECK(accepted[0].sequence == 6);
  CHECK(accepted[0].request_parameters_json.find("\"witnessedSequence\":10,") != std::string::npos);
  CHECK(accepted[0].request_parameters_json.find("\"storeLastSequence\":5,") != std::string::npos);
  const auto entries = witness_entries(s.options.witness_file);
  const auto acceptance = std::find_if(entries.begin(), entries.end(),
                                       [](const WitnessEntry& e) { return e.kind == WitnessEntry::Kind::acceptance; });
  REQUIRE(acceptance != entries.end());
  CHECK(acceptance->acceptance.record_sequence == 6);
  CHECK(acceptance->acceptance.record_hash == accepted[0].hash);
  CHECK(acceptance->acceptance.witnessed_sequence == 10);
  CHECK(acceptance->acceptance.store_last_sequence == 5);
  {
    std::lock_guard lock(s.log_mutex);
    REQUIRE_FALSE(s.log.empty());
    CHECK(s.log.back().find("--accept-witness-mismatch") != std::string::npos);
  }
  // verify keeps the loss on record; the next start needs no flag.
  WitnessReport report;
  std::vector<WitnessReadIssue> issues;
  REQUIRE(reader->compare_witness(s.options.witness_file, "", report, issues, error));
  CHECK(report.ok());
  CHECK(report.acceptances.size() == 1);
  reader.reset();
  s.options.accept_witness_mismatch = false;
  CHECK(s.open(error));
}

TEST_CASE("a deleted store is not created again behind its witness's back") {
  Setup s;
  s.fill(3);
  fs::remove_all(s.options.path);
  std::string error;
  CHECK_FALSE(s.open(error));
  CHECK(error.find("no audit store") != std::string::npos);
  CHECK(error.find("sequence 3") != std::string::npos);
  CHECK_FALSE(fs::exists(s.options.path));
  s.options.accept_witness_mismatch = true;
  auto store = s.open(error);
  INFO(error);
  REQUIRE(store);
  CHECK(store->stats().last_sequence == 1);  // the acceptance record starts the new store
}

TEST_CASE("a failing witness: fail-closed is unhealthy until it writes again, fail-open logs") {
  for (const auto policy : {FailurePolicy::fail_closed, FailurePolicy::fail_open}) {
    Setup s;
    SmallFilesystem small(s.dir.file("witness-disk"), 1);
    if (!small.mounted()) {
      WARN("cannot mount a tmpfs here (not root?): the failing-witness test is skipped");
      return;
    }
    s.options.witness_file = s.dir.file("witness-disk") + "/witness.jsonl";
    s.options.failure_policy = policy;
    std::string error;
    auto store = s.open(error);
    INFO(error);
    REQUIRE(store);
    fill_up(s.dir.file("witness-disk") + "/filler");
    // tmpfs gives out whole pages: the page the first lines went into takes
    // a dozen more before a write needs space that is not there.
    std::uint64_t appended = 0;
    for (int i = 0; i < 200 && store->stats().witness_healthy; ++i) {
      REQUIRE(store->append_and_wait(sample_event()).ok);  // the store itself is fine
      ++appended;
      std::this_thread::sleep_for(std::chrono::milliseconds(60));
    }
    REQUIRE_FALSE(store->stats().witness_healthy);
    CHECK(store->healthy() == (policy == FailurePolicy::fail_open));
    {
      std::lock_guard lock(s.log_mutex);
      REQUIRE_FALSE(s.log.empty());
      CHECK(s.log.front().find("No space left on device") != std::string::npos);
    }
    fs::remove(s.dir.file("witness-disk") + "/filler");
    REQUIRE(eventually([&] { return store->stats().witness_healthy && store->healthy(); }));
    store.reset();
    // Nothing was lost from the witness's order: the retried line is there.
    const auto entries = witness_entries(s.options.witness_file);
    REQUIRE_FALSE(entries.empty());
    CHECK(entries.back().sequence() == appended);
  }
}

TEST_CASE("the store's folder and files are private whatever the umask") {
  TempDir dir("privacy");
  StoreOptions options;
  options.path = dir.file("store");
  const auto check_private = [&] {
    struct stat st {};
    REQUIRE(::stat(options.path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0700);
    for (const auto& entry : fs::directory_iterator(options.path)) {
      REQUIRE(::stat(entry.path().c_str(), &st) == 0);
      INFO(entry.path());
      CHECK((st.st_mode & 0777) == 0600);
    }
  };
  std::string error;
  {
    // Made by an older version, or copied: everything readable by all.
    const mode_t saved = ::umask(022);
    { auto store = AuditStore::open(options, error); }
    ::umask(saved);
    ::chmod(options.path.c_str(), 0755);
    for (const auto& entry : fs::directory_iterator(options.path)) ::chmod(entry.path().c_str(), 0644);
  }
  auto store = AuditStore::open(options, error);
  REQUIRE(store);
  check_private();
}
