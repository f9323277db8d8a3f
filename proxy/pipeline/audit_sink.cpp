// The pipeline's audit appends; see audit_sink.hpp.
#include "proxy/pipeline/audit_sink.hpp"

#include <algorithm>

#include "ddb/error_response.hpp"
#include "proxy/log/request_log.hpp"
#include "storage/time_format.hpp"

namespace dynaudit::proxy {
namespace {

std::int64_t now_ms() { return storage::unix_ms(std::chrono::system_clock::now()); }

std::string json_escaped(std::string_view text) {
  std::string out;
  ddb::append_json_escaped(out, text);
  return out;
}

// Both outages as one: counts add up, the span covers both.
void merge_into(storage::UnrecordedCalls& into, const storage::UnrecordedCalls& more) {
  if (more.count == 0) return;
  into.first_ms = into.count == 0 ? more.first_ms : std::min(into.first_ms, more.first_ms);
  into.last_ms = into.count == 0 ? more.last_ms : std::max(into.last_ms, more.last_ms);
  into.count += more.count;
}

void subtract(storage::UnrecordedCalls& from, const storage::UnrecordedCalls& recorded) {
  from.count -= std::min(from.count, recorded.count);
  if (from.count == 0) from = {};
}

}  // namespace

AuditSink::AuditSink(storage::AuditStore* store, const AuditConfig& config,
                     std::unique_ptr<storage::UnrecordedCallsFile> unrecorded_file)
    : store_(store), config_(config), file_(std::move(unrecorded_file)) {}

bool AuditSink::refuses_calls() const {
  return store_ && config_.failure_policy == AuditFailurePolicy::fail_closed && !store_->healthy();
}

void AuditSink::note_result(const storage::AppendResult& result, const storage::AuditEvent* lost) {
  if (result.ok) {
    if (observer_ && result.event) observer_(*result.event);
    record_outage_if_any();
    return;
  }
  const auto now = now_ms();
  count_unrecorded(1, now, now);
  // fail-open promises that every record it could not store is at least in
  // the log; the record already holds no item values.
  std::string fields = "\"error\":\"";
  ddb::append_json_escaped(fields, result.error);
  fields += "\"";
  if (lost) fields += ",\"record\":" + storage::to_json(*lost, false);
  write_log_line(format_log_line("error", "audit record not written", fields));
}

void AuditSink::count_unrecorded(std::uint64_t calls, std::int64_t first_ms, std::int64_t last_ms) {
  std::lock_guard lock(gap_mutex_);
  const bool gap_begins = gap_.count == 0 && recording_.count == 0;
  merge_into(gap_, storage::UnrecordedCalls{calls, first_ms, last_ms});
  unrecorded_ = gap_.count;
  persist_locked(gap_begins ? FileSync::now : FileSync::paced);
}

// The file holds every call not yet in a committed AuditStoreRecovered
// record: those still counting (gap_) and those whose record is on its way
// (recording_). It is written before the caller goes on (in sync mode the
// client's answer waits for it), so a crash or kill of the process loses
// nothing. It is synced at once when a gap begins and when a record of it is
// durable (sync and write-ahead modes; in async mode the zeroed count is left
// for a later sync, see sync_after_commit), and while a gap grows at most
// every kFileSyncInterval: one fdatasync per
// failed record would hold every worker at the disk's sync rate during the
// very outage fail-open rides through. What the machine itself losing power
// can cost is the count of the last interval's calls, never the gap.
void AuditSink::persist_locked(FileSync when) {
  if (!file_) return;
  constexpr auto kFileSyncInterval = std::chrono::milliseconds(50);
  storage::UnrecordedCalls state = gap_;
  merge_into(state, recording_);
  const auto now = std::chrono::steady_clock::now();
  const bool sync = when == FileSync::now || (when == FileSync::paced && now - file_synced_at_ >= kFileSyncInterval);
  std::string error;
  if (file_->write(state, error, sync) && sync) file_synced_at_ = now;
  if (!error.empty()) {
    if (!file_failing_)
      write_log_line(format_log_line("error", "the count of unrecorded calls cannot be kept",
                                     "\"error\":\"" + json_escaped(error) +
                                         "\",\"note\":\"a restart before the store recovers loses the count\""));
    file_failing_ = true;
  } else if (file_failing_) {
    file_failing_ = false;
    write_log_line(format_log_line("info", "the count of unrecorded calls is kept again",
                                   "\"file\":\"" + json_escaped(file_->path()) + "\""));
  }
}

storage::AuditEvent AuditSink::outage_event(const storage::UnrecordedCalls& missed, bool before_restart) const {
  storage::AuditEvent outage;
  outage.event_id = storage::new_event_id();
  outage.event_time = std::chrono::system_clock::now();
  outage.event_name = "AuditStoreRecovered";
  outage.management_event = true;
  outage.outcome = "store_recovered";
  outage.decision = "allow";
  std::string parameters = "{\"unrecordedCalls\":" + std::to_string(missed.count);
  // A previous run's policy is not known; this run's is.
  if (before_restart) {
    parameters += ",\"beforeRestart\":true";
  } else {
    parameters += std::string(",\"failurePolicy\":\"") +
                  (config_.failure_policy == AuditFailurePolicy::fail_open ? "fail-open" : "fail-closed") + "\"";
  }
  if (missed.first_ms != 0)
    parameters += ",\"firstUnrecordedAt\":\"" + storage::cloudtrail_time(missed.first_ms) +
                  "\",\"lastUnrecordedAt\":\"" + storage::cloudtrail_time(missed.last_ms) + "\"";
  outage.request_parameters_json = parameters + "}";
  return outage;
}

void AuditSink::record_outage_if_any() {
  if (unrecorded_.load() == 0) return;
  storage::UnrecordedCalls missed;
  {
    std::lock_guard lock(gap_mutex_);
    missed = std::exchange(gap_, {});
    unrecorded_ = 0;
    if (missed.count == 0) return;
    merge_into(recording_, missed);  // still in the file until the record is committed
  }
  // The store is back: say in the log itself that calls went unrecorded.
  store_->append(outage_event(missed, false), [this, missed](const storage::AppendResult& r) {
    std::lock_guard lock(gap_mutex_);
    subtract(recording_, missed);
    if (!r.ok) {
      merge_into(gap_, missed);  // try again after the next success
      unrecorded_ = gap_.count;
    }
    persist_locked(sync_after_commit());
  });
}

bool AuditSink::record_previous_outage() {
  if (!store_ || !file_ || file_->at_open().count == 0) return true;
  const storage::UnrecordedCalls missed = file_->at_open();
  {
    std::lock_guard lock(gap_mutex_);
    merge_into(recording_, missed);
  }
  const auto result = store_->append_and_wait(outage_event(missed, true));
  std::lock_guard lock(gap_mutex_);
  subtract(recording_, missed);
  if (!result.ok) {
    merge_into(gap_, missed);  // recorded with the next outage record instead
    unrecorded_ = gap_.count;
  }
  persist_locked(sync_after_commit());
  return result.ok;
}

asio::awaitable<storage::AppendResult> AuditSink::record(storage::AuditEvent event) {
  if (!store_) co_return storage::AppendResult{true, 0, {}, {}};
  auto executor = co_await asio::this_coro::executor;
  auto result = co_await asio::async_initiate<decltype(asio::use_awaitable), void(storage::AppendResult)>(
      // Captures by reference only: g++ 12 destroys a by-value capture of
      // a lambda temporary in a co_await expression twice.
      [this, &event, &executor](auto handler) {
        // The writer thread completes the append and counts a failure at
        // once (so that a worker stopped meanwhile cannot lose the count),
        // then resumes the coroutine on its own worker.
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        store_->append(std::move(event), [this, shared, executor](const storage::AppendResult& r) {
          note_result(r, r.event);
          storage::AppendResult outcome{r.ok, r.sequence, {}, r.error, nullptr};  // the event is the writer's
          asio::post(executor, [shared, outcome = std::move(outcome)]() mutable { (*shared)(std::move(outcome)); });
        });
      },
      asio::use_awaitable);
  co_return result;
}

void AuditSink::record_detached(storage::AuditEvent event) {
  if (!store_) return;
  store_->append(std::move(event), [this](const storage::AppendResult& r) { note_result(r, r.event); });
}

std::size_t AuditSink::record_cut_short_calls() {
  if (!store_) return 0;
  const auto calls = forwarded_.take_all();
  for (ForwardedCall* call : calls) record_detached(call->describe());
  return calls.size();
}

}  // namespace dynaudit::proxy
