// Deny-overrides, shadow rules, tags, audit levels, response phase, rates.
#include "rules_test_util.hpp"

using namespace rules_test;

namespace {

// A rule that always matches, in YAML.
std::string rule(const std::string& id, const std::string& body) {
  return "  - id: " + id + "\n" + body;
}

struct Row {
  const char* name;
  std::string rules;
  Effect default_effect;
  Effect effect;
  const char* determining;  // nullptr: the default applied
  Effect shadow_effect;
  const char* shadow_determining;
};

}  // namespace

TEST_CASE("deny overrides allow over a table of rule combinations", "[rules][decision]") {
  const std::string allow = "    effect: allow\n";
  const std::string deny = "    effect: deny\n";
  const std::string shadow_deny = "    mode: shadow\n    effect: deny\n";
  const std::string shadow_allow = "    mode: shadow\n    effect: allow\n";
  const std::string nomatch_deny = "    effect: deny\n    when: {table: other}\n";
  const std::string tag_only = "    tags: custom:t\n";
  const Row rows[] = {
      {"allow then deny", rule("a", allow) + rule("d", deny), Effect::allow, Effect::deny, "d", Effect::deny, "d"},
      {"deny then allow", rule("d", deny) + rule("a", allow), Effect::allow, Effect::deny, "d", Effect::deny, "d"},
      {"two denies: the first decides", rule("d1", deny) + rule("d2", deny), Effect::allow, Effect::deny, "d1",
       Effect::deny, "d1"},
      {"two allows: the first decides", rule("a1", allow) + rule("a2", allow), Effect::deny, Effect::allow, "a1",
       Effect::allow, "a1"},
      {"shadow deny + enforce allow", rule("sd", shadow_deny) + rule("a", allow), Effect::allow, Effect::allow, "a",
       Effect::deny, "sd"},
      {"enforce allow + shadow deny", rule("a", allow) + rule("sd", shadow_deny), Effect::deny, Effect::allow, "a",
       Effect::deny, "sd"},
      {"shadow allow under default deny", rule("sa", shadow_allow), Effect::deny, Effect::deny, nullptr,
       Effect::allow, "sa"},
      {"enforce deny then shadow deny", rule("d", deny) + rule("sd", shadow_deny), Effect::allow, Effect::deny, "d",
       Effect::deny, "d"},
      {"shadow deny then enforce deny", rule("sd", shadow_deny) + rule("d", deny), Effect::allow, Effect::deny, "d",
       Effect::deny, "sd"},
      {"default deny without allow", rule("t", tag_only) + rule("n", nomatch_deny), Effect::deny, Effect::deny,
       nullptr, Effect::deny, nullptr},
      {"default deny with allow", rule("t", tag_only) + rule("a", allow), Effect::deny, Effect::allow, "a",
       Effect::allow, "a"},
      {"default allow, nothing with an effect", rule("t", tag_only), Effect::allow, Effect::allow, nullptr,
       Effect::allow, nullptr},
      {"non-matching deny does not count", rule("n", nomatch_deny) + rule("a", allow), Effect::deny, Effect::allow,
       "a", Effect::allow, "a"},
  };
  for (const Row& row : rows) {
    INFO(row.name);
    EngineSettings settings;
    settings.default_effect = row.default_effect;
    auto s = load("rules:\n" + row.rules, settings);
    Call c;
    const Decision d = eval(*s, c);
    CHECK(d.effect == row.effect);
    if (row.determining) {
      REQUIRE(d.determining);
      CHECK(d.determining->id == row.determining);
    } else {
      CHECK(d.determining == nullptr);
    }
    CHECK(d.shadow_effect == row.shadow_effect);
    if (row.shadow_determining) {
      REQUIRE(d.shadow_determining);
      CHECK(d.shadow_determining->id == row.shadow_determining);
    } else {
      CHECK(d.shadow_determining == nullptr);
    }
    CHECK_FALSE(d.denied_in_response);
  }
}

TEST_CASE("matched, shadow, alerts, masks lists", "[rules][decision]") {
  auto s = load(R"y(rules:
  - id: a
    effect: allow
  - id: s
    mode: shadow
    effect: deny
    alert: {channel: sec}
    mask: [{path: x, method: hash}]
    tags: custom:shadow
    audit: full
  - id: al
    alert: {channel: sec}
  - id: m
    mask: [{path: pan, method: partial, keep_last: 4}]
  - id: miss
    effect: deny
    when: {table: nope}
)y");
  Call c;
  const Decision d = eval(*s, c);
  REQUIRE(d.matched.size() == 3);
  CHECK(d.matched[0]->id == "a");
  CHECK(d.matched[1]->id == "al");
  CHECK(d.matched[2]->id == "m");
  REQUIRE(d.shadow.size() == 1);
  CHECK(d.shadow[0]->id == "s");
  REQUIRE(d.alerts.size() == 1);
  CHECK(d.alerts[0]->id == "al");
  REQUIRE(d.masks.size() == 1);
  CHECK(d.masks[0]->id == "m");
  CHECK(d.tags.empty());                         // shadow rules add no tags
  CHECK(d.audit_level == AuditLevel::metadata);  // nor audit levels
}

TEST_CASE("tags are deduplicated in first-seen order", "[rules][decision]") {
  auto s = load(R"y(rules:
  - id: a
    tags: ["pci-dss:10.2.1", "gdpr:art32"]
  - id: b
    tags: ["gdpr:art32", "hipaa:164.312(b)", "pci-dss:10.2.1"]
)y");
  Call c;
  const Decision d = eval(*s, c);
  REQUIRE(d.tags.size() == 3);
  CHECK(d.tags[0] == "pci-dss:10.2.1");
  CHECK(d.tags[1] == "gdpr:art32");
  CHECK(d.tags[2] == "hipaa:164.312(b)");
  CHECK(d.tags[0].data() == s->rules()[0].tags[0].data());  // a view into the snapshot
}

TEST_CASE("audit level: the maximum over matched rules with a level, else the default", "[rules][decision]") {
  auto s = load(R"y(rules:
  - id: none
    audit: none
    when: {table: a}
  - id: full
    audit: full
    when: {table: b}
  - id: meta
    audit: metadata
    when: {table: c}
)y");
  EngineSettings settings;
  auto run = [&](std::vector<std::string> tables) {
    Call c("BatchGetItem", std::move(tables));
    return eval(*s, c).audit_level;
  };
  CHECK(run({"x"}) == AuditLevel::metadata);  // default
  CHECK(run({"a"}) == AuditLevel::none);      // a rule may lower it
  CHECK(run({"a", "c"}) == AuditLevel::metadata);
  CHECK(run({"c", "b", "a"}) == AuditLevel::full);
  settings.default_audit_level = AuditLevel::full;
  auto s2 = load("rules:\n  - id: none\n    audit: none\n", settings);
  Call c;
  CHECK(eval(*s2, c).audit_level == AuditLevel::none);
  auto s3 = load("rules:\n  - id: t\n    tags: custom:x\n", settings);
  CHECK(eval(*s3, c).audit_level == AuditLevel::full);
}

TEST_CASE("Decision::reset keeps capacity and clears everything", "[rules][decision]") {
  Decision d;
  Rule r;
  d.matched.assign(10, &r);
  d.tags.assign(10, "x");
  d.effect = Effect::allow;
  d.determining = &r;
  d.denied_in_response = true;
  const auto cap = d.matched.capacity();
  d.reset(Effect::deny, AuditLevel::full);
  CHECK(d.matched.empty());
  CHECK(d.tags.empty());
  CHECK(d.matched.capacity() == cap);
  CHECK(d.effect == Effect::deny);
  CHECK(d.shadow_effect == Effect::deny);
  CHECK(d.determining == nullptr);
  CHECK_FALSE(d.denied_in_response);
  CHECK(d.audit_level == AuditLevel::full);
}

TEST_CASE("response phase: rules split by phase, a late deny withholds the data", "[rules][decision]") {
  auto s = load(R"y(rules:
  - id: allow-all
    effect: allow
  - id: too-many
    effect: deny
    message: too many items returned
    when: {operation: Scan, returned_items: {gt: 100}}
  - id: throttled
    alert: {channel: ops}
    tags: custom:throttle
    when: {error_type: [ProvisionedThroughputExceededException, ThrottlingException]}
  - id: server-errors
    mode: shadow
    effect: deny
    when: {status: {gte: 500}}
  - id: exact-status
    audit: full
    when: {status: [400, 404], response_bytes: {lt: 1000}, consumed_capacity: {gt: 2.5}}
)y");
  CHECK(s->has_response_rules());
  CHECK(s->rules()[0].phase == Phase::request);
  for (int i = 1; i < 5; ++i) CHECK(s->rules()[i].phase == Phase::response);
  Call c("Scan");
  RateState rates;
  Decision d;
  s->evaluate_request(c.context(), rates, d);
  CHECK(d.effect == Effect::allow);
  REQUIRE(d.matched.size() == 1);  // response rules are not evaluated before the response

  ResponseContext small{200, "", 10, 1.0, 500};
  s->evaluate_response(c.context(), small, rates, d);
  CHECK(d.effect == Effect::allow);
  CHECK(d.matched.size() == 1);

  ResponseContext big{200, "", 101, 1.0, 500};
  s->evaluate_response(c.context(), big, rates, d);
  CHECK(d.effect == Effect::deny);
  REQUIRE(d.determining);
  CHECK(d.determining->id == "too-many");
  CHECK(d.determining->message == "too many items returned");
  CHECK(d.denied_in_response);
  CHECK(d.shadow_effect == Effect::deny);

  Decision e;
  s->evaluate_request(c.context(), rates, e);
  ResponseContext throttled{400, "ThrottlingException", 0, 3.0, 200};
  s->evaluate_response(c.context(), throttled, rates, e);
  CHECK(e.effect == Effect::allow);
  REQUIRE(e.matched.size() == 3);
  CHECK(e.matched[1]->id == "throttled");
  CHECK(e.matched[2]->id == "exact-status");
  CHECK(e.alerts.size() == 1);
  CHECK(e.tags.size() == 1);
  CHECK(e.audit_level == AuditLevel::full);

  Decision f;
  s->evaluate_request(c.context(), rates, f);
  ResponseContext server{503, "InternalServerError", 0, 0, 0};
  s->evaluate_response(c.context(), server, rates, f);
  CHECK(f.effect == Effect::allow);
  CHECK(f.shadow_effect == Effect::deny);
  REQUIRE(f.shadow_determining);
  CHECK(f.shadow_determining->id == "server-errors");
  CHECK_FALSE(f.denied_in_response);
}

TEST_CASE("rate: counted only when the other conditions hold, sliding window", "[rules][decision]") {
  auto s = load(R"y(rules:
  - id: scan-rate
    effect: deny
    when:
      operation: Scan
      rate: {calls: 3, per: 1m, by: principal}
  - id: item-rate
    alert: {channel: ops}
    when:
      rate: {items: 100, per: 10s, by: principal_and_table}
)y");
  RateState rates;
  Call scan("Scan"), get("GetItem");
  const auto t0 = utc(2024, 1, 15, 12, 0, 0);
  auto deny_at = [&](Call& c, std::chrono::system_clock::time_point t) {
    c.ctx.time = t;
    return eval(*s, c, &rates).effect == Effect::deny;
  };
  for (int i = 0; i < 10; ++i) CHECK_FALSE(deny_at(get, t0));  // not counted: operation does not hold
  CHECK_FALSE(deny_at(scan, t0));
  CHECK_FALSE(deny_at(scan, t0 + std::chrono::seconds(1)));
  CHECK_FALSE(deny_at(scan, t0 + std::chrono::seconds(2)));
  CHECK(deny_at(scan, t0 + std::chrono::seconds(3)));  // 4th call in the window exceeds 3
  // Another principal has its own counter.
  Call bob("Scan");
  bob.principal = "bob";
  CHECK_FALSE(deny_at(bob, t0 + std::chrono::seconds(4)));
  // Two windows later everything has expired.
  CHECK_FALSE(deny_at(scan, t0 + std::chrono::minutes(2)));

  // Items: 60 + 50 items exceed 100 within 10 s.
  Call w("BatchWriteItem", {"orders"});
  w.facts.item_count = 60;
  w.ctx.time = t0;
  CHECK(eval(*s, w, &rates).alerts.empty());
  w.facts.item_count = 50;
  w.ctx.time = t0 + std::chrono::seconds(1);
  CHECK(eval(*s, w, &rates).alerts.size() == 1);
  Call other("BatchWriteItem", {"users"});
  other.facts.item_count = 50;
  other.ctx.time = t0 + std::chrono::seconds(1);
  CHECK(eval(*s, other, &rates).alerts.empty());  // other table, other key
}

TEST_CASE("RateState: sliding approximation from two fixed windows", "[rules][rate]") {
  RateState r;
  using std::chrono::seconds;
  const auto w0 = std::chrono::system_clock::time_point(seconds(1'700'000'040));  // a multiple of 60
  CHECK(r.add("rule", "alice", 1, seconds(60), w0) == 1);
  CHECK(r.add("rule", "alice", 9, seconds(60), w0 + seconds(30)) == 10);
  CHECK(r.add("rule", "bob", 1, seconds(60), w0 + seconds(30)) == 1);
  CHECK(r.add("other", "alice", 1, seconds(60), w0 + seconds(30)) == 1);
  // 15 s into the next window: the previous window (10) counts 3/4.
  CHECK(r.add("rule", "alice", 1, seconds(60), w0 + seconds(75)) == 1 + 7);
  // 45 s in: 1/4 of 10 plus the 2 of this window.
  CHECK(r.add("rule", "alice", 1, seconds(60), w0 + seconds(105)) == 2 + 2);
  // Two windows on, nothing carries over.
  CHECK(r.add("rule", "alice", 1, seconds(60), w0 + seconds(190)) == 1);
  // Many keys: the sweep keeps working and counts stay right.
  for (int i = 0; i < 20000; ++i) r.add("bulk", std::to_string(i), 1, seconds(1), w0 + seconds(i / 1000 * 5));
  CHECK(r.add("bulk", "19999", 1, seconds(1), w0 + seconds(95)) == 2);
}
