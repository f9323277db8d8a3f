// CallMetrics: what a worker counts per answered call, summed over workers
// at scrape time, with table and error-type labels bounded against callers
// who invent names.
#include <catch2/catch.hpp>

#include "proxy/pipeline/call_metrics.hpp"
#include "rules/rule.hpp"

using namespace dynaudit;
using namespace dynaudit::proxy;

namespace {

std::string render(const std::vector<const CallMetrics*>& workers, const CallMetricLabels& labels) {
  metrics::Exposition out(metrics::Format::prometheus_text);
  CallMetrics::write(out, workers, labels);
  return out.finish();
}

bool has(const std::string& text, const std::string& line) { return text.find(line + "\n") != std::string::npos; }

CallObservation forwarded(std::string_view operation, const std::vector<std::string>& tables) {
  CallObservation call;
  call.operation = operation;
  call.tables = tables;
  call.decision = CallDecision::allow;
  call.outcome = "forwarded";
  call.status = 200;
  call.latency = std::chrono::microseconds(800);
  call.upstream_latency = std::chrono::microseconds(600);
  return call;
}

}  // namespace

TEST_CASE("calls are counted per operation, table, decision, outcome and status class, summed over workers") {
  CallMetricLabels labels(8, {});
  CallMetrics a(labels), b(labels);
  const std::vector<std::string> orders{"orders"};
  a.observe(forwarded("GetItem", orders));
  a.observe(forwarded("GetItem", orders));
  b.observe(forwarded("GetItem", orders));

  rules::Rule deny_scans;
  deny_scans.id = "no-scans";
  const std::vector<const rules::Rule*> matched{&deny_scans};
  CallObservation denied;
  denied.operation = "Scan";
  denied.tables = orders;
  denied.decision = CallDecision::deny;
  denied.outcome = "denied";
  denied.status = 400;
  denied.error_type = "AccessDeniedException";
  denied.matched_rules = matched;
  b.observe(denied);

  const auto text = render({&a, &b}, labels);
  CHECK(has(text, R"(dynaudit_requests_total{operation="GetItem",table="orders",decision="allow",outcome="forwarded",code="2xx"} 3)"));
  CHECK(has(text, R"(dynaudit_requests_total{operation="Scan",table="orders",decision="deny",outcome="denied",code="4xx"} 1)"));
  CHECK(has(text, R"(dynaudit_request_duration_seconds_bucket{operation="GetItem",le="0.001"} 3)"));
  CHECK(has(text, R"(dynaudit_request_duration_seconds_bucket{operation="GetItem",le="0.0005"} 0)"));
  CHECK(has(text, R"(dynaudit_upstream_duration_seconds_count{operation="GetItem"} 3)"));
  CHECK(has(text, R"(dynaudit_errors_total{type="AccessDeniedException"} 1)"));
  CHECK(has(text, R"(dynaudit_rule_matches_total{rule="no-scans"} 1)"));
  // A denied call never reached DynamoDB: no upstream time for Scan.
  CHECK(text.find(R"(dynaudit_upstream_duration_seconds_count{operation="Scan"})") == std::string::npos);
}

TEST_CASE("invented table names and operations cannot grow the series without bound") {
  CallMetricLabels labels(2, {"payments"});  // payments reserved, one more slot
  CallMetrics w(labels);
  std::vector<std::vector<std::string>> tables;
  for (int i = 0; i < 1000; ++i) tables.push_back({"t" + std::to_string(i)});
  for (const auto& t : tables) w.observe(forwarded("GetItem", t));
  w.observe(forwarded("GetItem", {"payments"}));
  w.observe(forwarded("NotAnOperation", {"payments"}));
  w.observe(forwarded("", {}));
  w.observe(forwarded("BatchGetItem", {"payments", "t0"}));

  const auto text = render({&w}, labels);
  CHECK(has(text, R"(dynaudit_requests_total{operation="GetItem",table="t0",decision="allow",outcome="forwarded",code="2xx"} 1)"));
  CHECK(has(text, R"(dynaudit_requests_total{operation="GetItem",table="_other",decision="allow",outcome="forwarded",code="2xx"} 999)"));
  CHECK(has(text, R"(dynaudit_requests_total{operation="GetItem",table="payments",decision="allow",outcome="forwarded",code="2xx"} 1)"));
  CHECK(has(text, R"(dynaudit_requests_total{operation="_other",table="payments",decision="allow",outcome="forwarded",code="2xx"} 1)"));
  CHECK(has(text, R"(dynaudit_requests_total{operation="_none",table="_none",decision="allow",outcome="forwarded",code="2xx"} 1)"));
  CHECK(has(text, R"(dynaudit_requests_total{operation="BatchGetItem",table="_multi",decision="allow",outcome="forwarded",code="2xx"} 1)"));
  CHECK(text.find("t1\"") == std::string::npos);
  CHECK(text.find("principal=\"") == std::string::npos);  // no principal label without an allowlist
}

TEST_CASE("authentication failures are counted by reason and masked replies by count") {
  CallMetricLabels labels(4, {});
  CallMetrics w(labels);
  CallObservation bad;
  bad.outcome = "rejected";
  bad.status = 400;
  bad.error_type = "InvalidSignatureException";
  bad.auth_failure = ddb::ErrorKind::invalid_signature;
  w.observe(bad);
  w.observe(bad);
  const std::vector<std::string> customers{"customers"};
  auto masked = forwarded("Query", customers);
  masked.masked = true;
  w.observe(masked);
  const auto text = render({&w}, labels);
  CHECK(has(text, R"(dynaudit_auth_failures_total{reason="InvalidSignatureException"} 2)"));
  CHECK(has(text, R"(dynaudit_masked_replies_total 1)"));
}

TEST_CASE("upstream attempts are counted by connection and result, and retries apart") {
  CallMetricLabels labels(4, {});
  CallMetrics w(labels);
  const std::vector<std::string> t{"t"};
  std::vector<UpstreamAttempt> attempts(2);
  attempts[0].reused = true;
  attempts[0].result = UpstreamAttempt::Result::closed;  // a stale pooled connection
  attempts[1].result = UpstreamAttempt::Result::response;
  auto call = forwarded("PutItem", t);
  call.upstream_attempts = attempts;
  w.observe(call);
  const auto text = render({&w}, labels);
  CHECK(has(text, R"(dynaudit_upstream_attempts_total{connection="reused",result="closed"} 1)"));
  CHECK(has(text, R"(dynaudit_upstream_attempts_total{connection="new",result="response"} 1)"));
  CHECK(has(text, R"(dynaudit_upstream_retries_total 1)"));
}

TEST_CASE("only principals on the allowlist are named, by decision and status class") {
  CallMetricLabels labels(4, {}, {"svc-orders"});
  CallMetrics w(labels);
  const std::vector<std::string> t{"orders"};
  auto mine = forwarded("GetItem", t);
  mine.principal = "svc-orders";
  w.observe(mine);
  w.observe(mine);
  auto other = forwarded("GetItem", t);
  other.principal = "alice";
  w.observe(other);
  const auto text = render({&w}, labels);
  CHECK(has(text, R"(dynaudit_principal_requests_total{principal="svc-orders",decision="allow",code="2xx"} 2)"));
  CHECK(text.find("alice") == std::string::npos);
}
