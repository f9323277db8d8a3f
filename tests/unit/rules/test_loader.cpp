// Loading and validation of rule files: every error kind with its exact
// position, defaults, and robustness against hostile input.
#include "rules_test_util.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>

using namespace rules_test;

namespace {

// The single error of `yaml`, formatted.
std::string only_error(const std::string& yaml) {
  auto errors = errors_of(yaml);
  INFO(joined(errors));
  REQUIRE(errors.size() == 1);
  return format(errors[0]);
}

}  // namespace

TEST_CASE("a full rule loads with every field", "[rules][loader]") {
  auto s = load(R"y(version: 1
rules:
  - id: pci-deny-card-scan
    description: no bulk reads
    mode: shadow
    when:
      operation: [Scan, ExecuteStatement]
      table: "cardholder-*"
      not: {group: pci-batch}
    effect: deny
    message: "Bulk reads of cardholder data are refused (PCI DSS 7.2)"
    alert: {channel: security, severity: high, message: "{principal} scanned {table}", throttle: {max: 5, per: 1m}}
    mask:
      - {path: pan, method: partial, keep_last: 4}
      - {path: "cards[*].number", method: redact, replacement: "****"}
      - {path: email, method: email}
      - {path: ssn, method: hash}
      - {path: notes, method: regex, pattern: "[0-9]{3}-[0-9]{2}", replacement: "###"}
      - {path: balance, method: round, step: 100}
      - {path: dob, method: nullify}
      - {path: secret, method: remove}
    unmask_groups: [pci-admins]
    audit: full
    tags: ["pci-dss:10.2.1", "pci-dss:7.2"]
)y");
  REQUIRE(s->rules().size() == 1);
  const Rule& r = s->rules()[0];
  CHECK(r.id == "pci-deny-card-scan");
  CHECK(r.description == "no bulk reads");
  CHECK(r.file == "rules.yaml");
  CHECK(r.line == 3);
  CHECK(r.mode == RuleMode::shadow);
  CHECK(r.phase == Phase::request);
  CHECK(r.effect == Effect::deny);
  CHECK(r.message == "Bulk reads of cardholder data are refused (PCI DSS 7.2)");
  REQUIRE(r.alert);
  CHECK(r.alert->channel == "security");
  CHECK(r.alert->severity == "high");
  CHECK(r.alert->message_template == "{principal} scanned {table}");
  CHECK(r.alert->throttle_max == 5);
  CHECK(r.alert->throttle_window == std::chrono::seconds(60));
  REQUIRE(r.mask.size() == 8);
  CHECK(r.mask[0].path == "pan");
  CHECK(r.mask[0].method == "partial");
  CHECK(r.mask[0].keep_last == 4);
  CHECK(r.mask[0].keep_first == 0);
  CHECK(r.mask[1].path == "cards[*].number");
  CHECK(r.mask[1].replacement == "****");
  CHECK(r.mask[4].pattern == "[0-9]{3}-[0-9]{2}");
  CHECK(r.mask[4].replacement == "###");
  CHECK(r.mask[5].step == 100);
  CHECK(r.mask[7].method == "remove");
  CHECK(r.unmask_groups == std::vector<std::string>{"pci-admins"});
  CHECK(r.audit_level == AuditLevel::full);
  CHECK(r.tags == std::vector<std::string>{"pci-dss:10.2.1", "pci-dss:7.2"});
  CHECK_FALSE(s->has_response_rules());
}

TEST_CASE("defaults: enforce, deny message, alert severity, template and throttle", "[rules][loader]") {
  auto s = load(R"y(rules:
  - id: a
    effect: deny
    alert: {channel: ops}
  - id: b
    tags: custom:x
)y");
  const Rule& a = s->rules()[0];
  CHECK(a.mode == RuleMode::enforce);
  CHECK(a.message == "Access denied by dynaudit rule a");
  REQUIRE(a.alert);
  CHECK(a.alert->severity == "medium");
  CHECK(a.alert->message_template == "dynaudit rule {rule} matched {operation} on {table} by {principal}");
  CHECK(a.alert->throttle_max == 10);
  CHECK(a.alert->throttle_window == std::chrono::seconds(60));
  CHECK_FALSE(a.audit_level);
  const Rule& b = s->rules()[1];
  CHECK_FALSE(b.effect);
  CHECK(b.tags == std::vector<std::string>{"custom:x"});
  CHECK(b.message.empty());
}

TEST_CASE("unknown operation suggests the nearest name", "[rules][loader]") {
  CHECK(only_error(R"y(rules:
  - id: r
    effect: deny
    when:
      operation: GetIten
)y") == "rules.yaml:5:18: operation: unknown operation 'GetIten' (did you mean GetItem?)");
  CHECK(only_error(R"y(rules:
  - id: r
    effect: deny
    when:
      operation: [Scan, batchgetitem]
)y") == "rules.yaml:5:25: operation: unknown operation 'batchgetitem' (did you mean BatchGetItem?)");
}

TEST_CASE("each validation error names its position", "[rules][loader]") {
  const std::string head = "rules:\n  - id: r\n    effect: deny\n    when:\n";
  SECTION("bad glob") {
    CHECK(only_error(head + "      table: \"[abc\"\n") == "rules.yaml:5:14: table: bad glob '[abc'");
    CHECK(only_error(head + "      principal: \"a[]\"\n") == "rules.yaml:5:18: principal: bad glob 'a[]'");
  }
  SECTION("bad CIDR") {
    CHECK(only_error(head + "      source_ip: 10.0.0.0/33\n") == "rules.yaml:5:18: source_ip: bad CIDR '10.0.0.0/33'");
    CHECK(only_error(head + "      source_ip: [\"::1/128\", \"fd00::/129\"]\n") ==
          "rules.yaml:5:30: source_ip: bad CIDR 'fd00::/129'");
    CHECK(only_error(head + "      source_ip: 10.0.0.300\n") == "rules.yaml:5:18: source_ip: bad CIDR '10.0.0.300'");
  }
  SECTION("attribute path forms") {
    for (const char* bad : {"a..b", "a[x]", "a[", ".a", "a]", "[0]"}) {
      INFO(bad);
      CHECK(only_error(head + "      attributes_read: \"" + bad + "\"\n") ==
            std::string("rules.yaml:5:24: attributes_read: unknown attribute path form '") + bad + "'");
    }
  }
  SECTION("operation class") {
    CHECK(only_error(head + "      operation_class: delete\n") ==
          "rules.yaml:5:24: operation_class: unknown operation class 'delete' (expected read, write, admin, "
          "scan-like or unknown)");
  }
  SECTION("unknown condition key lists the allowed ones") {
    const std::string e = only_error(head + "      tabel: x\n");
    CHECK(e.rfind("rules.yaml:5:7: when: unknown key 'tabel' (allowed keys: all, any, not, operation,", 0) == 0);
  }
  SECTION("unknown rule key") {
    CHECK(only_error("rules:\n  - id: r\n    effect: deny\n    effekt: allow\n")
              .starts_with("rules.yaml:4:5: rule: unknown key 'effekt' (allowed keys: id, description, mode,"));
  }
  SECTION("numbers") {
    CHECK(only_error(head + "      item_count: {gt: lots}\n") == "rules.yaml:5:24: item_count: expected a number");
    CHECK(only_error(head + "      request_bytes: {over: 3}\n").starts_with(
        "rules.yaml:5:23: request_bytes: unknown key 'over' (allowed keys: gt, gte, lt, lte, eq)"));
  }
  SECTION("key needs exactly one of equals and prefix") {
    CHECK(only_error(head + "      key: {attribute: pk, equals: a, prefix: b}\n") ==
          "rules.yaml:5:12: key: give exactly one of equals and prefix, not both");
    CHECK(only_error(head + "      key: {attribute: pk}\n") ==
          "rules.yaml:5:12: key: give exactly one of equals and prefix");
  }
  SECTION("time") {
    CHECK(only_error(head + "      time: {zone: Mars/Olympus}\n") ==
          "rules.yaml:5:20: time.zone: unknown time zone 'Mars/Olympus'");
    CHECK(only_error(head + "      time: {days: [mon, fun]}\n") ==
          "rules.yaml:5:26: time.days: unknown day 'fun' (expected sun, mon, tue, wed, thu, fri, sat)");
    CHECK(only_error(head + "      time: {hours: \"9-17\"}\n") ==
          "rules.yaml:5:21: time.hours: bad hours '9-17' (expected HH:MM-HH:MM like 09:00-17:00, end exclusive)");
    CHECK(only_error(head + "      time: {zone: ../../etc/passwd}\n") ==
          "rules.yaml:5:20: time.zone: unknown time zone '../../etc/passwd'");
  }
  SECTION("rate only at the top of when, durations") {
    CHECK(only_error(head + "      not: {rate: {calls: 5, per: 1m}}\n") ==
          "rules.yaml:5:13: rate: rate is allowed only directly under a rule's when, not inside all, any or not");
    CHECK(only_error(head + "      rate: {calls: 5, per: 5y}\n") ==
          "rules.yaml:5:29: rate.per: bad duration '5y' (expected a number and s, m, h or d, like 30s or 5m)");
    CHECK(only_error(head + "      rate: {calls: 5, items: 5, per: 1m}\n") ==
          "rules.yaml:5:13: rate: give exactly one of calls and items");
  }
  SECTION("response-phase allow") {
    CHECK(only_error("rules:\n  - id: r\n    effect: allow\n    when:\n      status: 200\n") ==
          "rules.yaml:3:13: effect: allow cannot apply after the response (the rule has response conditions); "
          "use deny, alert, mask, audit or tags");
  }
  SECTION("bool") {
    CHECK(only_error(head + "      tls: maybe\n") == "rules.yaml:5:12: tls: expected true or false");
  }
}

TEST_CASE("rule-level errors", "[rules][loader]") {
  CHECK(only_error("rules:\n  - id: quiet\n    when: {table: x}\n") ==
        "rules.yaml:2:5: rule: rule does nothing (give at least one of effect, alert, mask, audit, tags)");
  CHECK(only_error("rules:\n  - id: \"bad id!\"\n    effect: deny\n") ==
        "rules.yaml:2:9: id: bad rule id 'bad id!' (letters, digits, _ . : - only)");
  CHECK(only_error("rules:\n  - effect: deny\n") == "rules.yaml:2:5: id: a rule needs an id");
  CHECK(only_error("rules:\n  - id: r\n    effect: permit\n") ==
        "rules.yaml:3:13: effect: unknown effect 'permit' (expected allow or deny)");
  CHECK(only_error("rules:\n  - id: r\n    mode: dry-run\n    effect: deny\n") ==
        "rules.yaml:3:11: mode: unknown mode 'dry-run' (expected enforce or shadow)");
  CHECK(only_error("rules:\n  - id: r\n    audit: everything\n") ==
        "rules.yaml:3:12: audit: unknown audit level 'everything' (expected none, metadata or full)");
  CHECK(only_error("rules:\n  - id: r\n    tags: [pci:1]\n").starts_with(
      "rules.yaml:3:12: tags: bad tag 'pci:1' (expected framework:control"));
  CHECK(only_error("rules:\n  - id: r\n    tags: [hipaa]\n").starts_with("rules.yaml:3:12: tags: bad tag 'hipaa'"));
  CHECK(only_error("rules:\n  - id: r\n    alert: {severity: high}\n") == "rules.yaml:3:12: alert: channel is required");
  CHECK(only_error("rules:\n  - id: r\n    alert: {channel: c, severity: urgent}\n") ==
        "rules.yaml:3:35: alert.severity: unknown severity 'urgent' (expected info, low, medium, high, critical)");
  CHECK(only_error("rules:\n  - id: r\n    alert: {channel: c, throttle: {max: 0}}\n") ==
        "rules.yaml:3:41: alert.throttle.max: expected a whole number of at least 1");
  CHECK(only_error("rules:\n  - id: r\n    mask: [{path: a, method: blur}]\n") ==
        "rules.yaml:3:30: mask.method: unknown method 'blur' (expected redact, partial, email, hash, nullify, "
        "remove, regex, round)");
  CHECK(only_error("rules:\n  - id: r\n    mask: [{path: a, method: hash, step: 3}]\n") ==
        "rules.yaml:3:42: mask.step: not an option of method hash");
  CHECK(only_error("rules:\n  - id: r\n    mask: [{path: a, method: regex, pattern: \"(\"}]\n")
            .starts_with("rules.yaml:3:46: mask.pattern: bad regular expression '('"));
  CHECK(only_error("rules:\n  - id: r\n    mask: [{path: a, method: round}]\n") ==
        "rules.yaml:3:12: mask: method round needs a step");
  CHECK(only_error("rules:\n  - id: r\n    message: hi\n    tags: custom:x\n") ==
        "rules.yaml:3:14: message: a message is only for effect: deny");
}

TEST_CASE("top level", "[rules][loader]") {
  CHECK(only_error("rules: []\npolicies: []\n").starts_with(
      "rules.yaml:2:1: unknown key 'policies' (allowed keys: version, rules)"));
  CHECK(only_error("version: 2\nrules: []\n") == "rules.yaml:1:10: version: only version 1 is supported");
  CHECK(only_error("") == "rules.yaml: empty rule file (expected a mapping with a 'rules' list)");
  CHECK(only_error("- a\n- b\n") == "rules.yaml:1:1: expected a mapping with a 'rules' list");
  CHECK(only_error("rules: {a: 1}\n") == "rules.yaml:1:8: rules: expected a list of rules");
  auto empty = load("rules: []\n");
  CHECK(empty->rules().empty());
}

TEST_CASE("all errors of a file are reported, not only the first", "[rules][loader]") {
  auto errors = errors_of(R"y(rules:
  - id: a
    effect: deny
    when:
      operation: GetIten
      table: "[x"
  - id: b
    effect: deny
    when:
      source_ip: 1.2.3.4/40
)y");
  REQUIRE(errors.size() == 3);
  CHECK(errors[0].line == 5);
  CHECK(errors[1].line == 6);
  CHECK(errors[2].line == 10);
  CHECK(errors[2].column == 18);
}

TEST_CASE("YAML syntax errors carry a position", "[rules][loader]") {
  auto errors = errors_of("rules:\n  - id: a\n    effect: [deny\n");
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].line >= 3);
  CHECK(errors[0].message.starts_with("YAML: "));
}

TEST_CASE("duplicate rule ids across files name the first definition", "[rules][loader]") {
  const std::string dir = "/tmp/dynaudit-rules-loader-" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  const std::string a = dir + "/other.yaml", b = dir + "/rules.yaml";
  std::ofstream(a) << "rules:\n  - id: keep\n    effect: allow\n  - id: x\n    effect: deny\n";
  std::ofstream(b) << "rules:\n  - id: y\n    effect: deny\n  - id: x\n    tags: custom:t\n";
  auto r = RuleSnapshot::load_files({a, b}, {});
  REQUIRE(r.errors.size() == 1);
  CHECK(format(r.errors[0]) == b + ":4:9: id: duplicate rule id 'x' (first defined at " + a + ":4)");
  CHECK_FALSE(r.snapshot);

  auto missing = RuleSnapshot::load_files({dir + "/nope.yaml"}, {});
  REQUIRE(missing.errors.size() == 1);
  CHECK(missing.errors[0].line == 0);
  CHECK(format(missing.errors[0]) == dir + "/nope.yaml: cannot read rule file: No such file or directory");

  auto ok = RuleSnapshot::load_files({a}, {});
  REQUIRE(ok.snapshot);
  CHECK(ok.snapshot->rules().size() == 2);
  CHECK(ok.snapshot->files() == std::vector<std::string>{a});
  std::filesystem::remove_all(dir);
}

TEST_CASE("hostile input never crashes the loader", "[rules][loader]") {
  std::string deep = "rules:\n  - id: r\n    effect: deny\n    when: ";
  for (int i = 0; i < 40; ++i) deep += "{not: ";
  deep += "{table: x}";
  for (int i = 0; i < 40; ++i) deep += "}";
  auto errors = errors_of(deep + "\n");
  REQUIRE_FALSE(errors.empty());
  CHECK(errors[0].message == "not: conditions nested deeper than 32 levels");

  std::string brackets(100000, '[');
  CHECK_FALSE(errors_of(brackets).empty());
  CHECK_FALSE(errors_of(std::string("\0\xff\xfe rules: !!binary AAAA", 22)).empty());
  CHECK_FALSE(errors_of("rules:\n  - id: r\n    effect: deny\n    when: {item_count: {gt: 1e999999}}\n").empty());
  CHECK_FALSE(errors_of("rules:\n  - id: r\n    alert: {channel: c, throttle: {max: 99999999999999999999999}}\n")
                  .empty());
  CHECK_FALSE(errors_of("rules: !!binary aGVsbG8=\n").empty());
  CHECK_FALSE(errors_of("rules:\n  - ? [a, b]\n    : c\n").empty());
  CHECK_FALSE(errors_of("*alias\n").empty());
  // Exponential aliasing stays bounded by the condition budget.
  std::string bomb = "a0: &a0 {table: x}\n";
  for (int i = 1; i < 30; ++i)
    bomb += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " {any: [*a" + std::to_string(i - 1) + ", *a" +
            std::to_string(i - 1) + "]}\n";
  CHECK_FALSE(errors_of(bomb + "rules:\n  - id: r\n    effect: deny\n    when: *a29\n").empty());
  // 30-level nesting within the limit loads.
  std::string ok = "rules:\n  - id: r\n    effect: deny\n    when: ";
  for (int i = 0; i < 30; ++i) ok += "{all: [";
  ok += "{table: x}";
  for (int i = 0; i < 30; ++i) ok += "]}";
  load(ok + "\n");
}

TEST_CASE("mutated rule files load or fail cleanly", "[rules][loader]") {
  const std::string base = R"y(version: 1
rules:
  - id: a
    mode: shadow
    when:
      operation: [Scan, ExecuteStatement]
      table: "cardholder-*"
      any: [{not: {group: x}}, {source_ip: ["10.0.0.0/8", "::1"]}]
      key: {attribute: pk, prefix: "t#", table: "o*"}
      time: {days: [mon], hours: "22:00-06:00", zone: Europe/Berlin}
      rate: {items: 5, per: 1m, by: table}
      partiql: "select *"
      attributes_read: "a[*].b"
    effect: deny
    alert: {channel: security, throttle: {max: 5, per: 1m}}
    mask: [{path: pan, method: partial, keep_last: 4}, {path: n, method: regex, pattern: "[0-9]+"}]
    audit: full
    tags: ["pci-dss:10.2.1"]
  - id: b
    when: {status: {gte: 500}, returned_items: {gt: 3}}
    tags: custom:x
)y";
  load(base);
  std::uint64_t seed = 42;
  auto next = [&] {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<std::size_t>(seed >> 33);
  };
  static constexpr char kBytes[] = "{}[]:,-*&!|>'\"#\n \t0123456789azAZ\\\x00\xff%@`?";
  int loaded = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string text = base;
    const int edits = 1 + static_cast<int>(next() % 4);
    for (int e = 0; e < edits; ++e) {
      const std::size_t at = next() % text.size();
      switch (next() % 3) {
        case 0: text[at] = kBytes[next() % (sizeof kBytes - 1)]; break;
        case 1: text.erase(at, 1 + next() % 8); break;
        default: text.insert(at, 1, kBytes[next() % (sizeof kBytes - 1)]); break;
      }
      if (text.empty()) text = "x";
    }
    SnapshotResult r = RuleSnapshot::load_text(text, "m.yaml", {});
    CHECK((r.snapshot != nullptr) == r.errors.empty());
    if (r.snapshot) {
      ++loaded;
      Call c("Scan", {"cardholder-1"});
      Decision d;
      RateState rates;
      r.snapshot->evaluate_request(c.context(), rates, d);
      r.snapshot->evaluate_response(c.context(), ResponseContext{500, "X", 4, 1, 1}, rates, d);
    }
  }
  CHECK(loaded > 0);
}
