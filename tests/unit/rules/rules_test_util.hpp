// Helpers for the rules unit tests: load YAML text, build a call.
#pragma once

#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "ddb/operation_catalog.hpp"
#include "ddb/request_facts.hpp"
#include "rules/rule_snapshot.hpp"

namespace rules_test {

using namespace dynaudit::rules;
namespace ddb = dynaudit::ddb;

inline std::string joined(const std::vector<LoadError>& errors) {
  std::string out;
  for (const auto& e : errors) out += format(e) + "\n";
  return out;
}

inline std::shared_ptr<const RuleSnapshot> load(const std::string& yaml, EngineSettings settings = {}) {
  SnapshotResult r = RuleSnapshot::load_text(yaml, "rules.yaml", settings);
  INFO(joined(r.errors));
  REQUIRE(r.errors.empty());
  REQUIRE(r.snapshot);
  return r.snapshot;
}

inline std::vector<LoadError> errors_of(const std::string& yaml) {
  SnapshotResult r = RuleSnapshot::load_text(yaml, "rules.yaml", {});
  CHECK(!r.snapshot);
  return r.errors;
}

// 2024-01-15T12:00:00Z, a Monday.
inline std::chrono::system_clock::time_point utc(int y, unsigned m, unsigned d, int hh, int mm, int ss = 0) {
  using namespace std::chrono;
  return sys_days{year{y} / month{m} / day{d}} + hours{hh} + minutes{mm} + seconds{ss};
}

// One call: facts plus the caller.
struct Call {
  ddb::RequestFacts facts;
  std::vector<std::string> groups;
  std::string principal = "alice";
  RequestContext ctx;

  explicit Call(std::string_view op = "GetItem", std::vector<std::string> tables = {"orders"}) {
    facts.operation = std::string(op);
    facts.info = ddb::find_operation(ddb::ApiFamily::dynamodb, op);
    if (!facts.info) facts.info = ddb::find_operation(ddb::ApiFamily::streams, op);
    facts.tables = std::move(tables);
    ctx.source = parse_source_address("10.1.2.3");
    ctx.time = utc(2024, 1, 15, 12, 0);
  }
  // Call after any change to the strings or vectors (views point into them).
  const RequestContext& context() {
    ctx.facts = &facts;
    ctx.principal = principal;
    ctx.groups = &groups;
    return ctx;
  }
};

inline Decision eval(const RuleSnapshot& s, Call& call, RateState* rates = nullptr) {
  RateState local;
  Decision d;
  s.evaluate_request(call.context(), rates ? *rates : local, d);
  return d;
}

// True when the single rule in `yaml` (effect deny) matches the call.
inline bool matches(const std::string& when_yaml, Call& call) {
  auto s = load("rules:\n  - id: r\n    effect: deny\n    when:\n" + when_yaml);
  return eval(*s, call).effect == Effect::deny;
}

}  // namespace rules_test
