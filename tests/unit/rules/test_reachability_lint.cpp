// The reachability lint of `rules check`: a deny that closes one route to
// some data must be matched by denies of the other routes, under the same or
// a broader scope; what it warns about, what silences it, what it skips.
#include "rules_test_util.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "rules/reachability_lint.hpp"
#include "rules/reachability_paths.hpp"

using namespace rules_test;

namespace {

std::vector<ReachabilityWarning> lint(const std::string& yaml) {
  const ReachabilityLint r = lint_rules_text(yaml, "rules.yaml");
  INFO(joined(r.errors));
  REQUIRE(r.errors.empty());
  return r.warnings;
}

// The message of the only warning.
std::string only_warning(const std::string& yaml) {
  const auto warnings = lint(yaml);
  std::string all;
  for (const auto& w : warnings) all += format(w) + "\n";
  INFO(all);
  REQUIRE(warnings.size() == 1);
  return warnings[0].message;
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// The route list between "leaves open " and ", which".
std::string left_open(const std::string& message) {
  const auto from = message.find("leaves open ");
  const auto to = message.find(", which ");
  REQUIRE(from != std::string::npos);
  REQUIRE(to != std::string::npos);
  return message.substr(from + 12, to - from - 12);
}

}  // namespace

TEST_CASE("a deny on Scan alone warns about the other whole-table reads", "[rules][lint]") {
  const auto warnings = lint(R"y(rules:
  - id: keep-it
    when: {table: orders}
    audit: full
  - id: no-scan
    when:
      operation: Scan
      table: orders
    effect: deny
)y");
  REQUIRE(warnings.size() == 1);
  const ReachabilityWarning& w = warnings[0];
  CHECK(w.file == "rules.yaml");
  CHECK(w.line == 5);
  CHECK(w.rule_id == "no-scan");
  CHECK(format(w).starts_with("rules.yaml:5: warning: rule 'no-scan' denies Scan but leaves open "));
  const std::string open = left_open(w.message);
  CHECK(has(open, "ExecuteStatement (PartiQL SELECT without a key condition)"));
  CHECK(has(open, "GetShardIterator/GetRecords (DynamoDB Streams)"));
  CHECK(has(open, "ExportTableToPointInTime"));
  CHECK(has(open, "RestoreTableToPointInTime"));
  // Reads by key and by partition are not a way round a Scan deny.
  CHECK_FALSE(has(open, "GetItem"));
  CHECK_FALSE(has(open, "Query"));
  CHECK(has(w.message, "which read the same items"));
  CHECK(has(w.message, "operation_class: scan-like covers Scan and ExecuteStatement (PartiQL SELECT without a key "
                       "condition), GetShardIterator/GetRecords (DynamoDB Streams)"));
  CHECK(has(w.message, "name the rest: operation: [ExportTableToPointInTime, EnableKinesisStreamingDestination, "
                       "RestoreTableFromBackup, RestoreTableToPointInTime]"));
}

TEST_CASE("a deny on GetItem alone warns about every other read", "[rules][lint]") {
  const std::string m = only_warning(R"y(rules:
  - id: no-get
    when: {operation: GetItem, table: "orders-*"}
    effect: deny
)y");
  const std::string open = left_open(m);
  for (const char* route : {"BatchGetItem", "TransactGetItems", "ExecuteStatement (PartiQL SELECT by key)",
                            "BatchExecuteStatement (PartiQL SELECT)", "ExecuteTransaction (PartiQL SELECT)", "Query",
                            "Scan", "ExportTableToPointInTime"})
    CHECK(has(open, route));
  CHECK(has(m, "operation_class: read covers GetItem and BatchGetItem, TransactGetItems, Query, Scan"));
  // The PartiQL operations are class write: the read class leaves them open.
  CHECK(has(m, "partiql: \"select *\" covers ExecuteStatement (PartiQL SELECT by key)"));
}

TEST_CASE("the read class leaves the PartiQL SELECTs and the table copies open", "[rules][lint]") {
  const std::string m = only_warning(R"y(rules:
  - id: no-reads
    when: {operation_class: read, table: orders}
    effect: deny
)y");
  const std::string open = left_open(m);
  CHECK(has(open, "ExecuteStatement (PartiQL SELECT by key)"));
  CHECK(has(open, "ExecuteTransaction (PartiQL SELECT)"));
  CHECK(has(open, "ExportTableToPointInTime"));
  CHECK_FALSE(has(open, "BatchGetItem"));
  CHECK_FALSE(has(open, "Scan,"));
  CHECK_FALSE(has(open, "GetShardIterator"));
}

TEST_CASE("no warning when the read class, PartiQL SELECTs and table copies are all denied", "[rules][lint]") {
  CHECK(lint(R"y(rules:
  - id: no-reads
    when:
      table: orders
      any:
        - operation_class: read
        - partiql: "select *"
        - operation: [ExportTableToPointInTime, EnableKinesisStreamingDestination,
                      RestoreTableFromBackup, RestoreTableToPointInTime]
    effect: deny
)y").empty());
  // The suggested scan-like class with the copies named closes a Scan deny.
  CHECK(lint(R"y(rules:
  - id: no-bulk
    when:
      any:
        - operation_class: scan-like
        - operation: [GetShardIterator, ExportTableToPointInTime, EnableKinesisStreamingDestination,
                      RestoreTableFromBackup, RestoreTableToPointInTime]
    effect: deny
)y").empty());
}

TEST_CASE("a second deny with the same scope covers the rest", "[rules][lint]") {
  CHECK(lint(R"y(rules:
  - id: no-get
    when: {operation: [GetItem, BatchGetItem, TransactGetItems], table: orders, not: {group: admins}}
    effect: deny
  - id: no-other-reads
    when:
      table: orders
      not: {group: admins}
      any:
        - operation: [Query, Scan, GetShardIterator, ExportTableToPointInTime, EnableKinesisStreamingDestination,
                      RestoreTableFromBackup, RestoreTableToPointInTime]
        - partiql: "select *"
    effect: deny
)y").empty());
}

TEST_CASE("a second deny only counts when it applies wherever the first does", "[rules][lint]") {
  const std::string first = R"y(rules:
  - id: no-get
    when: {operation: [GetItem, BatchGetItem, TransactGetItems], table: orders, group: analysts, source_ip: 10.1.0.0/16}
    effect: deny
  - id: rest
    when:
)y";
  const std::string rest_ops = R"y(      any:
        - operation_class: scan-like
        - operation: [GetShardIterator, ExportTableToPointInTime, EnableKinesisStreamingDestination,
                      RestoreTableFromBackup, RestoreTableToPointInTime, ExecuteTransaction]
        - partiql: "select *"
    effect: deny
)y";
  SECTION("another table: still open") {
    CHECK(lint(first + "      table: customers\n" + rest_ops).size() == 1);
  }
  SECTION("a narrower scope (an extra condition): still open") {
    CHECK(lint(first + "      table: orders\n      tls: false\n" + rest_ops).size() == 1);
  }
  SECTION("a glob over the table name: covered") {
    CHECK(lint(first + "      table: [\"ord*\"]\n" + rest_ops).empty());
  }
  SECTION("no scope at all: covered") {
    CHECK(lint(first + rest_ops).empty());
  }
  SECTION("more groups and a wider network: covered") {
    CHECK(lint(first + "      group: [analysts, interns]\n      source_ip: 10.0.0.0/8\n" + rest_ops).empty());
  }
  SECTION("another network: still open") {
    CHECK(lint(first + "      source_ip: 10.2.0.0/16\n" + rest_ops).size() == 1);
  }
}

TEST_CASE("exemptions under not: a broader exemption is a narrower scope", "[rules][lint]") {
  const auto with_exemptions = [](const std::string& first, const std::string& second) {
    return lint(R"y(rules:
  - id: no-delete
    when: {operation: DeleteItem, not: {group: )y" + first + R"y(}}
    effect: deny
  - id: no-writes
    when: {operation_class: write, not: {group: )y" + second + R"y(}}
    effect: deny
)y");
  };
  CHECK(with_exemptions("admins", "admins").empty());
  // no-writes exempts ops too, so it does not hold for an ops member that no-delete refuses.
  CHECK(with_exemptions("admins", "[admins, ops]").size() == 1);
  CHECK(with_exemptions("[admins, ops]", "admins").empty());
}

TEST_CASE("item writes: each write can stand in for the others", "[rules][lint]") {
  const std::string m = only_warning(R"y(rules:
  - id: append-only
    when: {operation: DeleteItem, table: ledger}
    effect: deny
)y");
  const std::string open = left_open(m);
  for (const char* route : {"PutItem", "UpdateItem", "BatchWriteItem", "TransactWriteItems",
                            "ExecuteStatement (PartiQL DELETE)", "BatchExecuteStatement (PartiQL UPDATE)",
                            "ExecuteTransaction (PartiQL INSERT)"})
    CHECK(has(open, route));
  CHECK(has(m, "which change the same items"));
  CHECK(has(m, "operation_class: write covers DeleteItem and PutItem"));
  CHECK(lint(R"y(rules:
  - id: read-only
    when: {operation_class: write}
    effect: deny
)y").empty());
}

TEST_CASE("table destruction: DeleteTable and UpdateTimeToLive", "[rules][lint]") {
  const std::string m = only_warning(R"y(rules:
  - id: keep-tables
    when: {operation: DeleteTable}
    effect: deny
)y");
  CHECK(has(m, "denies DeleteTable but leaves open UpdateTimeToLive, which destroy the same table's data"));
  CHECK(has(m, "deny them too: operation: [UpdateTimeToLive]"));
}

TEST_CASE("a partly covered PartiQL route names the statement that gets through", "[rules][lint]") {
  const std::string m = only_warning(R"y(rules:
  - id: no-bulk
    when:
      table: "cardholder-*"
      any:
        - operation: [Scan, GetShardIterator, ExportTableToPointInTime, EnableKinesisStreamingDestination,
                      RestoreTableFromBackup, RestoreTableToPointInTime]
        - partiql: "select * from *"
          not: {partiql: "* where *"}
    effect: deny
)y");
  // A WHERE on a non-key attribute is still a Scan; the statement names a
  // table the rule's glob matches.
  CHECK(left_open(m) == "ExecuteStatement (PartiQL SELECT without a key condition, e.g. SELECT * FROM "
                        "\"cardholder-x\" WHERE \"a\" > ?)");
  CHECK(has(m, "operation_class: scan-like covers Scan, GetShardIterator/GetRecords (DynamoDB Streams) and "
               "ExecuteStatement"));
}

TEST_CASE("a partiql glob naming the rule's table counts", "[rules][lint]") {
  CHECK(lint(R"y(rules:
  - id: no-scan
    when: {table: orders, operation: [Scan, GetShardIterator, ExportTableToPointInTime,
           EnableKinesisStreamingDestination, RestoreTableFromBackup, RestoreTableToPointInTime]}
    effect: deny
  - id: no-select
    when: {table: orders, partiql: 'select * from "orders"*'}
    effect: deny
)y").empty());
  CHECK(lint(R"y(rules:
  - id: no-scan
    when: {table: orders, operation: [Scan, GetShardIterator, ExportTableToPointInTime,
           EnableKinesisStreamingDestination, RestoreTableFromBackup, RestoreTableToPointInTime]}
    effect: deny
  - id: no-select-elsewhere
    when: {table: orders, partiql: 'select * from "customers"*'}
    effect: deny
)y").size() == 1);
}

TEST_CASE("rules the lint does not judge", "[rules][lint]") {
  SECTION("PartiQL-only denies choose an API, not data") {
    CHECK(lint("rules:\n  - id: r\n    when: {operation: [ExecuteStatement, BatchExecuteStatement, "
               "ExecuteTransaction]}\n    effect: deny\n").empty());
    CHECK(lint("rules:\n  - id: r\n    when: {partiql: \"select *\"}\n    effect: deny\n").empty());
  }
  SECTION("shadow denies, allows and rules without effect") {
    CHECK(lint("rules:\n  - id: r\n    mode: shadow\n    when: {operation: Scan}\n    effect: deny\n").empty());
    CHECK(lint("rules:\n  - id: r\n    when: {operation: Scan}\n    effect: allow\n").empty());
    CHECK(lint("rules:\n  - id: r\n    when: {operation: Scan}\n    tags: [\"custom:x\"]\n").empty());
  }
  SECTION("limits: counts, sizes, responses, rates, keys, attributes") {
    for (const char* extra : {"item_count: {gt: 25}", "returned_items: {gt: 1000}", "request_bytes: {gt: 10}",
                              "rate: {calls: 10, per: 1m}", "key: {attribute: id, equals: a}",
                              "attributes_read: [ssn]"}) {
      INFO(extra);
      CHECK(lint(std::string("rules:\n  - id: r\n    when: {operation: GetItem, ") + extra +
                 "}\n    effect: deny\n").empty());
    }
  }
  SECTION("operation and scope mixed under any") {
    CHECK(lint("rules:\n  - id: r\n    when: {any: [{operation: Scan}, {table: t}]}\n    effect: deny\n").empty());
  }
  SECTION("a deny with no operation condition closes every route") {
    CHECK(lint("rules:\n  - id: r\n    when: {table: t, not: {source_ip: 10.0.0.0/8}}\n    effect: deny\n").empty());
  }
}

TEST_CASE("a deny that is only a limit does not cover the rest", "[rules][lint]") {
  const std::string m = only_warning(R"y(rules:
  - id: no-export
    when: {operation: ExportTableToPointInTime}
    effect: deny
  - id: limit-copies
    when: {operation: [EnableKinesisStreamingDestination, RestoreTableFromBackup, RestoreTableToPointInTime],
           request_bytes: {gt: 100}}
    effect: deny
)y");
  CHECK(left_open(m) == "EnableKinesisStreamingDestination, RestoreTableFromBackup, RestoreTableToPointInTime");
}

TEST_CASE("identical time windows count as the same scope", "[rules][lint]") {
  const std::string window = "time: {days: [sat, sun], hours: \"00:00-24:00\", zone: UTC}";
  CHECK(lint("rules:\n  - id: a\n    when: {operation: DeleteTable, " + window +
             "}\n    effect: deny\n  - id: b\n    when: {operation: UpdateTimeToLive, " + window +
             "}\n    effect: deny\n").empty());
  CHECK(lint("rules:\n  - id: a\n    when: {operation: DeleteTable, " + window +
             "}\n    effect: deny\n  - id: b\n    when: {operation: UpdateTimeToLive, time: {days: [sun]}}\n"
             "    effect: deny\n").size() == 2);  // each window misses some of the other's days
}

TEST_CASE("files are linted together, and a file that does not load gives errors", "[rules][lint]") {
  char dir_template[] = "/tmp/dynaudit-lint-XXXXXX";
  REQUIRE(::mkdtemp(dir_template) != nullptr);
  const std::filesystem::path dir = dir_template;
  const auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir / name) << text;
    return (dir / name).string();
  };
  const std::string a = write("a.yaml", "rules:\n  - id: no-delete-table\n    when: {operation: DeleteTable}\n"
                                        "    effect: deny\n");
  const std::string b = write("b.yaml", "rules:\n  - id: no-ttl\n    when: {operation: UpdateTimeToLive}\n"
                                        "    effect: deny\n");
  const ReachabilityLint alone = lint_rule_files({a});
  CHECK(alone.errors.empty());
  REQUIRE(alone.warnings.size() == 1);
  CHECK(format(alone.warnings[0]).starts_with(a + ":2: warning: rule 'no-delete-table'"));
  const ReachabilityLint both = lint_rule_files({a, b});
  CHECK(both.errors.empty());
  CHECK(both.warnings.empty());
  const ReachabilityLint missing = lint_rule_files({a, (dir / "nope.yaml").string()});
  CHECK(missing.errors.size() == 1);
  CHECK(missing.warnings.empty());
  std::filesystem::remove_all(dir);
}

TEST_CASE("every route names cataloged operations", "[rules][lint]") {
  const auto families = reach::path_families("t");
  REQUIRE(families.size() == 3);
  for (const auto& family : families) {
    CHECK_FALSE(family.paths.empty());
    for (const auto& path : family.paths) {
      INFO(path.label);
      CHECK_FALSE(path.calls.empty());
      for (const auto& call : path.calls) CHECK(call.operation < ddb::all_operations().size());
    }
  }
}
