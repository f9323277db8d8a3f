// Query correctness over 100k generated records: every answer equals a
// brute-force filter over all records (same records, same order), for many
// random queries with limits and after_sequence; and the planner picks the
// smallest index.
#include <catch2/catch.hpp>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <random>

#include "storage/audit_reader.hpp"
#include "storage/audit_store.hpp"
#include "storage/key_encoding.hpp"
#include "storage/query_plan.hpp"
#include "storage/rocks_handle.hpp"
#include "storage/time_format.hpp"
#include "test_support.hpp"

using namespace dynaudit::storage;
using storage_test::sample_event;
using storage_test::TempDir;
using storage_test::test_time;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kRecords = 100'000;
const std::vector<std::string> kOperations = {"GetItem", "PutItem", "Query", "Scan", "UpdateItem",
                                              "DeleteItem", "BatchWriteItem", "DescribeTable"};
const std::vector<std::string> kErrors = {"ConditionalCheckFailedException", "AccessDeniedException",
                                          "ValidationException", "ProvisionedThroughputExceededException"};

std::string principal_name(std::size_t i) { return "principal-" + std::to_string(i); }
std::string table_name(std::size_t i) { return "table-" + std::to_string(i); }

// Skewed: a few busy principals and tables, a long tail of rare ones.
std::size_t skewed(std::mt19937_64& random, std::size_t n) {
  std::uniform_real_distribution<double> unit(0, 1);
  const double u = unit(random);
  return std::min(n - 1, static_cast<std::size_t>(u * u * u * static_cast<double>(n)));
}

AuditEvent generated_event(std::mt19937_64& random, std::size_t i) {
  AuditEvent e = sample_event(principal_name(skewed(random, 60)), table_name(skewed(random, 25)),
                              kOperations[random() % kOperations.size()]);
  if (random() % 5 == 0) e.tables.push_back(table_name(random() % 25));  // two tables (batch calls)
  if (random() % 4 == 0) e.error_code = kErrors[random() % kErrors.size()];
  if (random() % 10 == 0) e.decision = "deny";
  // About 10 records a second, out of order by up to 5 s: times do not
  // follow sequences, as with calls that finish in a different order.
  const auto jitter = static_cast<std::int64_t>(random() % 10'000) - 5'000;
  e.event_time = test_time(static_cast<std::int64_t>(i) * 100 + jitter);
  e.request_id = "REQ-" + std::to_string(i);
  // Rules and tags from i, so the random stream (and the store) is unchanged.
  if (i % 7 == 0) e.matched_rules = {"rule-a"};
  if (i % 11 == 0) e.shadow_rules = {"rule-b"};
  if (i % 13 == 0) {
    e.matched_rules.push_back("rule-c");
    e.determining_rule = "rule-c";
  }
  if (i % 3 == 0) e.tags = {"pci-dss:10.2.1"};
  if (i % 5 == 0) e.tags.push_back("hipaa:164.312(b)");
  return e;
}

// The oracle, written independently of the store's own filter.
bool brute_force_match(const AuditEvent& e, const AuditQuery& q) {
  const std::int64_t t = unix_ms(e.event_time);
  if (q.since && t < ceil_unix_ms(*q.since)) return false;
  if (q.until && t >= ceil_unix_ms(*q.until)) return false;
  if (q.principal && e.user_identity.principal_id != *q.principal) return false;
  if (q.table) {
    bool any = false;
    for (const auto& table : e.tables) any = any || table == *q.table;
    if (!any) return false;
  }
  if (q.operation && e.event_name != *q.operation) return false;
  if (q.decision && e.decision != *q.decision) return false;
  if (q.error_code && *q.error_code == "*" && e.error_code.empty()) return false;
  if (q.error_code && *q.error_code != "*" && e.error_code != *q.error_code) return false;
  if (q.after_sequence && e.sequence <= *q.after_sequence) return false;
  if (q.rule) {
    std::vector<std::string> all = e.matched_rules;
    all.insert(all.end(), e.shadow_rules.begin(), e.shadow_rules.end());
    if (!e.determining_rule.empty()) all.push_back(e.determining_rule);
    if (std::count(all.begin(), all.end(), *q.rule) == 0) return false;
  }
  if (q.tag) {
    bool any = false;
    for (const auto& tag : e.tags) {
      if (q.tag->back() == '*') any = any || tag.rfind(q.tag->substr(0, q.tag->size() - 1), 0) == 0;
      else any = any || tag == *q.tag;
    }
    if (!any) return false;
  }
  return true;
}

AuditQuery random_query(std::mt19937_64& random) {
  AuditQuery q;
  const auto chance = [&](int percent) { return static_cast<int>(random() % 100) < percent; };
  const std::int64_t span = static_cast<std::int64_t>(kRecords) * 100;
  if (chance(50)) q.principal = principal_name(random() % 62);  // 60, 61 never occur
  if (chance(30)) q.table = table_name(random() % 26);
  if (chance(30)) q.operation = kOperations[random() % kOperations.size()];
  if (chance(15)) q.decision = chance(50) ? "deny" : "allow";
  if (chance(20)) q.error_code = chance(30) ? "*" : kErrors[random() % kErrors.size()];
  if (chance(60)) {
    const auto start = static_cast<std::int64_t>(random() % static_cast<std::uint64_t>(span)) - 6'000;
    q.since = test_time(start) + std::chrono::microseconds(random() % 2 == 0 ? 0 : 500);
    if (chance(80)) q.until = *q.since + std::chrono::milliseconds(random() % (span / 4));
  } else if (chance(30)) {
    q.until = test_time(static_cast<std::int64_t>(random() % static_cast<std::uint64_t>(span)));
  }
  if (chance(20)) q.after_sequence = random() % (kRecords + 10);
  if (chance(10)) q.rule = std::vector<std::string>{"rule-a", "rule-b", "rule-c", "rule-d"}[random() % 4];
  if (chance(10)) q.tag = std::vector<std::string>{"pci-dss:10.2.1", "pci-dss:*", "hipaa:*", "sox:*"}[random() % 4];
  // Unfiltered or wide queries get a limit so that the test stays fast.
  const bool narrow = q.principal || (q.table && q.operation);
  if (!narrow || chance(40)) q.limit = 1 + random() % 300;
  return q;
}

std::string describe(const AuditQuery& q) {
  std::string text;
  if (q.principal) text += " principal=" + *q.principal;
  if (q.table) text += " table=" + *q.table;
  if (q.operation) text += " operation=" + *q.operation;
  if (q.decision) text += " decision=" + *q.decision;
  if (q.error_code) text += " error=" + *q.error_code;
  if (q.since) text += " since=" + std::to_string(unix_ms(*q.since) - unix_ms(test_time()));
  if (q.until) text += " until=" + std::to_string(unix_ms(*q.until) - unix_ms(test_time()));
  if (q.after_sequence) text += " after=" + std::to_string(*q.after_sequence);
  if (q.rule) text += " rule=" + *q.rule;
  if (q.tag) text += " tag=" + *q.tag;
  text += " limit=" + std::to_string(q.limit);
  return text;
}

// One store for all query tests: generating it is the slow part.
struct GeneratedStore {
  TempDir dir{"query"};
  std::vector<AuditEvent> events;  // index = sequence - 1
  double records_per_second = 0;

  GeneratedStore() {
    StoreOptions options;
    options.path = dir.path();
    options.durability = Durability::async;
    options.max_batch = 8192;
    options.max_queue = kRecords;
    std::string error;
    auto store = AuditStore::open(options, error);
    REQUIRE(store);
    std::mt19937_64 random(20261129);
    events.resize(kRecords);
    std::mutex mutex;
    std::condition_variable all_done;
    std::size_t done = 0;
    bool all_ok = true;
    const auto started = Clock::now();
    for (std::size_t i = 0; i < kRecords; ++i) {
      AuditEvent e = generated_event(random, i);
      AuditEvent copy = e;
      store->append(std::move(e), [&, copy = std::move(copy)](const AppendResult& r) mutable {
        std::lock_guard lock(mutex);
        all_ok = all_ok && r.ok;
        if (r.ok) {
          copy.sequence = r.sequence;
          events[r.sequence - 1] = std::move(copy);
        }
        if (++done == kRecords) all_done.notify_all();
      });
    }
    std::unique_lock lock(mutex);
    all_done.wait(lock, [&] { return done == kRecords; });
    REQUIRE(all_ok);
    const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
    records_per_second = static_cast<double>(kRecords) / seconds;
  }
};

GeneratedStore& generated() {
  static GeneratedStore store;
  return store;
}

std::vector<std::uint64_t> run(const AuditReader& reader, const AuditQuery& q) {
  std::vector<std::uint64_t> sequences;
  std::string error;
  const bool read = reader.query(
      q,
      [&](const AuditEvent& e) {
        sequences.push_back(e.sequence);
        return true;
      },
      error);
  INFO(error);
  REQUIRE(read);
  return sequences;
}

std::vector<std::uint64_t> expected(const std::vector<AuditEvent>& events, const AuditQuery& q) {
  std::vector<std::uint64_t> sequences;
  for (const auto& e : events) {
    if (!brute_force_match(e, q)) continue;
    sequences.push_back(e.sequence);
    if (q.limit != 0 && sequences.size() == q.limit) break;
  }
  return sequences;
}

}  // namespace

TEST_CASE("query: 100k records, random queries equal a brute-force filter") {
  auto& store = generated();
  WARN("generated " << kRecords << " async records at " << static_cast<long>(store.records_per_second)
                    << " records/s (test machine, not a benchmark)");
  std::string error;
  auto reader = AuditReader::open(store.dir.path(), error);
  REQUIRE(reader);
  REQUIRE(reader->stats().records == kRecords);

  std::mt19937_64 random(4242);
  std::size_t non_empty = 0;
  std::size_t total_rows = 0;
  const auto started = Clock::now();
  constexpr int kQueries = 300;
  for (int i = 0; i < kQueries; ++i) {
    const AuditQuery q = random_query(random);
    INFO("query " << i << ":" << describe(q));
    const auto want = expected(store.events, q);
    const auto got = run(*reader, q);
    REQUIRE(got == want);
    non_empty += want.empty() ? 0 : 1;
    total_rows += got.size();
  }
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
  WARN(kQueries << " queries, " << total_rows << " rows, " << elapsed << " ms including the brute force");
  CHECK(non_empty > kQueries / 2);  // the random queries mostly find something
}

TEST_CASE("query: fixed queries with known answers") {
  auto& store = generated();
  std::string error;
  auto reader = AuditReader::open(store.dir.path(), error);
  REQUIRE(reader);
  {
    AuditQuery by_principal;
    by_principal.principal = "principal-59";
    const auto rare = expected(store.events, by_principal);
    CHECK(run(*reader, by_principal) == rare);
    REQUIRE_FALSE(rare.empty());

    AuditQuery nobody;
    nobody.principal = "principal-61";
    CHECK(run(*reader, nobody).empty());

    AuditQuery any_error;
    any_error.error_code = "*";
    any_error.limit = 1000;
    const auto errors = run(*reader, any_error);
    CHECK(errors == expected(store.events, any_error));
    CHECK(errors.size() == 1000);

    AuditQuery by_rule;
    by_rule.rule = "rule-b";  // shadow only
    by_rule.limit = 5;
    CHECK(run(*reader, by_rule) == std::vector<std::uint64_t>{1, 12, 23, 34, 45});

    AuditQuery by_tag;
    by_tag.tag = "hipaa:*";
    by_tag.principal = "principal-0";
    CHECK(run(*reader, by_tag) == expected(store.events, by_tag));
    REQUIRE_FALSE(run(*reader, by_tag).empty());

    AuditQuery tail;
    tail.after_sequence = kRecords - 3;
    CHECK(run(*reader, tail) == std::vector<std::uint64_t>{kRecords - 2, kRecords - 1, kRecords});

    AuditQuery empty_range;
    empty_range.since = test_time(5000);
    empty_range.until = test_time(5000);
    CHECK(run(*reader, empty_range).empty());

    // The callback can stop early.
    std::size_t seen = 0;
    std::string error;
    CHECK(reader->query({}, [&](const AuditEvent&) { return ++seen < 7; }, error));
    CHECK(seen == 7);
  }
}

TEST_CASE("query planner: the smallest index for the range wins") {
  auto& store = generated();
  OpenSpec spec{store.dir.path(), OpenMode::secondary, nullptr, store.dir.file("planner-secondary")};
  std::string error;
  auto handle = RocksHandle::open(spec, error);
  REQUIRE(handle);

  const auto plan_query = [&handle](const AuditQuery& q) {
    ScanPlan planned;
    std::string why;
    REQUIRE(dynaudit::storage::plan_query(*handle, q, planned, why));
    return planned;
  };
  AuditQuery none;
  CHECK(plan_query(none).family == Family::records);
  CHECK(plan_query(none).estimate == kRecords);

  AuditQuery rare_principal;
  rare_principal.principal = "principal-59";
  rare_principal.operation = "GetItem";
  auto plan = plan_query(rare_principal);
  CHECK(plan.family == Family::principal);
  std::size_t count = 0;
  for (const auto& e : store.events) count += e.user_identity.principal_id == "principal-59";
  CHECK(plan.estimate == count);

  AuditQuery rare_error;
  rare_error.principal = "principal-0";  // the busiest
  rare_error.error_code = "ValidationException";
  rare_error.since = test_time(0);
  rare_error.until = test_time(60'000);  // one minute: ~600 records
  plan = plan_query(rare_error);
  CHECK(plan.family == Family::outcome);
  count = 0;
  for (const auto& e : store.events) {
    const auto t = unix_ms(e.event_time) - unix_ms(test_time());
    count += e.error_code == "ValidationException" && t >= 0 && t < 60'000;
  }
  CHECK(plan.estimate == count);

  AuditQuery tail;
  tail.after_sequence = kRecords - 5;
  tail.operation = "GetItem";
  plan = plan_query(tail);
  CHECK(plan.family == Family::records);
  CHECK(plan.estimate == 5);
  CHECK(plan.lower == keys::record_key(kRecords - 4));

  AuditQuery backwards;
  backwards.since = test_time(10);
  backwards.until = test_time(5);
  CHECK(plan_query(backwards).empty);
}

TEST_CASE("the 100k-record store verifies, with progress reports") {
  auto& store = generated();
  std::string error;
  auto reader = AuditReader::open(store.dir.path(), error);
  REQUIRE(reader);
  std::vector<VerifyProgress> progress;
  const auto report = reader->verify("", [&](const VerifyProgress& p) { progress.push_back(p); });
  CHECK(report.ok);
  CHECK(report.records_checked == kRecords);
  REQUIRE(progress.size() == 11);  // every 10k, and once at the end
  CHECK(progress[0].checked == 10'000);
  CHECK(progress[0].total == kRecords);
  CHECK(progress.back().checked == kRecords);
}

TEST_CASE("query: newest first, paged by cursor, equals the brute force in (time, sequence) order") {
  auto& store = generated();
  std::string error;
  auto reader = AuditReader::open(store.dir.path(), error);
  REQUIRE(reader);
  std::mt19937_64 random(777);
  for (int i = 0; i < 60; ++i) {
    AuditQuery q = random_query(random);
    q.limit = 0;
    q.after_sequence.reset();
    INFO("query " << i << ":" << describe(q));
    // Everything that matches, newest first by (time, sequence).
    std::vector<const AuditEvent*> want;
    for (const auto& e : store.events)
      if (brute_force_match(e, q)) want.push_back(&e);
    std::sort(want.begin(), want.end(), [](const AuditEvent* a, const AuditEvent* b) {
      const auto ta = unix_ms(a->event_time), tb = unix_ms(b->event_time);
      return ta != tb ? ta > tb : a->sequence > b->sequence;
    });
    // Read in pages of 37 through the cursor, as the console does.
    AuditQuery page = q;
    page.newest_first = true;
    page.limit = 37;
    std::vector<std::uint64_t> got;
    for (int guard = 0; guard < 10'000; ++guard) {
      std::vector<AuditEvent> rows;
      REQUIRE(reader->query(
          page,
          [&](const AuditEvent& e) {
            rows.push_back(e);
            return true;
          },
          error));
      for (const auto& r : rows) got.push_back(r.sequence);
      if (rows.size() < page.limit) break;
      page.before = std::make_pair(unix_ms(rows.back().event_time), rows.back().sequence);
    }
    std::vector<std::uint64_t> want_sequences;
    for (const auto* e : want) want_sequences.push_back(e->sequence);
    REQUIRE(got == want_sequences);
  }
}

TEST_CASE("query: newest first stops at its examined bound and says where") {
  auto& store = generated();
  std::string error;
  auto reader = AuditReader::open(store.dir.path(), error);
  REQUIRE(reader);
  AuditQuery q;
  q.newest_first = true;
  q.rule = "no-such-rule";  // no index serves a rule: every record is examined
  q.limit = 10;
  q.max_examined = 1000;
  std::optional<std::pair<std::int64_t, std::uint64_t>> stopped;
  q.cut_short = [&](std::int64_t ms, std::uint64_t sequence) { stopped = std::make_pair(ms, sequence); };
  std::size_t rows = 0;
  REQUIRE(reader->query(q, [&](const AuditEvent&) { return ++rows, true; }, error));
  CHECK(rows == 0);
  REQUIRE(stopped);
  // It stopped within a chunk of the bound: 1 000 newest, then the chunk's rest.
  std::vector<const AuditEvent*> newest;
  for (const auto& e : store.events) newest.push_back(&e);
  std::sort(newest.begin(), newest.end(), [](const AuditEvent* a, const AuditEvent* b) {
    const auto ta = unix_ms(a->event_time), tb = unix_ms(b->event_time);
    return ta != tb ? ta > tb : a->sequence > b->sequence;
  });
  std::size_t position = 0;
  while (position < newest.size() && newest[position]->sequence != stopped->second) ++position;
  CHECK(position + 1 >= 1000);
  CHECK(position + 1 < 1000 + 256);
  CHECK(unix_ms(newest[position]->event_time) == stopped->first);
}
