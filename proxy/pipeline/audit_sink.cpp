// The pipeline's audit appends; see audit_sink.hpp.
#include "proxy/pipeline/audit_sink.hpp"

#include "ddb/error_response.hpp"
#include "proxy/log/request_log.hpp"

namespace dynaudit::proxy {

bool AuditSink::refuses_calls() const {
  return store_ && config_.failure_policy == AuditFailurePolicy::fail_closed && !store_->healthy();
}

void AuditSink::note_result(const storage::AppendResult& result, const storage::AuditEvent* lost) {
  if (result.ok) return;
  unrecorded_.fetch_add(1);
  unrecorded_total_.fetch_add(1);
  // fail-open promises that every record it could not store is at least in
  // the log; the record already holds no item values.
  std::string fields = "\"error\":\"";
  ddb::append_json_escaped(fields, result.error);
  fields += "\"";
  if (lost) fields += ",\"record\":" + storage::to_json(*lost, false);
  write_log_line(format_log_line("error", "audit record not written", fields));
}

void AuditSink::record_outage_if_any() {
  const auto missed = unrecorded_.exchange(0);
  if (missed == 0) return;
  // The store is back: say in the log itself that calls went unrecorded.
  storage::AuditEvent outage;
  outage.event_id = storage::new_event_id();
  outage.event_time = std::chrono::system_clock::now();
  outage.event_name = "AuditStoreRecovered";
  outage.management_event = true;
  outage.outcome = "store_recovered";
  outage.decision = "allow";
  outage.request_parameters_json = "{\"unrecordedCalls\":" + std::to_string(missed) + ",\"failurePolicy\":\"" +
                                   (config_.failure_policy == AuditFailurePolicy::fail_open ? "fail-open" : "fail-closed") +
                                   "\"}";
  store_->append(std::move(outage), [this, missed](const storage::AppendResult& r) {
    if (!r.ok) unrecorded_.fetch_add(missed);  // try again after the next success
  });
}

asio::awaitable<storage::AppendResult> AuditSink::record(storage::AuditEvent event) {
  if (!store_) co_return storage::AppendResult{true, 0, {}, {}};
  auto executor = co_await asio::this_coro::executor;
  // Keep what fail-open must log if the write fails (the event moves into the queue).
  auto copy = std::make_shared<storage::AuditEvent>(event);
  auto result = co_await asio::async_initiate<decltype(asio::use_awaitable), void(storage::AppendResult)>(
      [this, &event, executor](auto handler) {
        // The writer thread completes the append; resume the coroutine on
        // its own worker.
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        store_->append(std::move(event), [shared, executor](const storage::AppendResult& r) {
          asio::post(executor, [shared, r]() mutable { (*shared)(r); });
        });
      },
      asio::use_awaitable);
  note_result(result, copy.get());
  if (result.ok) record_outage_if_any();
  co_return result;
}

void AuditSink::record_detached(storage::AuditEvent event) {
  if (!store_) return;
  auto copy = std::make_shared<storage::AuditEvent>(event);
  store_->append(std::move(event), [this, copy](const storage::AppendResult& r) {
    note_result(r, copy.get());
  });
}

}  // namespace dynaudit::proxy
