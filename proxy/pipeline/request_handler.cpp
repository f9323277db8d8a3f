// The per-worker request path; see request_handler.hpp and
// docs/architecture.md for the stages.
#include "proxy/pipeline/request_handler.hpp"

#include <algorithm>

#include "discovery/discovery_service.hpp"

// g++ 12 inlines Asio's coroutine-frame allocation (::operator new inside
// thread_info_base::allocate) into the awaiting coroutine and then pairs it
// with awaitable_frame_base::operator delete, which frees through the same
// recycling allocator: a false -Wmismatched-new-delete (clang does not warn).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

#include "ddb/request_facts.hpp"
#include "proxy/log/request_log.hpp"
#include "proxy/pipeline/audit_record.hpp"
#include "proxy/pipeline/dynamodb_endpoint.hpp"
#include "masking/response_masker.hpp"
#include "proxy/pipeline/mask_stage.hpp"
#include "proxy/pipeline/masked_use_stage.hpp"
#include "masking/crypto.hpp"
#include "proxy/pipeline/policy_stage.hpp"
#include "proxy/pipeline/request_encoding.hpp"
#include "proxy/pipeline/request_gate.hpp"
#include "proxy/pipeline/stages.hpp"
#include "alerts/alert_dispatcher.hpp"
#include "rules/rule_engine.hpp"

namespace dynaudit::proxy {
namespace {

using Clock = std::chrono::steady_clock;

double millis_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

std::chrono::microseconds micros_since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
}

std::string_view field_of(const HttpRequest& request, std::string_view name) {
  auto value = request[boost::beast::string_view(name.data(), name.size())];
  return {value.data(), value.size()};
}

// Write-ahead covers every call that may change something: read-only calls
// (item reads, Describe*, List*) get only their outcome record. Unknown
// operations might write, so they get an intent.
bool needs_intent(const ddb::RequestFacts* facts) {
  return !facts || !facts->info || !ddb::is_read_only(*facts->info);
}

// A read-only call may be sent again when its connection fails before the
// answer (docs/architecture.md, step 6); anything else only if no byte of
// it reached the upstream, which could otherwise execute it twice.
Resend resend_policy(const ddb::RequestFacts* facts) {
  return needs_intent(facts) ? Resend::if_unsent : Resend::if_unanswered;
}

std::string remote_of(const ConnectionInfo& c) { return c.remote_address + ":" + std::to_string(c.remote_port); }

RequestLogEntry base_entry(const ConnectionInfo& c, const ServeConfig& config) {
  RequestLogEntry e;
  e.time = std::chrono::system_clock::now();
  e.listener = c.listener;
  e.remote = remote_of(c);
  e.tls = c.tls;
  e.auth_mode = config.auth.mode == AuthMode::verify ? "verify" : "trust";
  return e;
}


// One call's rules decision, taken from the worker's spares and given
// back when the call's frame ends.
class DecisionLease {
 public:
  explicit DecisionLease(std::shared_ptr<DecisionPool> pool) : pool_(std::move(pool)) {
    if (pool_->spare.empty()) {
      decision_ = std::make_unique<rules::Decision>();
    } else {
      decision_ = std::move(pool_->spare.back());
      pool_->spare.pop_back();
    }
  }
  DecisionLease(const DecisionLease&) = delete;
  DecisionLease& operator=(const DecisionLease&) = delete;
  ~DecisionLease() {
    // As many as calls were ever in flight at once on the worker, at most.
    constexpr std::size_t kMaxSpare = 1024;
    if (pool_->spare.size() < kMaxSpare) pool_->spare.push_back(std::move(decision_));
  }
  rules::Decision& get() { return *decision_; }

 private:
  std::shared_ptr<DecisionPool> pool_;
  std::unique_ptr<rules::Decision> decision_;
};

}  // namespace

std::optional<ddb::DdbError> RequestHandler::resolve_stream_table(ddb::RequestFacts& facts) {
  facts.tables.clear();
  if (shared_.stream_tables) {
    if (auto table = shared_.stream_tables->table_of(*facts.shard_iterator)) {
      facts.tables.push_back(std::move(*table));
      return std::nullopt;
    }
  }
  // Without rules nothing depends on the table; with them, a reply whose
  // table is unknown could carry data a mask or a deny is for. The client's
  // SDK answers ExpiredIteratorException by asking for a new iterator,
  // which then comes through the proxy and is learned.
  if (!shared_.rules) return std::nullopt;
  return ddb::DdbError{ddb::ErrorKind::expired_iterator,
                       "dynaudit did not hand out this shard iterator, so it cannot tell which table it reads; "
                       "get a new one with GetShardIterator through dynaudit"};
}

void RequestHandler::learn_stream_iterator(const ddb::RequestFacts& facts, const HttpResponse& response) {
  if (!shared_.stream_tables || response.result_int() != 200 || !facts.info ||
      facts.info->family != ddb::ApiFamily::streams || facts.tables.size() != 1)
    return;
  const std::string_view operation = facts.info->name;
  if (operation != "GetShardIterator" && operation != "GetRecords") return;
  if (auto iterator = iterator_in_reply(operation, response.body()))
    shared_.stream_tables->remember(*iterator, facts.tables.front());
}

asio::awaitable<std::optional<ddb::DdbError>> RequestHandler::check_masked_uses(std::string_view target,
                                                                                std::string_view body,
                                                                                const Principal& principal,
                                                                                rules::Decision& decision,
                                                                                MaskedUseFindings& findings) {
  auto uses = ddb::extract_attribute_uses(target, body);
  if (!uses) {
    decision.effect = rules::Effect::deny;
    co_return unanalysable_masked_request();
  }
  const auto sealed = [](std::string_view value) { return value.starts_with(masking::kTokenPrefix); };
  findings = find_masked_uses(decision, principal, *uses, sealed);
  // `=` in a PartiQL WHERE names a key or filters on a non-key attribute;
  // only the table's key schema tells, and only refusals need to know.
  if (co_await settle_partiql_key_equality(findings.refused, *uses))
    findings = find_masked_uses(decision, principal, *uses, sealed);
  if (findings.refused.empty()) co_return std::nullopt;
  // Recorded like any rule's deny: this rule decided.
  decision.effect = rules::Effect::deny;
  decision.determining = findings.refused.front().rule;
  co_return masked_use_denial(findings.refused.front());
}

asio::awaitable<bool> RequestHandler::settle_partiql_key_equality(const std::vector<MaskedUse>& refused,
                                                                   std::vector<ddb::AttributeUse>& uses) {
  bool changed = false;
  for (const MaskedUse& finding : refused) {
    const ddb::AttributeUse& use = finding.use;
    if (use.kind != ddb::UseKind::equality || use.member != "PartiQL WHERE" || use.table.empty()) continue;
    const auto keys = co_await key_attributes_of(use.table);
    if (!keys || std::find(keys->begin(), keys->end(), use.path) == keys->end()) continue;
    for (ddb::AttributeUse& same : uses) {
      if (same.kind == ddb::UseKind::equality && same.member == use.member && same.table == use.table &&
          same.path == use.path) {
        same.kind = ddb::UseKind::key_equality;
        changed = true;
      }
    }
  }
  co_return changed;
}

asio::awaitable<std::optional<std::vector<std::string>>> RequestHandler::key_attributes_of(const std::string& table) {
  if (!shared_.key_schemas) co_return std::nullopt;
  if (auto known = shared_.key_schemas->find(table)) co_return known;
  auto credentials = shared_.upstream_credentials ? shared_.upstream_credentials->current() : nullptr;
  if (!credentials) co_return std::nullopt;
  // The proxy's own DescribeTable, signed with its upstream credentials.
  HttpRequest describe{http::verb::post, "/", 11};
  describe.set(http::field::content_type, "application/x-amz-json-1.0");
  describe.set("X-Amz-Target", "DynamoDB_20120810.DescribeTable");
  describe.body() = "{\"TableName\":\"";
  ddb::append_json_escaped(describe.body(), table);
  describe.body() += "\"}";
  prepare_upstream_request(describe, shared_.endpoint, *credentials, shared_.config->upstream.region,
                           std::chrono::system_clock::now(), signing_keys_);
  auto result = co_await pool_.exchange(describe, Resend::if_unanswered);
  if (!result.response || result.response->result_int() != 200) co_return std::nullopt;
  auto keys = key_attributes_in_describe_table(result.response->body());
  if (keys) shared_.key_schemas->store(table, *keys);
  co_return keys;
}

RequestHandler::RequestHandler(const PipelineShared& shared, asio::any_io_executor executor)
    : shared_(shared), pool_(executor, shared.endpoint, shared.upstream_tls, shared.config->upstream) {
  // Both modes check the form of the caller's signature; only verify mode
  // has the keys to check the signature itself.
  VerifierSettings settings;
  settings.allowed_regions = shared_.config->auth.allowed_regions;
  settings.max_clock_skew = shared_.config->auth.max_clock_skew;
  verifier_.emplace(shared_.config->auth.mode == AuthMode::verify ? shared_.credential_store : nullptr, settings);
  header_scratch_.reserve(32);
  if (shared_.metric_labels) metrics_ = std::make_unique<CallMetrics>(*shared_.metric_labels);
  if (shared_.discovery)
    sample_clock_ = std::make_unique<discovery::SampleClock>(shared_.discovery->options().sample_interval);
}

RequestHandler::~RequestHandler() = default;

HttpResponse RequestHandler::reject(const ddb::DdbError& error, const ConnectionInfo& connection, unsigned version,
                                    std::size_t request_bytes, const http::fields* request_fields) {
  auto response = error_response(error, version, false);
  if (request_fields) dress_own_reply(response, *request_fields);
  if (shared_.audit->enabled()) {
    // The session answers these without a coroutine of ours to wait in, so
    // the record is appended without waiting whatever the durability mode.
    CallSummary call;
    call.connection = &connection;
    call.auth_mode = shared_.config->auth.mode == AuthMode::verify ? "verify" : "trust";
    call.region = shared_.config->upstream.region;
    call.account_id = shared_.config->audit.account_id;
    call.status = response.result_int();
    call.response_body = response.body();
    call.error_type = std::string(ddb::short_type(error.kind));
    call.request_id = std::string(response["x-amzn-RequestId"]);
    call.outcome = "rejected";
    call.request_bytes = request_bytes;
    call.response_bytes = response.body().size();
    call.time = std::chrono::system_clock::now();
    shared_.audit->record_detached(make_audit_event(call));
  }
  if (metrics_) {
    CallObservation call;
    call.outcome = "rejected";
    call.status = response.result_int();
    const auto type = ddb::short_type(error.kind);
    call.error_type = type;
    metrics_->observe(call);
  }
  if (shared_.config->log_requests) {
    auto entry = base_entry(connection, *shared_.config);
    entry.status = response.result_int();
    entry.error_type = std::string(ddb::short_type(error.kind));
    entry.outcome = "rejected";
    entry.request_bytes = request_bytes;
    entry.response_bytes = response.body().size();
    entry.request_id = std::string(response["x-amzn-RequestId"]);
    write_log_line(format_request_log(entry));
  }
  return response;
}

// One call's state, from the request as read to the line in the request
// log; the stages below fill it in order. Lives in handle()'s coroutine
// frame and is never moved: the audit summary points into it.
struct CallState {
  CallState(HttpRequest& request, const ConnectionInfo& connection, const ServeConfig& config,
            std::shared_ptr<DecisionPool> decisions)
      : request(request),
        connection(connection),
        config(config),
        keep_alive(request.keep_alive()),
        version(request.version()),
        entry(base_entry(connection, config)),
        lease(std::move(decisions)),
        decision(lease.get()) {
    entry.request_bytes = request.body().size();
  }
  CallState(const CallState&) = delete;
  CallState& operator=(const CallState&) = delete;

  HttpRequest& request;
  const ConnectionInfo& connection;
  const ServeConfig& config;
  const Clock::time_point start = Clock::now();
  const std::chrono::system_clock::time_point wall_start = std::chrono::system_clock::now();
  const bool keep_alive;
  const unsigned version;
  RequestLogEntry entry;  // the request log's line, filled in as the call goes

  // What the record needs from the request, taken before it is rewritten.
  std::string target;
  std::string user_agent;
  std::string host_header;
  const Principal* internal = nullptr;  // dynaudit's own call: who it is (not from the request)
  IdentifyOutcome identity;
  std::optional<ddb::FactsResult> facts;
  CallSummary summary;                     // what the audit record is made of
  std::optional<ddb::DdbError> rejection;  // the first reason not to forward
  bool denied_by_rule = false;

  // The rules snapshot is held for the whole call, so a reload cannot pull
  // the rules out from under the decision that names them.
  std::shared_ptr<const rules::RuleSnapshot> rule_snapshot;
  rules::RequestContext rule_context;
  DecisionLease lease;  // this call's own decision: other calls run at every co_await
  rules::Decision& decision;
  MaskedUseFindings masked_uses;

  bool recorded = false;    // the call gets an audit record
  bool audit_plan = false;  // the record goes through the audit plan and names the decision
  std::optional<AuditMasking> audit_masking;
  std::optional<ddb::RequestFacts> audit_facts;  // the facts with key values masked, when they were
  const ddb::RequestFacts* clear_facts = nullptr;
  std::optional<std::uint64_t> intent_sequence;

  HttpResponse response;
  std::chrono::microseconds upstream_latency{0};
  std::vector<UpstreamAttempt> upstream_attempts;
  std::optional<std::uint64_t> withheld_items;
  std::vector<std::string> masked_rules;
  bool reply_masked = false;  // for the metrics: masked_rules moves into the record
  bool discovery_sampled = false;
  std::size_t values_masked = 0;
};

namespace {

// The audit plan masks what the record keeps (key values; in level full,
// the body); the record then names the masked facts.
void apply_audit_plan(CallState& c, const masking::MaskKeys& keys) {
  c.audit_masking = audit_masking_for(c.decision, *c.clear_facts, c.request.body(), keys);
  if (c.audit_masking->keys_changed) {
    c.audit_facts = *c.clear_facts;
    c.audit_facts->keys = c.audit_masking->keys;
    c.summary.facts = &*c.audit_facts;
  } else {
    c.summary.facts = c.clear_facts;
  }
}

void log_call(CallState& c) {
  if (!c.config.log_requests) return;
  c.entry.latency_ms = millis_since(c.start);
  write_log_line(format_request_log(c.entry));
}

}  // namespace

// Not a coroutine itself: it hands back handle_call's, so a client's call
// costs one coroutine frame, not two.
asio::awaitable<HttpResponse> RequestHandler::handle(HttpRequest& request, const ConnectionInfo& connection) {
  return handle_call(request, connection, nullptr);
}

asio::awaitable<HttpResponse> RequestHandler::handle_call(HttpRequest& request, const ConnectionInfo& connection,
                                                          const Principal* internal, bool* sampled) {
  CallState c(request, connection, *shared_.config, decisions_);
  c.internal = internal;

  // 0. what DynamoDB answers without authentication (a load balancer's GET,
  // a browser's CORS preflight): answered here, never forwarded, and not
  // audited (no call, no data); logged like any request.
  if (auto answer = answer_without_authentication(request, c.config.upstream.region)) {
    c.entry.status = answer->result_int();
    c.entry.outcome = "endpoint";
    c.entry.response_bytes = answer->body().size();
    c.entry.request_id = std::string((*answer)["x-amzn-RequestId"]);
    observe(c);
    log_call(c);
    co_return std::move(*answer);
  }

  admit(c);   // 1-3a
  decide(c);  // 4
  if (!c.rejection && c.rule_snapshot && !c.decision.masks.empty()) co_await protect_masked_attributes(c);  // 4a
  plan_record(c);
  refuse_if_unrecordable(c);  // 5
  if (needs_write_ahead(c)) co_await write_intent(c);
  if (c.rejection) {
    c.response = error_response(*c.rejection, c.version, c.keep_alive);
    c.entry.outcome = c.denied_by_rule ? "denied" : "rejected";
  } else {
    co_await forward(c);  // 6-7b
  }
  finish_answer(c);
  // 8. audit, 9. alerts (queued; delivery never delays the answer)
  const bool alerting = shared_.alerts && (!c.decision.alerts.empty() || masked_uses_alert(c.masked_uses));
  if (c.recorded || alerting) {
    auto event = record_and_alert(c, alerting);
    if (!c.recorded) {
      // alerts only: the audit level says not to keep this call
    } else if (shared_.audit->config().durability == AuditDurability::async) {
      shared_.audit->record_detached(std::move(event));
    } else {
      // sync / write-ahead: the outcome is durable before the client hears
      // it. If it cannot be written the answer still goes out (the call has
      // happened); the failure is logged and the store turns unhealthy, so
      // fail-closed refuses the next calls.
      co_await shared_.audit->record(std::move(event));
    }
  }
  observe(c);
  log_call(c);
  if (sampled) *sampled = c.discovery_sampled;
  co_return std::move(c.response);
}

void RequestHandler::observe(CallState& c) {
  if (!metrics_) return;
  CallObservation call;
  call.operation = c.summary.facts ? std::string_view(c.summary.facts->operation) : std::string_view{};
  if (c.summary.facts) call.tables = c.summary.facts->tables;
  if (c.rule_snapshot || c.denied_by_rule)
    call.decision = c.decision.effect == rules::Effect::deny ? CallDecision::deny : CallDecision::allow;
  call.outcome = c.entry.outcome;
  call.status = c.entry.status;
  call.error_type = c.entry.error_type;
  if (c.identity.error) call.auth_failure = c.identity.error->kind;
  call.latency = micros_since(c.start);
  if (c.entry.outcome == "forwarded" || c.entry.outcome == "upstream_error" || c.entry.outcome == "withheld")
    call.upstream_latency = c.upstream_latency;
  if (c.rule_snapshot) call.matched_rules = c.decision.matched;
  call.masked = c.reply_masked;
  call.masked_values = c.values_masked;
  call.upstream_attempts = c.upstream_attempts;
  call.principal = c.identity.principal.name;
  metrics_->observe(call);
}

// 1a. the gate: a path for a target, one header of each kind that names or
// signs the call; 2. identify; 2a. decode; 3. classify; 3a. Streams tables.
void RequestHandler::admit(CallState& c) {
  c.target = field_of(c.request, "X-Amz-Target");
  c.user_agent = field_of(c.request, "User-Agent");
  c.host_header = field_of(c.request, "Host");

  const auto view = view_of(c.request, header_scratch_);
  c.rejection = refuse_method_not_post(view);
  if (!c.rejection) c.rejection = refuse_target_not_a_path(view);
  if (!c.rejection) c.rejection = refuse_duplicate_headers(view);

  if (c.internal) c.identity.principal = *c.internal;  // made here, signed by no one
  else c.identity = identify(view, c.config.auth.mode, *verifier_, c.wall_start);
  c.entry.principal = c.identity.principal.name;
  c.entry.access_key_id = c.identity.principal.access_key_id;
  c.entry.verified = c.identity.principal.verified;
  if (!c.rejection) c.rejection = c.identity.error;

  // 2a. a compressed body (signed as sent) is decoded once: facts, rules,
  // the record and the upstream see the same JSON, forwarded uncompressed.
  // (`view` describes the request as received; it is not used after this.)
  if (!c.rejection) c.rejection = decode_request_body(c.request, c.config.limits.max_body_bytes);

  // 3. classify; the catalog is the allowlist of operations.
  if (!c.target.empty()) {
    c.facts = ddb::extract_request_facts(c.target, c.request.body());
    c.entry.operation = c.facts->facts.operation;
    c.entry.tables = c.facts->facts.tables;
    if (!c.rejection && c.facts->error) c.rejection = c.facts->error;
  }
  if (!c.rejection)
    c.rejection =
        refuse_unknown_operation(c.facts ? &c.facts->facts : nullptr, c.config.upstream.forward_unknown_operations);
  // 3a. a Streams GetRecords reads the table its iterator was handed out for.
  if (c.facts && c.facts->facts.shard_iterator) {
    auto refusal = resolve_stream_table(c.facts->facts);
    c.entry.tables = c.facts->facts.tables;
    if (!c.rejection) c.rejection = std::move(refusal);
  }

  CallSummary& call = c.summary;
  call.facts = c.facts ? &c.facts->facts : nullptr;
  call.target = c.target;
  call.principal = &c.identity.principal;
  call.connection = &c.connection;
  call.user_agent = c.user_agent;
  call.host_header = c.host_header;
  call.auth_mode = c.entry.auth_mode;
  call.region = c.config.upstream.region;
  call.account_id = c.config.audit.account_id;
  call.request_bytes = c.entry.request_bytes;  // as received, compressed or not
  call.time = c.wall_start;
  call.mask_keys = &shared_.mask_keys;
}

// 4. decide: request-phase rules, on callers and bodies that passed 1-3.
void RequestHandler::decide(CallState& c) {
  c.decision.reset(c.config.rules.default_effect, c.config.rules.default_audit_level);
  if (!c.rejection && shared_.rules) {
    c.rule_snapshot = shared_.rules->current();
    c.rule_context = rule_request_context(c.summary.facts, c.identity.principal, c.connection, c.wall_start);
    c.rule_snapshot->evaluate_request(c.rule_context, shared_.rules->rates(), c.decision);
  }
  c.denied_by_rule = c.rule_snapshot && c.decision.effect == rules::Effect::deny;
  if (c.denied_by_rule) c.rejection = denial_error(c.decision);
  // The fleet table holds every proxy's copy of the audit and the signed
  // rule sets: no caller reaches it through a proxy that ships to it,
  // whatever the rules say (by name, ARN or PartiQL statement alike: the
  // facts reduce all three to the name).
  if (!c.rejection && c.config.fleet.enabled && c.summary.facts) {
    const auto& tables = c.summary.facts->tables;
    if (std::find(tables.begin(), tables.end(), c.config.fleet.table) != tables.end()) {
      c.decision.effect = rules::Effect::deny;
      c.denied_by_rule = true;
      c.rejection = ddb::DdbError{ddb::ErrorKind::access_denied,
                                  "Access denied by dynaudit: the fleet table is not reachable through the proxy"};
    }
  }
}

// 4a. masked attributes are protected data: a caller under a mask may read
// them back masked, not compare, probe or copy them.
asio::awaitable<void> RequestHandler::protect_masked_attributes(CallState& c) {
  if (auto refusal =
          co_await check_masked_uses(c.target, c.request.body(), c.identity.principal, c.decision, c.masked_uses)) {
    c.rejection = std::move(refusal);
    c.denied_by_rule = true;
  }
}

// Whether the call is recorded and through the audit plan; sealed start
// keys opened; the plan applied to what the record keeps.
void RequestHandler::plan_record(CallState& c) {
  // Audit level none spares allowed calls only: anything refused is recorded.
  c.recorded = shared_.audit->enabled() && (c.rejection || decision_wants_record(c.decision));
  // The audit plan and the decision go into the record with rules, and with
  // rules.default_audit: full without any (the body is kept then too).
  c.audit_plan = c.rule_snapshot || c.decision.audit_level == rules::AuditLevel::full;

  // Masked key values come back as sealed tokens in ExclusiveStartKey
  // (pagination); they are opened here, before the request is signed.
  if (!c.rejection && c.request.body().find("dynaudit:v1:") != std::string::npos) {
    auto unsealed = masking::unseal_request(c.request.body(), shared_.mask_keys);
    if (!unsealed.error.empty()) c.rejection = ddb::DdbError{ddb::ErrorKind::validation, unsealed.error};
    else if (unsealed.changed) replace_request_body(c.request, std::move(unsealed.body));
  }

  // The audit plan masks what the record keeps before anything is written,
  // the write-ahead intent included; again at step 8 if response-phase
  // rules changed the plan.
  c.clear_facts = c.summary.facts;
  if (c.recorded && c.audit_plan && c.clear_facts) apply_audit_plan(c, shared_.mask_keys);
}

// 5. refuse what must not be forwarded: bad callers, bad bodies, denied
// calls (all above) and, fail-closed, any call while the audit store
// cannot record it.
void RequestHandler::refuse_if_unrecordable(CallState& c) {
  if (!c.rejection && shared_.audit->refuses_calls())
    c.rejection = ddb::DdbError{ddb::ErrorKind::service_unavailable,
                                "The audit store is unavailable; dynaudit refuses calls it cannot record"};
}

bool RequestHandler::needs_write_ahead(const CallState& c) const {
  return !c.rejection && c.recorded && shared_.audit->config().durability == AuditDurability::write_ahead &&
         needs_intent(c.summary.facts);
}

// Write-ahead: the intent is durable before anything reaches DynamoDB.
asio::awaitable<void> RequestHandler::write_intent(CallState& c) {
  AuditSink& audit = *shared_.audit;
  auto intent = make_intent_event(c.summary);
  if (c.rule_snapshot) record_decision(c.decision, intent);
  auto written = co_await audit.record(std::move(intent));
  if (written.ok) c.intent_sequence = written.sequence;
  else if (audit.config().failure_policy == AuditFailurePolicy::fail_closed)
    c.rejection = ddb::DdbError{ddb::ErrorKind::service_unavailable,
                                "The audit store could not record the call; it was not forwarded"};
}

// 6. forward, 7. respond: the upstream's answer, judged by response-phase
// rules and masked.
asio::awaitable<void> RequestHandler::forward(CallState& c) {
  auto credentials = shared_.upstream_credentials ? shared_.upstream_credentials->current() : nullptr;
  if (!credentials) {
    c.response = error_response({ddb::ErrorKind::service_unavailable, "dynaudit has no upstream credentials at the moment"},
                                c.version, c.keep_alive);
    c.entry.outcome = "upstream_error";
    co_return;
  }
  prepare_upstream_request(c.request, shared_.endpoint, *credentials, c.config.upstream.region,
                           std::chrono::system_clock::now(), signing_keys_);
  // If a drain deadline stops this worker while the upstream has the call,
  // the server records it from here, outcome unknown.
  const auto cut_short = [&c] {
    c.summary.outcome = "unknown";
    c.summary.proxy_latency = micros_since(c.start);
    auto event = make_audit_event(c.summary);
    event.intent_sequence = c.intent_sequence;
    if (c.audit_plan) record_decision(c.decision, event);
    event.error_message = "dynaudit stopped (shutdown.drain_timeout) before the upstream answered";
    return event;
  };
  ForwardedCall forwarded(shared_.audit->forwarded_calls(c.recorded), cut_short);
  auto result = co_await pool_.exchange(c.request, resend_policy(c.summary.facts));
  forwarded.settle();
  c.upstream_latency = result.elapsed;
  c.upstream_attempts = std::move(result.attempts);
  c.entry.upstream_ms = std::chrono::duration<double, std::milli>(result.elapsed).count();
  if (!result.response) {
    c.response = error_response(*result.error, c.version, c.keep_alive);
    c.entry.outcome = "upstream_error";
    co_return;
  }
  c.response = client_response_from_upstream(std::move(*result.response), c.version, c.keep_alive);
  c.entry.outcome = "forwarded";
  if (c.summary.facts) learn_stream_iterator(*c.summary.facts, c.response);
  judge_response(c);
  c.discovery_sampled = sample_for_discovery(c);
  mask_reply(c);
}

// 7a'. discovery: at most one reply per table per sample interval on this
// worker is copied, with the caller's mask paths, for the discovery thread.
// Before masking: it needs the values the upstream holds.
bool RequestHandler::sample_for_discovery(const CallState& c) {
  if (!sample_clock_ || !c.summary.facts || c.summary.facts->tables.empty() || c.response.result_int() != 200 ||
      c.decision.denied_in_response)
    return false;
  const auto& facts = *c.summary.facts;
  const std::string_view op = facts.operation;
  if (op != "GetItem" && op != "Query" && op != "Scan" && op != "BatchGetItem" && op != "TransactGetItems" &&
      op != "ExecuteStatement" && op != "GetRecords")
    return false;
  const auto& body = c.response.body();
  if (body.size() > shared_.discovery->options().max_sample_bytes) return false;
  // dynaudit's own scan is sampled whole: sampling is what it is for.
  if (!c.internal && !sample_clock_->due(facts.tables.front(), std::chrono::steady_clock::now())) return false;
  discovery::DiscoverySample sample;
  sample.operation = std::string(op);
  sample.table = facts.tables.front();
  sample.principal = c.internal ? std::string() : c.identity.principal.name;  // a scan is nobody's read
  sample.body = body;
  sample.time = std::chrono::system_clock::now();
  if (c.rule_snapshot && !c.decision.masks.empty())
    for (const auto& spec : client_mask_specs(c.decision, c.identity.principal))
      sample.masked_paths.emplace_back(spec.path, spec.rule_id);
  return shared_.discovery->offer(std::move(sample));
}

// 7a. response-phase rules (returned items, status, capacity): a deny here
// withholds the data the upstream sent.
void RequestHandler::judge_response(CallState& c) {
  if (!c.rule_snapshot || !c.rule_snapshot->has_response_rules()) return;
  const std::string upstream_error = error_type_of(c.response);
  const auto facts_of_response =
      rule_response_context(c.summary.facts ? c.summary.facts->operation : std::string_view{},
                            c.response.result_int(), upstream_error, c.response.body());
  c.rule_snapshot->evaluate_response(c.rule_context, facts_of_response, shared_.rules->rates(), c.decision);
  if (c.decision.denied_in_response) {
    c.withheld_items = facts_of_response.item_count;
    c.response = error_response(denial_error(c.decision), c.version, c.keep_alive);
    c.entry.outcome = "withheld";
  }
}

// 7b. masking: what the caller may not see is rewritten; a body that
// cannot be masked is withheld, never passed on in clear.
void RequestHandler::mask_reply(CallState& c) {
  if (!c.rule_snapshot || c.decision.masks.empty() || c.decision.denied_in_response) return;
  const auto specs = client_mask_specs(c.decision, c.identity.principal);
  if (specs.empty()) return;
  std::string plan_error;
  const auto plan = masking::MaskPlan::compile(specs, plan_error);
  if (!plan) {
    c.response = error_response({ddb::ErrorKind::internal_server_error, "dynaudit could not apply its mask plan"},
                                c.version, c.keep_alive);
    c.entry.outcome = "withheld";
    return;
  }
  auto masked = masking::mask_response(c.summary.facts ? c.summary.facts->operation : std::string_view{},
                                       c.response.body(), *plan, shared_.mask_keys);
  if (!masked.error.empty()) {
    c.response = error_response({ddb::ErrorKind::internal_server_error, "dynaudit could not mask the response"},
                                c.version, c.keep_alive);
    c.entry.outcome = "withheld";
  } else if (masked.changed) {
    replace_response_body(c.response, std::move(masked.body));
    c.masked_rules = std::move(masked.rules);
    c.reply_masked = true;
    c.values_masked = masked.values_masked;
  }
}

// The answer as the client gets it, summed up for the log and the record.
void RequestHandler::finish_answer(CallState& c) {
  // The proxy's own answers look like DynamoDB's to this request; an
  // upstream's answer ("forwarded", masked or not) keeps its own headers.
  if (c.entry.outcome != "forwarded") dress_own_reply(c.response, c.request);

  c.entry.status = c.response.result_int();
  c.entry.error_type = error_type_of(c.response);
  c.entry.response_bytes = c.response.body().size();
  c.entry.request_id = std::string(c.response["x-amzn-RequestId"]);

  if (c.rule_snapshot && c.decision.determining && c.decision.effect == rules::Effect::deny)
    c.entry.rule = c.decision.determining->id;

  // A response-phase rule may raise the audit level or deny; an intent
  // already written always gets its outcome.
  c.recorded = c.recorded || (shared_.audit->enabled() && decision_wants_record(c.decision));
}

// 8. the record, 9. its alerts (queued; delivery never delays the answer).
// Writing the record is handle()'s: only sync modes wait for it.
storage::AuditEvent RequestHandler::record_and_alert(CallState& c, bool alerting) {
  CallSummary& call = c.summary;
  call.status = c.entry.status;
  call.response_body = c.response.body();
  call.error_type = c.entry.error_type;
  call.request_id = c.entry.request_id;
  call.outcome = c.entry.outcome;
  call.response_bytes = c.entry.response_bytes;
  call.upstream_latency = c.upstream_latency;
  call.upstream_attempts = c.upstream_attempts;
  call.proxy_latency = micros_since(c.start);
  call.request_body = c.request.body();  // what the error message must not echo into the record
  if (c.audit_plan && c.clear_facts && (!c.audit_masking || !c.audit_masking->current_for(c.decision)))
    apply_audit_plan(c, shared_.mask_keys);
  auto event = make_audit_event(call);
  event.intent_sequence = c.intent_sequence;
  if (c.audit_plan) record_decision(c.decision, event);
  if (c.withheld_items) event.response_items = *c.withheld_items;
  event.masked_rules = std::move(c.masked_rules);
  record_masked_uses(c.masked_uses, event);
  if (c.audit_masking && c.audit_masking->changed && shared_.seal_key) {
    // The clear values, sealed to this record (AAD = its eventID) for
    // `dynaudit audit show --reveal`; without a seal key they are not kept.
    event.sealed_values = storage::seal_value(*shared_.seal_key, c.audit_masking->clear_values_json, event.event_id);
    event.seal_key_id = shared_.seal_key->id;
  }
  // Audit level full keeps the request body (forwarding leaves it as sent)
  // through the audit plan; a call with no facts (no X-Amz-Target) keeps none.
  if (c.audit_plan && c.decision.audit_level == rules::AuditLevel::full)
    event.request_body_json = c.audit_masking ? c.audit_masking->request_body : std::string();
  if (alerting) {
    for (const rules::Rule* rule : c.decision.alerts) shared_.alerts->submit(alert_for(*rule, c.decision, event));
    for (auto& alert : masked_use_alerts(c.masked_uses, c.decision, event)) shared_.alerts->submit(std::move(alert));
  }
  return event;
}

}  // namespace dynaudit::proxy
