// AlertDispatcher behaviour: unknown channels, the per-rule throttle and its
// suppressed-count suffix, and stop() with a dead sink.
#include <catch2/catch.hpp>
#include <simdjson.h>

#include "alerts/alert_dispatcher.hpp"
#include "test_support.hpp"

using namespace dynaudit::alerts;
using namespace alerts_test;

namespace {

ChannelConfig file_channel(const std::string& name, const fs::path& path) {
  ChannelConfig c;
  c.name = name;
  c.kind = ChannelKind::file;
  c.path = path.string();
  return c;
}

std::vector<std::string> messages_in(const fs::path& path) {
  std::vector<std::string> out;
  simdjson::dom::parser parser;
  for (const auto& line : lines_of(read_file(path))) {
    simdjson::dom::element doc;
    REQUIRE(parser.parse(line).get(doc) == simdjson::SUCCESS);
    out.emplace_back(std::string_view(doc["message"]));
  }
  return out;
}

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout = 5s) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

}  // namespace

TEST_CASE("unknown channels are refused and not counted", "[alerts][dispatcher]") {
  TempDir dir("unknown");
  AlertDispatcher d({file_channel("file", dir.path() / "a.jsonl")});
  CHECK(d.has_channel("file"));
  CHECK_FALSE(d.has_channel("nope"));
  CHECK_FALSE(d.submit(sample_alert("nope")));
  const auto stats = d.stats();
  CHECK(stats.size() == 1);
  CHECK(stats.at("file").submitted == 0);
}

TEST_CASE("throttle: 5 of 20 alerts of one rule pass, other rules unaffected", "[alerts][throttle]") {
  TempDir dir("throttle");
  LogSink log;
  AlertDispatcher d({file_channel("file", dir.path() / "a.jsonl")}, log.fn());
  auto noisy = sample_alert("file", "noisy");
  noisy.throttle_max = 5;
  noisy.throttle_window = std::chrono::seconds{60};
  std::size_t accepted = 0;
  for (int i = 0; i < 20; ++i) accepted += d.submit(noisy) ? 1 : 0;
  auto quiet = sample_alert("file", "quiet");
  quiet.throttle_max = 5;
  for (int i = 0; i < 3; ++i) CHECK(d.submit(quiet));
  CHECK(accepted == 5);
  REQUIRE(wait_until([&] { return d.stats().at("file").delivered == 8; }));
  const auto s = d.stats().at("file");
  CHECK(s.submitted == 23);
  CHECK(s.suppressed == 15);
  CHECK(s.dropped == 0);
  std::size_t suppressed_lines = 0;
  for (const auto& line : log.all()) {
    if (line.find("\"event\":\"alert_suppressed\"") == std::string::npos) continue;
    ++suppressed_lines;
    CHECK(line.find("\"rule\":\"noisy\"") != std::string::npos);
  }
  CHECK(suppressed_lines == 1);  // the first suppressed alert of the window only
}

TEST_CASE("throttle: the next window's first alert says how many were suppressed",
          "[alerts][throttle]") {
  TempDir dir("suffix");
  const auto path = dir.path() / "a.jsonl";
  AlertDispatcher d({file_channel("file", path)}, LogSink().fn());
  auto a = sample_alert("file", "r");
  a.throttle_max = 1;
  a.throttle_window = std::chrono::seconds{1};
  a.message = "m";
  CHECK(d.submit(a));
  CHECK_FALSE(d.submit(a));
  CHECK_FALSE(d.submit(a));
  std::this_thread::sleep_for(1'100ms);
  CHECK(d.submit(a));
  CHECK_FALSE(d.submit(a));
  std::this_thread::sleep_for(1'100ms);
  CHECK(d.submit(a));
  CHECK(d.submit(sample_alert("file", "other")));  // per rule: no suffix elsewhere
  REQUIRE(wait_until([&] { return d.stats().at("file").delivered == 4; }));
  const auto messages = messages_in(path);
  REQUIRE(messages.size() == 4);
  CHECK(messages[0] == "m");
  CHECK(messages[1] == "m (2 similar alerts suppressed)");
  CHECK(messages[2] == "m (1 similar alerts suppressed)");
  CHECK(messages[3] == "alice scanned customers");
  CHECK(d.stats().at("file").suppressed == 3);
}

TEST_CASE("stop() with a dead sink returns within grace and counts the rest as dropped",
          "[alerts][dispatcher][stop]") {
  TestHttpServer silent({200}, true);
  ChannelConfig c;
  c.name = "dead";
  c.kind = ChannelKind::webhook;
  c.url = silent.url("/x");
  c.timeout = std::chrono::milliseconds{10'000};
  LogSink log;
  AlertDispatcher d({c}, log.fn());
  for (int i = 0; i < 5; ++i) REQUIRE(d.submit(sample_alert("dead")));
  REQUIRE(wait_until([&] { return silent.connections() == 1; }));
  const auto start = std::chrono::steady_clock::now();
  d.stop(std::chrono::milliseconds{200});
  const auto took = std::chrono::steady_clock::now() - start;
  CHECK(took >= std::chrono::milliseconds{190});
  CHECK(took < std::chrono::milliseconds{500});
  const auto s = d.stats().at("dead");
  CHECK(s.delivered == 0);
  CHECK(s.failed == 0);
  CHECK(s.dropped == 5);  // one interrupted in flight, four still queued
  bool logged = false;
  for (const auto& line : log.all())
    logged |= line.find("\"reason\":\"stopped\",\"dropped\":5") != std::string::npos;
  CHECK(logged);
  d.stop();  // idempotent
  CHECK(d.stats().at("dead").dropped == 5);
}

TEST_CASE("stop() delivers what is queued when the sink is alive", "[alerts][dispatcher][stop]") {
  TempDir dir("drain");
  const auto path = dir.path() / "a.jsonl";
  AlertDispatcher d({file_channel("file", path)});
  auto a = sample_alert("file");
  a.throttle_max = 1'000;
  for (int i = 0; i < 200; ++i) REQUIRE(d.submit(a));
  d.stop(std::chrono::milliseconds{5'000});
  CHECK(d.stats().at("file").delivered == 200);
  CHECK(lines_of(read_file(path)).size() == 200);
}

TEST_CASE("drops during a long outage are reported at most once a second", "[alerts][dispatcher]") {
  TestHttpServer silent({200}, true);
  ChannelConfig c;
  c.name = "dead";
  c.kind = ChannelKind::webhook;
  c.url = silent.url("/x");
  c.queue_capacity = 1;
  c.timeout = std::chrono::milliseconds{10'000};
  LogSink log;
  AlertDispatcher d({c}, log.fn());
  auto a = sample_alert("dead");
  a.throttle_max = 1'000'000;
  const auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start < 1'300ms) {
    d.submit(a);
    std::this_thread::sleep_for(1ms);
  }
  std::size_t lines = 0;
  std::uint64_t reported = 0;
  simdjson::dom::parser parser;
  for (const auto& line : log.all()) {
    simdjson::dom::element doc;
    REQUIRE(parser.parse(line).get(doc) == simdjson::SUCCESS);
    if (std::string_view(doc["event"]) != "alerts_dropped") continue;
    ++lines;
    reported += std::uint64_t(doc["dropped"]);
  }
  CHECK(lines == 2);  // at 0 s and after 1 s
  const auto dropped = d.stats().at("dead").dropped;
  CHECK(reported <= dropped);
  CHECK(reported > 0);
  d.stop(std::chrono::milliseconds{0});
}
