// RequestHandler: runs the request path for one worker thread: identify,
// classify, decide (rules), forward, respond (response-phase rules), audit,
// alert, log. One instance per worker, owning that
// worker's upstream pool and key caches, so nothing here is shared or locked.
// The calls of a worker interleave at every co_await, so what belongs to one
// call (its rules decision above all) lives in that call's frame, never in
// the handler.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <vector>

#include "ddb/error_response.hpp"
#include "ddb/request_facts.hpp"
#include "proxy/auth/credential_store.hpp"
#include "proxy/auth/sigv4_verifier.hpp"
#include "aws/upstream_credentials.hpp"
#include "proxy/auth/aws_imports.hpp"
#include "proxy/config/serve_config.hpp"
#include "proxy/net/asio.hpp"
#include "proxy/net/connection_info.hpp"
#include "proxy/net/upstream_endpoint.hpp"
#include "proxy/net/upstream_pool.hpp"
#include "proxy/pipeline/audit_sink.hpp"
#include "proxy/pipeline/call_metrics.hpp"
#include "proxy/pipeline/masked_use_stage.hpp"
#include "proxy/pipeline/key_schemas.hpp"
#include "proxy/pipeline/stream_tables.hpp"
#include "masking/mask_plan.hpp"
#include "storage/value_seal.hpp"
#include "rules/decision.hpp"

namespace dynaudit::rules {
class RuleEngine;
}
namespace dynaudit::alerts {
class AlertDispatcher;
}
namespace dynaudit::discovery {
class DiscoveryService;
class SampleClock;
}

namespace dynaudit::proxy {

// Spare rules decisions of one worker (see RequestHandler::decisions_).
struct DecisionPool {
  std::vector<std::unique_ptr<rules::Decision>> spare;
};

// What every worker's handler shares, immutable after start-up.
struct PipelineShared {
  const ServeConfig* config = nullptr;
  UpstreamEndpoint endpoint;
  std::shared_ptr<asio::ssl::context> upstream_tls;  // nullptr for http upstreams
  std::shared_ptr<const CredentialStore> credential_store;  // verify mode
  const UpstreamCredentialProvider* upstream_credentials = nullptr;
  AuditSink* audit = nullptr;  // never null; disabled when there is no store
  rules::RuleEngine* rules = nullptr;         // nullptr when no rule files are configured
  alerts::AlertDispatcher* alerts = nullptr;  // nullptr when no alert channels are configured
  masking::MaskKeys mask_keys;                // hash tokens and pagination-token sealing
  const storage::SealKey* seal_key = nullptr;  // seals masked audit values; nullptr: not kept
  StreamIteratorTables* stream_tables = nullptr;  // the table of each Streams iterator handed out
  KeySchemaCache* key_schemas = nullptr;          // key attributes, for PartiQL key equality
  CallMetricLabels* metric_labels = nullptr;      // nullptr: metrics off
  discovery::DiscoveryService* discovery = nullptr;  // nullptr: no passive discovery
};

struct CallState;  // one call's state through the stages (request_handler.cpp)

// What an active discovery scan did.
struct DiscoveryScanResult {
  unsigned status = 200;      // the HTTP status for the admin endpoint's answer
  std::string error;          // why it stopped early ("" when it did not)
  std::string error_type;     // DynamoDB's __type of a refused page, when one was
  std::uint64_t items = 0;    // items read
  std::uint64_t pages = 0;    // Scan calls made (each one audited)
  std::uint64_t pages_sampled = 0;  // pages handed to discovery (the rest did not fit its queue)
  std::vector<std::string> request_ids;
};
// The admin endpoint's answer: the result, the items asked for, and whether
// the inventory has been saved since.
std::string to_json(const DiscoveryScanResult& result, std::size_t asked, bool saved);

class RequestHandler {
 public:
  RequestHandler(const PipelineShared& shared, asio::any_io_executor executor);
  ~RequestHandler();

  // Handles one complete request; always produces a response.
  asio::awaitable<HttpResponse> handle(HttpRequest& request, const ConnectionInfo& connection);

  // A request the session could not read (too large, malformed HTTP, ...):
  // answers the DynamoDB-shaped error and logs it like any request.
  // `request_fields`: the request's header when it was read (the answer
  // mirrors its Content-Type and Origin), else nullptr.
  HttpResponse reject(const ddb::DdbError& error, const ConnectionInfo& connection, unsigned version,
                      std::size_t request_bytes, const http::fields* request_fields = nullptr);

  // Active discovery (`dynaudit discover scan`): reads up to `max_items`
  // items of `table` with Scan pages made and signed by dynaudit itself,
  // each one a call through the whole pipeline as the principal
  // "dynaudit:discovery" — rules decide it, the audit log records it, and
  // discovery samples every page. Never throws.
  asio::awaitable<DiscoveryScanResult> discovery_scan(std::string table, std::size_t max_items);

  void close_idle_upstreams() { pool_.close_idle(); }
  // This worker's call counters (nullptr when metrics are off).
  const CallMetrics* metrics() const { return metrics_.get(); }

 private:
  // `internal`: dynaudit's own call, made as that principal; null for a
  // client's request.
  // `sampled`: set when discovery took a copy of the reply.
  asio::awaitable<HttpResponse> handle_call(HttpRequest& request, const ConnectionInfo& connection,
                                            const Principal* internal, bool* sampled = nullptr);

  // The stages of handle(), in order, each over the call's state; the
  // numbers are docs/architecture.md's.
  void admit(CallState& c);                                 // 1-3a: gate, identify, decode, classify
  void decide(CallState& c);                                // 4: request-phase rules
  asio::awaitable<void> protect_masked_attributes(CallState& c);  // 4a
  void plan_record(CallState& c);                           // what the record keeps; sealed start keys
  void refuse_if_unrecordable(CallState& c);                // 5
  bool needs_write_ahead(const CallState& c) const;
  asio::awaitable<void> write_intent(CallState& c);         // 5, write-ahead
  asio::awaitable<void> forward(CallState& c);              // 6-7b
  void judge_response(CallState& c);                        // 7a
  bool sample_for_discovery(const CallState& c);            // 7a': now and then, a copy for discovery
  void mask_reply(CallState& c);                            // 7b
  void finish_answer(CallState& c);
  storage::AuditEvent record_and_alert(CallState& c, bool alerting);  // 8-9; handle() writes it

  // Stage 3a: the table of a GetRecords call is the one its iterator was
  // handed out for; an iterator the proxy never saw is refused when rules
  // could depend on the table.
  std::optional<ddb::DdbError> resolve_stream_table(ddb::RequestFacts& facts);
  // After a Streams reply: remember the iterator it hands out.
  void learn_stream_iterator(const ddb::RequestFacts& facts, const HttpResponse& response);
  // Stage 4a: the uses of masked attributes in the request, against the
  // decision's mask rules; the refusal when one denies (recorded in
  // `decision` as that rule's deny). Fills `findings` for the record.
  asio::awaitable<std::optional<ddb::DdbError>> check_masked_uses(std::string_view target, std::string_view body,
                                                                  const Principal& principal, rules::Decision& decision,
                                                                  MaskedUseFindings& findings);
  // Turns refused PartiQL WHERE equalities on a key attribute of their table
  // into key equality; true when some use changed.
  asio::awaitable<bool> settle_partiql_key_equality(const std::vector<MaskedUse>& refused,
                                                    std::vector<ddb::AttributeUse>& uses);
  // The table's key attributes (and its indexes'), cached or asked of the
  // upstream with DescribeTable; nullopt when they cannot be known.
  asio::awaitable<std::optional<std::vector<std::string>>> key_attributes_of(const std::string& table);

  void observe(CallState& c);  // the call's metrics, once it is answered

  const PipelineShared& shared_;
  std::unique_ptr<CallMetrics> metrics_;
  std::unique_ptr<discovery::SampleClock> sample_clock_;  // this worker's, with shared_.discovery
  std::optional<SigV4Verifier> verifier_;
  sigv4::SigningKeyCache signing_keys_;
  UpstreamPool pool_;
  std::vector<HeaderView> header_scratch_;
  // Decisions of finished calls, handed to the next ones so that evaluation
  // allocates nothing once they have grown. Shared with the calls' leases:
  // a call frame the io_context destroys after the handler still returns its
  // decision somewhere alive (on the one thread left by then).
  std::shared_ptr<DecisionPool> decisions_ = std::make_shared<DecisionPool>();
};

}  // namespace dynaudit::proxy
