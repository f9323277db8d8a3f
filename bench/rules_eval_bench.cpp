// rules_eval_bench: what rule evaluation costs per request, for rule sets of
// 10, 100 and 1,000 rules shaped like real policy (operations and classes,
// table globs, principals and groups, source CIDRs, attribute paths, key
// prefixes, item counts, a time window, tags, shadow rules), evaluated for
// a mix of realistic calls. Prints ns per request-phase evaluation; the
// target is 100 rules <= 2 us. See bench/README.md.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "ddb/request_facts.hpp"
#include "rules/rule_snapshot.hpp"

namespace {

using namespace dynaudit;
using Clock = std::chrono::steady_clock;

// Rule i of a generated set: a rotating mix of condition kinds. Most rules
// name tables the calls do not touch (as in a real multi-team policy), so
// evaluation mostly proves non-matches, which is the common path.
std::string rule_text(int i) {
  const std::string id = "r" + std::to_string(i);
  const std::string table = "team" + std::to_string(i % 37) + "-*";
  std::string when;
  switch (i % 8) {
    case 0: when = "{operation: [Scan, Query], table: \"" + table + "\", not: {group: admins}}"; break;
    case 1: when = "{operation_class: write, table: \"" + table + "\", source_ip: [\"10.0.0.0/8\", \"fd00::/8\"]}"; break;
    case 2: when = "{table: \"" + table + "\", attributes_read: [\"card.number\", \"ssn\", \"items[*].price\"]}"; break;
    case 3: when = "{principal: \"svc-" + std::to_string(i) + "-*\", table: \"" + table + "\"}"; break;
    case 4: when = "{key: {attribute: pk, prefix: \"tenant" + std::to_string(i) + "#\"}, operation_class: read}"; break;
    case 5: when = "{any: [{table: \"" + table + "\"}, {group: auditors-" + std::to_string(i) + "}], item_count: {gt: 50}}"; break;
    case 6: when = "{table: \"" + table + "\", time: {days: [sat, sun], hours: \"00:00-06:00\", zone: Europe/Berlin}}"; break;
    default: when = "{operation: ExecuteStatement, partiql: \"select * from *\", tls: false}"; break;
  }
  std::string text = "  - id: " + id + "\n    when: " + when + "\n";
  if (i % 10 == 9) text += "    mode: shadow\n";
  text += i % 3 == 0 ? "    effect: deny\n" : "    tags: [\"pci-dss:10.2." + std::to_string(i % 7) + "\"]\n";
  return text;
}

std::string rule_file(int n) {
  std::string text = "rules:\n";
  // One rule every call matches, so the decision has a tag and a match.
  text += "  - id: tag-all\n    when: {operation_class: [read, write]}\n    tags: [\"sox:itgc\"]\n";
  for (int i = 0; i < n - 1; ++i) text += rule_text(i);
  return text;
}

struct Call {
  const char* target;
  const char* body;
};

const Call kCalls[] = {
    {"DynamoDB_20120810.GetItem",
     R"({"TableName":"orders","Key":{"pk":{"S":"customer#42"},"sk":{"N":"7"}},"ProjectionExpression":"#s, total, items[0].sku","ExpressionAttributeNames":{"#s":"status"}})"},
    {"DynamoDB_20120810.PutItem",
     R"({"TableName":"orders","Item":{"pk":{"S":"customer#42"},"sk":{"N":"8"},"total":{"N":"12.5"},"status":{"S":"new"}}})"},
    {"DynamoDB_20120810.Query",
     R"({"TableName":"team3-orders","KeyConditionExpression":"pk = :p","ExpressionAttributeValues":{":p":{"S":"c"}},"Limit":100})"},
};

double ns_per_evaluation(const rules::RuleSnapshot& snapshot, const std::vector<ddb::RequestFacts>& facts,
                         long iterations) {
  const std::vector<std::string> groups = {"analysts", "oncall"};
  rules::RateState rates;
  rules::Decision decision;
  std::vector<rules::RequestContext> contexts;
  for (const auto& f : facts) {
    rules::RequestContext c;
    c.facts = &f;
    c.principal = "app-backend";
    c.groups = &groups;
    c.source = rules::parse_source_address("10.20.30.40");
    c.tls = true;
    c.verified = true;
    c.time = std::chrono::system_clock::now();
    contexts.push_back(c);
  }
  std::size_t sink = 0;
  for (long i = 0; i < 1000; ++i) snapshot.evaluate_request(contexts[i % contexts.size()], rates, decision);
  const auto start = Clock::now();
  for (long i = 0; i < iterations; ++i) {
    snapshot.evaluate_request(contexts[i % contexts.size()], rates, decision);
    sink += decision.matched.size();
  }
  const auto elapsed = std::chrono::duration<double, std::nano>(Clock::now() - start).count();
  if (sink == 0) std::fprintf(stderr, "no rule matched: the benchmark is not measuring the common path\n");
  return elapsed / static_cast<double>(iterations);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> sizes = {10, 100, 1000};
  int repeats = 5;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--repeats" && i + 1 < argc) repeats = std::max(1, std::atoi(argv[++i]));
    else {
      std::fprintf(stderr, "usage: rules_eval_bench [--repeats N]\n");
      return 2;
    }
  }
  std::vector<ddb::RequestFacts> facts;
  for (const auto& call : kCalls) facts.push_back(ddb::extract_request_facts(call.target, call.body).facts);

  std::printf("rules  ns/eval (median of %d)  min      max      us/eval\n", repeats);
  for (const int n : sizes) {
    const auto loaded = rules::RuleSnapshot::load_text(rule_file(n), "bench.yaml", {});
    if (!loaded.snapshot) {
      for (const auto& e : loaded.errors) std::fprintf(stderr, "%s\n", rules::format(e).c_str());
      return 1;
    }
    const long iterations = n <= 100 ? 2'000'000 : 200'000;
    std::vector<double> runs;
    for (int r = 0; r < repeats; ++r) runs.push_back(ns_per_evaluation(*loaded.snapshot, facts, iterations));
    std::sort(runs.begin(), runs.end());
    const double median = runs[runs.size() / 2];
    std::printf("%5d  %10.0f                %7.0f  %7.0f  %7.3f\n", n, median, runs.front(), runs.back(), median / 1000);
  }
  return 0;
}
