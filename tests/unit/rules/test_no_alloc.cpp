// Steady-state evaluation allocates nothing: this test TU replaces the
// global operator new with a counting one and evaluates a realistic rule
// set many times after a warm-up call.
#include "rules_test_util.hpp"

#include <atomic>
#include <cstdlib>
#include <new>

namespace {
std::atomic<bool> g_counting{false};
std::atomic<long> g_allocations{0};
}  // namespace

// The replacement pairs malloc with free on purpose.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

void* operator new(std::size_t n) {
  if (g_counting.load(std::memory_order_relaxed)) g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return ::operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
// The nothrow forms too, so that every plain new/delete pair uses malloc/free
// (AddressSanitizer reports a mix of its own new with our delete).
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  if (g_counting.load(std::memory_order_relaxed)) g_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n ? n : 1);
}
void* operator new[](std::size_t n, const std::nothrow_t& t) noexcept { return ::operator new(n, t); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

using namespace rules_test;

TEST_CASE("steady-state evaluation does not allocate", "[rules][alloc]") {
  auto s = load(R"y(rules:
  - id: ops
    effect: deny
    when:
      operation: [Scan, Query, GetItem]
      table: ["cardholder-*", "ord[a-z]rs"]
      principal: "svc-*"
      not: {group: pci-batch}
      source_ip: ["10.0.0.0/8", "fd00::/8"]
      attributes: ["card.number", "items[*].sku"]
      key: {attribute: pk, prefix: "tenant#"}
      time: {days: [mon, tue, wed, thu, fri], hours: "09:00-17:00", zone: Europe/Berlin}
    alert: {channel: security}
    mask: [{path: card.number, method: partial, keep_last: 4}]
    tags: ["pci-dss:7.2", "pci-dss:10.2.1"]
    audit: full
  - id: also
    tags: ["pci-dss:7.2", "gdpr:art32"]
    when:
      any: [{operation_class: [scan-like, read]}, {partiql: "select * from *"}]
      key: {attribute: pk, equals: ["tenant#1", "tenant#42"], table: "ord*"}
      item_count: {lte: 100}
  - id: shadowed
    mode: shadow
    effect: deny
    when: {group: [analysts, ops]}
  - id: rate
    alert: {channel: ops}
    when:
      principal: "svc-*"
      rate: {calls: 0, per: 1m, by: principal_and_table}
  - id: late
    effect: deny
    when: {status: {gte: 500}, error_type: InternalServerError}
)y");
  Call c("GetItem", {"orders"});
  c.principal = "svc-billing";
  c.groups = {"ops", "analysts"};
  c.facts.attributes_read = {"card.number", "name"};
  c.facts.keys = {{"orders", "pk", "S", "tenant#42"}};
  c.facts.item_count = 1;
  c.ctx.time = utc(2024, 7, 15, 10, 0);  // Monday 12:00 in Berlin
  const RequestContext& ctx = c.context();
  RateState rates;
  Decision d;
  ResponseContext resp{500, "InternalServerError", 0, 0, 10};
  s->evaluate_request(ctx, rates, d);  // warm-up: vectors grow, rate key inserted
  s->evaluate_response(ctx, resp, rates, d);
  REQUIRE(d.effect == Effect::deny);
  REQUIRE(d.matched.size() == 4);
  REQUIRE(d.tags.size() == 3);

  g_allocations = 0;
  g_counting = true;
  for (int i = 0; i < 1000; ++i) {
    c.ctx.time = utc(2024, 7, 15, 10, 0) + std::chrono::milliseconds(i * 10);
    s->evaluate_request(ctx, rates, d);
    s->evaluate_response(ctx, resp, rates, d);
  }
  g_counting = false;
  CHECK(g_allocations.load() == 0);
  // The counter does see allocations (a positive control).
  g_counting = true;
  auto* probe = new std::string(64, 'x');
  g_counting = false;
  delete probe;
  CHECK(g_allocations.load() >= 1);
  CHECK(d.effect == Effect::deny);
  CHECK(d.determining->id == "ops");
  CHECK(d.shadow.size() == 1);
  CHECK(d.matched.size() == 4);
}
