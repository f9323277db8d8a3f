// The building blocks: globs, attribute paths, source addresses, time zones.
#include "rules_test_util.hpp"

#include <cstdlib>
#include <ctime>

#include "rules/compiled.hpp"
#include "rules/glob.hpp"
#include "rules/time_zone.hpp"

using namespace rules_test;

namespace {

bool glob(std::string_view pattern, std::string_view text, GlobOptions o = {}) {
  std::string error;
  auto g = Glob::compile(pattern, o, error);
  REQUIRE(g);
  return g->match(text);
}

bool bad_glob(std::string_view pattern) {
  std::string error;
  auto g = Glob::compile(pattern, {}, error);
  if (!g) CHECK(error == "bad glob '" + std::string(pattern) + "'");
  return !g;
}

bool path(std::string_view rule_path, std::string_view fact) {
  AttributePath p;
  REQUIRE(parse_attribute_path(rule_path, p));
  return attribute_path_matches(p, fact);
}

}  // namespace

TEST_CASE("glob matching", "[rules][glob]") {
  CHECK(glob("*", ""));
  CHECK(glob("*", "anything"));
  CHECK(glob("orders", "orders"));
  CHECK_FALSE(glob("orders", "orders2"));
  CHECK_FALSE(glob("orders", "order"));
  CHECK(glob("ord?rs", "orders"));
  CHECK_FALSE(glob("ord?rs", "ordrs"));
  CHECK(glob("a*b*c", "aXXbYYc"));
  CHECK(glob("*a*b", "xaxxb"));
  CHECK_FALSE(glob("*a*b", "xaxxbx"));
  CHECK(glob("a**b", "ab"));
  CHECK(glob("*-prod", "orders-prod"));
  CHECK_FALSE(glob("*-prod", "orders-prod-2"));
  CHECK(glob("[abc]x", "bx"));
  CHECK_FALSE(glob("[abc]x", "dx"));
  CHECK(glob("t[0-9][0-9]", "t42"));
  CHECK_FALSE(glob("t[0-9][0-9]", "t4x"));
  CHECK(glob("[!a]*", "bcd"));
  CHECK_FALSE(glob("[!a]*", "abc"));
  CHECK(glob("[-a]", "-"));
  CHECK(glob("a]", "a]"));
  CHECK_FALSE(glob("Orders", "orders"));
  CHECK(glob("Orders", "orders", {true, false}));
  CHECK(glob("[A-C]x", "bX", {true, false}));
  CHECK(glob("select * from t", "  SELECT\t*\n\nFROM  t  ", {true, true}));
  CHECK_FALSE(glob("select * from t", "SELECT * FROM tt", {true, true}));
  CHECK(glob("  a   b  ", "a b", {false, true}));
  CHECK(bad_glob("[abc"));
  CHECK(bad_glob("[]"));
  CHECK(bad_glob("[!]"));
  CHECK(bad_glob("x[z-a]"));
  // No exponential blow-up on hostile patterns.
  CHECK_FALSE(glob("*a*a*a*a*a*a*a*a*a*a*b", std::string(5000, 'a')));
}

TEST_CASE("attribute paths", "[rules][paths]") {
  CHECK(path("card", "card"));
  CHECK(path("card", "card.number"));
  CHECK(path("card.number", "card"));
  CHECK_FALSE(path("card.number", "cards"));
  CHECK_FALSE(path("card", "cardholder"));
  CHECK(path("a[0].b", "a[0].b.c"));
  CHECK_FALSE(path("a[0].b", "a[1].b"));
  CHECK(path("a[*].b", "a[17].b"));
  CHECK(path("a[0].b", "a[*].b"));
  CHECK_FALSE(path("a.b", "a[0].b"));
  CHECK_FALSE(path("a", ""));
  CHECK(path("a[2][3]", "a[2][3].x"));
  AttributePath p;
  CHECK(parse_attribute_path("m.#weird name!", p));
  CHECK(p.size() == 2);
  for (const char* bad : {"", "a..b", "a[x]", "a[", ".a", "a.", "a[]", "[0]", "a]b", "a[-1]"}) {
    INFO(bad);
    CHECK_FALSE(parse_attribute_path(bad, p));
  }
}

TEST_CASE("source addresses", "[rules][address]") {
  auto v4 = parse_source_address("192.168.1.7");
  REQUIRE(v4.valid);
  CHECK(v4.bytes[10] == 0xFF);
  CHECK(v4.bytes[11] == 0xFF);
  CHECK(v4.bytes[12] == 192);
  CHECK(v4.bytes[15] == 7);
  auto mapped = parse_source_address("::ffff:192.168.1.7");
  CHECK(mapped.bytes == v4.bytes);
  auto v6 = parse_source_address("fd00::1");
  REQUIRE(v6.valid);
  CHECK(v6.bytes[0] == 0xfd);
  CHECK(v6.bytes[15] == 1);
  CHECK_FALSE(parse_source_address("").valid);
  CHECK_FALSE(parse_source_address("1.2.3").valid);
  CHECK_FALSE(parse_source_address("10.0.0.1:443").valid);
  CHECK_FALSE(parse_source_address(std::string(100, '1')).valid);
}

TEST_CASE("format(LoadError)", "[rules][loader]") {
  CHECK(format(LoadError{"a.yaml", 3, 7, "boom"}) == "a.yaml:3:7: boom");
  CHECK(format(LoadError{"a.yaml", 3, 0, "boom"}) == "a.yaml:3: boom");
  CHECK(format(LoadError{"a.yaml", 0, 0, "boom"}) == "a.yaml: boom");
}

TEST_CASE("POSIX TZ strings", "[rules][tz]") {
  auto berlin = TimeZone::parse_posix("CET-1CEST,M3.5.0,M10.5.0/3");
  REQUIRE(berlin);
  CHECK(berlin->std_offset == 3600);
  CHECK(berlin->dst_offset == 7200);
  CHECK(berlin->start.month == 3);
  CHECK(berlin->start.week == 5);
  CHECK(berlin->start.time == 7200);
  CHECK(berlin->end.time == 10800);
  auto ny = TimeZone::parse_posix("EST5EDT,M3.2.0,M11.1.0");
  REQUIRE(ny);
  CHECK(ny->std_offset == -18000);
  CHECK(ny->dst_offset == -14400);
  auto fixed = TimeZone::parse_posix("<+0530>-5:30");
  REQUIRE(fixed);
  CHECK(fixed->std_offset == 19800);
  CHECK_FALSE(fixed->has_dst);
  CHECK(TimeZone::parse_posix("<-03>3<-02>,M3.5.0/-2,M10.5.0/-1"));
  CHECK(TimeZone::parse_posix("XXX3YYY,J60/25,300"));
  CHECK_FALSE(TimeZone::parse_posix(""));
  CHECK_FALSE(TimeZone::parse_posix("CET"));
  CHECK_FALSE(TimeZone::parse_posix("CET-1CEST,M13.5.0,M10.5.0"));
  std::string error;
  CHECK_FALSE(TimeZone::parse_tzif("TZif2 garbage", error));
  CHECK_FALSE(TimeZone::parse_tzif(std::string(44, '\0'), error));
}

TEST_CASE("zone offsets agree with the C library, including after the last transition", "[rules][tz]") {
  // glibc reads the same files; 1970..2200 covers the transition table and
  // the POSIX footer beyond it.
  for (const char* name : {"Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "UTC"}) {
    INFO(name);
    std::string error;
    auto zone = TimeZone::load(name, error);
    INFO(error);
    REQUIRE(zone);
    ::setenv("TZ", name, 1);
    ::tzset();
    int mismatches = 0;
    for (std::int64_t t = 0; t < 7258118400LL; t += 86400LL * 7 + 3607) {  // to 2200, drifting through the day
      const std::time_t tt = static_cast<std::time_t>(t);
      std::tm tm{};
      ::localtime_r(&tt, &tm);
      if (zone->offset_at(t) != tm.tm_gmtoff) ++mismatches;
    }
    CHECK(mismatches == 0);
  }
  ::unsetenv("TZ");
  ::tzset();
}

TEST_CASE("DST changes at the exact instant (footer rules)", "[rules][tz]") {
  std::string error;
  auto berlin = TimeZone::load("Europe/Berlin", error);
  REQUIRE(berlin);
  using namespace std::chrono;
  auto secs = [](system_clock::time_point tp) { return duration_cast<seconds>(tp.time_since_epoch()).count(); };
  // 2100: last Sunday of March is the 28th; the switch is at 01:00 UTC.
  CHECK(berlin->offset_at(secs(utc(2100, 3, 28, 0, 59, 59))) == 3600);
  CHECK(berlin->offset_at(secs(utc(2100, 3, 28, 1, 0, 0))) == 7200);
  // Last Sunday of October 2100 is the 31st; back at 01:00 UTC.
  CHECK(berlin->offset_at(secs(utc(2100, 10, 31, 0, 59, 59))) == 7200);
  CHECK(berlin->offset_at(secs(utc(2100, 10, 31, 1, 0, 0))) == 3600);
  auto sydney = TimeZone::load("Australia/Sydney", error);
  REQUIRE(sydney);
  CHECK(sydney->offset_at(secs(utc(2100, 1, 15, 0, 0))) == 11 * 3600);  // summer in January
  CHECK(sydney->offset_at(secs(utc(2100, 7, 15, 0, 0))) == 10 * 3600);
  CHECK_FALSE(TimeZone::load("Nowhere/Atlantis", error));
  CHECK(error == "unknown time zone 'Nowhere/Atlantis'");
  CHECK_FALSE(TimeZone::load("/etc/passwd", error));
}
