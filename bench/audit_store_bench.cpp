// audit_store_bench: what the audit store costs. Prints records/s and append
// latency for each durability mode (async, sync, write-ahead) with 1, 16 and
// 64 concurrent producers, then the time to find one principal's records over
// one day in a store of N records (default 10 million). See bench/README.md.
//
// Producers model proxy workers: in sync and write-ahead a producer waits for
// each record to be durable before its next call (a request cannot answer
// before), write-ahead writing two records per call (intent, then outcome);
// in async a producer does not wait, but keeps at most 256 records in flight
// so that the measure is the sustained rate, not the queue filling up.
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <rocksdb/version.h>

#include "storage/audit_reader.hpp"
#include "storage/audit_store.hpp"

namespace {

namespace fs = std::filesystem;
using namespace dynaudit::storage;
using Clock = std::chrono::steady_clock;
using SysClock = std::chrono::system_clock;

struct Args {
  std::string dir;
  std::uint64_t records = 10'000'000;
  double seconds = 3.0;
  std::vector<unsigned> producers = {1, 16, 64};
  std::vector<std::string> modes = {"async", "sync", "write-ahead"};
  bool throughput = true;
  bool query = true;
  bool keep = false;
};

constexpr unsigned kPrincipals = 1000;
constexpr unsigned kTables = 20;
constexpr int kDays = 30;  // the query store spans 30 days

// A PutItem record as the proxy makes it, ~900 bytes of JSON.
AuditEvent sample_event(std::uint64_t n, SysClock::time_point when) {
  static const char* kOps[] = {"GetItem", "PutItem", "Query", "UpdateItem", "DeleteItem", "BatchGetItem"};
  AuditEvent e;
  e.event_id = new_event_id();
  e.event_time = when;
  e.event_name = kOps[n % 6];
  e.aws_region = "us-east-1";
  e.source_ip = "10.0.3.17";
  e.user_agent = "Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0 os/linux#6.1.0 md/arch#x86_64 lang/python#3.11.2";
  const std::string principal = "principal-" + std::to_string(n % kPrincipals);
  e.user_identity = {"IAMUser", principal, "AKIDBENCH" + std::to_string(n % kPrincipals), principal};
  const std::string table = "table_" + std::to_string((n / 7) % kTables);
  e.tables = {table};
  e.account_id = "123456789012";
  e.request_parameters_json = "{\"tableName\":\"" + table + "\",\"keys\":[{\"table\":\"" + table +
                              "\",\"attribute\":\"pk\",\"S\":\"customer-" + std::to_string(n % 100'000) +
                              "\"}],\"attributesWritten\":[\"pk\",\"amount\",\"status\",\"updated_at\"]}";
  e.request_id = "BENCH" + std::to_string(n);
  e.read_only = e.event_name == "GetItem" || e.event_name == "Query" || e.event_name == "BatchGetItem";
  if (n % 50 == 0) {
    e.error_code = "ConditionalCheckFailedException";
    e.error_message = "The conditional request failed";
  }
  e.auth_mode = "verify";
  e.signature_verified = true;
  e.outcome = "forwarded";
  e.http_status = e.error_code.empty() ? 200 : 400;
  e.request_items = 1;
  e.request_bytes = 180;
  e.response_bytes = 2;
  e.proxy_latency_us = 900;
  e.upstream_latency_us = 700;
  e.listener = "https";
  return e;
}

// Waits for a producer's outstanding appends, with a bound on how many.
class InFlight {
 public:
  void acquire(std::size_t max) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return n_ < max; });
    ++n_;
  }
  void release() {
    // Notify under the lock: once drain() sees zero, the owner may destroy
    // this object, so the writer thread must be done touching it by then.
    std::lock_guard lock(mu_);
    --n_;
    cv_.notify_all();
  }
  void drain() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return n_ == 0; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::size_t n_ = 0;
};

struct RunResult {
  std::uint64_t calls = 0;
  std::uint64_t records = 0;
  std::uint64_t failed = 0;
  double seconds = 0;
  std::vector<std::uint32_t> latency_us;  // per record, append -> callback
};

// Runs `producers` threads for `seconds` (or until `total_calls`, if set).
RunResult run_producers(AuditStore& store, unsigned producers, bool wait_each, unsigned records_per_call,
                        double seconds, std::uint64_t total_calls,
                        const std::function<SysClock::time_point(std::uint64_t)>& time_of) {
  std::atomic<std::uint64_t> next{0}, failed{0};
  std::vector<std::vector<std::uint32_t>> latencies(producers);
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  std::vector<std::thread> threads;
  std::atomic<std::uint64_t> calls_done{0};
  for (unsigned p = 0; p < producers; ++p) {
    threads.emplace_back([&, p] {
      InFlight in_flight;
      auto& lat = latencies[p];
      const std::size_t window = wait_each ? 1 : 256;
      while (true) {
        if (!total_calls && Clock::now() >= deadline) break;
        const std::uint64_t n = next.fetch_add(1);
        if (total_calls && n >= total_calls) break;
        std::optional<std::uint64_t> intent;
        for (unsigned r = 0; r < records_per_call; ++r) {
          AuditEvent e = sample_event(n, time_of(n));
          if (records_per_call == 2 && r == 0) {
            e.phase = RecordPhase::intent;
            e.outcome = "pending";
          }
          if (intent) e.intent_sequence = intent;
          in_flight.acquire(window);
          const auto t0 = Clock::now();
          std::uint64_t seq = 0;
          // Only a waiting producer's `seq` outlives the callback.
          std::uint64_t* seq_out = wait_each ? &seq : nullptr;
          store.append(std::move(e), [&failed, &lat, &in_flight, t0, seq_out](const AppendResult& result) {
            if (!result.ok) failed.fetch_add(1);
            if (seq_out) *seq_out = result.sequence;
            lat.push_back(static_cast<std::uint32_t>(
                std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count()));
            in_flight.release();
          });
          if (wait_each) {
            in_flight.drain();  // the call waits for its record, as a request does
            if (records_per_call == 2 && r == 0) intent = seq;
          }
        }
        calls_done.fetch_add(1);
      }
      in_flight.drain();
    });
  }
  for (auto& t : threads) t.join();
  RunResult out;
  out.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  out.calls = calls_done.load();
  out.failed = failed.load();
  for (auto& l : latencies) out.latency_us.insert(out.latency_us.end(), l.begin(), l.end());
  out.records = out.latency_us.size();
  return out;
}

double percentile(std::vector<std::uint32_t>& v, double p) {
  if (v.empty()) return 0;
  auto k = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k] / 1000.0;
}

std::unique_ptr<AuditStore> open_store(const std::string& path, Durability durability) {
  StoreOptions options;
  options.path = path;
  options.durability = durability;
  std::string error;
  auto store = AuditStore::open(options, error);
  if (!store) std::fprintf(stderr, "audit_store_bench: cannot open %s: %s\n", path.c_str(), error.c_str());
  return store;
}

bool throughput(const Args& args) {
  std::printf("\n== append throughput (%.1f s per run; latency = append until durable/committed)\n", args.seconds);
  std::printf("%-12s %9s %12s %12s %10s %10s %8s\n", "durability", "producers", "calls/s", "records/s", "p50 ms",
              "p99 ms", "failed");
  for (const auto& mode : args.modes) {
    for (unsigned producers : args.producers) {
      const std::string path = args.dir + "/throughput-" + mode + "-" + std::to_string(producers);
      fs::remove_all(path);
      auto store = open_store(path, mode == "async" ? Durability::async : Durability::sync);
      if (!store) return false;
      auto r = run_producers(*store, producers, mode != "async", mode == "write-ahead" ? 2 : 1, args.seconds, 0,
                             [](std::uint64_t) { return SysClock::now(); });
      store.reset();  // async: the close drains what is queued; already counted by callbacks
      std::printf("%-12s %9u %12.0f %12.0f %10.3f %10.3f %8llu\n", mode.c_str(), producers,
                  static_cast<double>(r.calls) / r.seconds, static_cast<double>(r.records) / r.seconds,
                  percentile(r.latency_us, 0.50), percentile(r.latency_us, 0.99),
                  static_cast<unsigned long long>(r.failed));
      std::fflush(stdout);
      if (!args.keep) fs::remove_all(path);
    }
  }
  return true;
}

bool query_time(const Args& args) {
  const std::string path = args.dir + "/query-" + std::to_string(args.records);
  const auto end = std::chrono::floor<std::chrono::hours>(SysClock::now());
  const auto span = std::chrono::hours(24 * kDays);
  const auto begin = end - span;
  // Records evenly spread over the 30 days, in time order like a real log.
  auto time_of = [&](std::uint64_t n) {
    return begin + std::chrono::duration_cast<SysClock::duration>(span * (static_cast<double>(n) /
                                                                          static_cast<double>(args.records)));
  };
  const fs::path done_marker = fs::path(path) / "BENCH_FILLED";
  if (!fs::exists(done_marker)) {
    fs::remove_all(path);
    std::printf("\n== filling %s with %llu records over %d days (async, 4 producers)...\n", path.c_str(),
                static_cast<unsigned long long>(args.records), kDays);
    std::fflush(stdout);
    auto store = open_store(path, Durability::async);
    if (!store) return false;
    auto r = run_producers(*store, 4, false, 1, 0, args.records, time_of);
    store.reset();
    std::printf("   filled in %.1f s (%.0f records/s), %llu failed\n", r.seconds,
                static_cast<double>(r.records) / r.seconds, static_cast<unsigned long long>(r.failed));
    std::FILE* f = std::fopen(done_marker.c_str(), "w");
    if (f) std::fclose(f);
  } else {
    std::printf("\n== reusing the filled store %s (delete it to refill)\n", path.c_str());
  }
  std::uint64_t bytes = 0;
  for (const auto& entry : fs::recursive_directory_iterator(path)) {
    if (entry.is_regular_file()) bytes += entry.file_size();
  }
  std::string error;
  auto reader = AuditReader::open(path, error);
  if (!reader) {
    std::fprintf(stderr, "audit_store_bench: cannot open %s read-only: %s\n", path.c_str(), error.c_str());
    return false;
  }
  const auto stats = reader->stats();
  std::printf("   store: %llu records, %.2f GB on disk\n", static_cast<unsigned long long>(stats.records),
              static_cast<double>(bytes) / 1e9);

  AuditQuery q;
  q.principal = "principal-17";
  q.since = begin + std::chrono::hours(24 * (kDays / 2));
  q.until = *q.since + std::chrono::hours(24);
  std::printf("%-40s %10s %12s\n", "query: principal-17, one day", "matches", "ms");
  std::vector<double> times;
  for (int run = 0; run < 6; ++run) {
    std::uint64_t matches = 0;
    const auto t0 = Clock::now();
    std::string error;
    const bool read = reader->query(
        q,
        [&](const AuditEvent&) {
          ++matches;
          return true;
        },
        error);
    if (!read) {
      std::fprintf(stderr, "query failed: %s\n", error.c_str());
      return false;
    }
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    times.push_back(ms);
    std::printf("%-40s %10llu %12.2f\n", run == 0 ? "  first run (cold caches)" : "  again",
                static_cast<unsigned long long>(matches), ms);
  }
  std::sort(times.begin() + 1, times.end());
  std::printf("  median of the warm runs: %.2f ms\n", times[1 + (times.size() - 1) / 2]);
  if (!args.keep) fs::remove_all(path);
  return true;
}

std::optional<std::uint64_t> number(std::string_view s) {
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    auto comma = s.find(',', start);
    if (comma == std::string::npos) comma = s.size();
    if (comma > start) out.push_back(s.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

int usage() {
  std::fprintf(stderr,
               "usage: audit_store_bench [--dir DIR] [--records N] [--seconds S] [--producers 1,16,64]\n"
               "                         [--modes async,sync,write-ahead] [--throughput-only | --query-only] "
               "[--keep]\n");
  return 2;
}

void print_machine(const std::string& dir) {
  utsname u{};
  uname(&u);
  struct statfs sf {};
  std::string fs_type = "unknown";
  if (statfs(dir.c_str(), &sf) == 0) {
    switch (static_cast<unsigned long>(sf.f_type)) {
      case 0xEF53: fs_type = "ext4"; break;
      case 0x01021994: fs_type = "tmpfs (fsync is free: sync numbers mean nothing here)"; break;
      case 0x58465342: fs_type = "xfs"; break;
      case 0x9123683E: fs_type = "btrfs"; break;
      case 0x794c7630: fs_type = "overlayfs"; break;
      default: {
        char hex[32];
        std::snprintf(hex, sizeof hex, "0x%lx", static_cast<unsigned long>(sf.f_type));
        fs_type = hex;
      }
    }
  }
  std::printf("audit_store_bench: %ld cores, %s %s, RocksDB %d.%d.%d, store folder %s on %s\n",
              sysconf(_SC_NPROCESSORS_ONLN), u.sysname, u.release, ROCKSDB_MAJOR, ROCKSDB_MINOR, ROCKSDB_PATCH,
              dir.c_str(), fs_type.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::optional<std::string> {
      if (i + 1 >= argc) return std::nullopt;
      return std::string(argv[++i]);
    };
    if (a == "--dir") {
      auto v = value();
      if (!v) return usage();
      args.dir = *v;
    } else if (a == "--records") {
      auto v = value();
      auto n = v ? number(*v) : std::nullopt;
      if (!n || *n == 0) return usage();
      args.records = *n;
    } else if (a == "--seconds") {
      auto v = value();
      if (!v) return usage();
      args.seconds = std::atof(v->c_str());
      if (args.seconds <= 0) return usage();
    } else if (a == "--producers") {
      auto v = value();
      if (!v) return usage();
      args.producers.clear();
      for (const auto& p : split(*v)) {
        auto n = number(p);
        if (!n || *n == 0 || *n > 1024) return usage();
        args.producers.push_back(static_cast<unsigned>(*n));
      }
    } else if (a == "--modes") {
      auto v = value();
      if (!v) return usage();
      args.modes = split(*v);
      for (const auto& m : args.modes) {
        if (m != "async" && m != "sync" && m != "write-ahead") return usage();
      }
    } else if (a == "--throughput-only") {
      args.query = false;
    } else if (a == "--query-only") {
      args.throughput = false;
    } else if (a == "--keep") {
      args.keep = true;
    } else {
      return usage();
    }
  }
  bool made_dir = false;
  if (args.dir.empty()) {
    // Next to the working directory, not /tmp: /tmp may be a tmpfs, where
    // fsync costs nothing and sync figures would flatter.
    args.dir = (fs::current_path() / "audit-bench-data").string();
    made_dir = !fs::exists(args.dir);
  }
  std::error_code ec;
  fs::create_directories(args.dir, ec);
  if (ec) {
    std::fprintf(stderr, "audit_store_bench: cannot create %s: %s\n", args.dir.c_str(), ec.message().c_str());
    return 1;
  }
  print_machine(args.dir);
  bool ok = true;
  if (args.throughput) ok = throughput(args) && ok;
  if (args.query) ok = query_time(args) && ok;
  if (made_dir && !args.keep) fs::remove_all(args.dir, ec);
  return ok ? 0 : 1;
}
