// Syslog over UDP and TCP against real listeners, and the JSON-lines file.
#include <catch2/catch.hpp>
#include <simdjson.h>

#include "alerts/alert_dispatcher.hpp"
#include "alerts/syslog_sender.hpp"
#include "test_support.hpp"

using namespace dynaudit::alerts;
using namespace alerts_test;

namespace {

ChannelConfig syslog_channel(const std::string& name, ChannelKind kind, std::uint16_t port) {
  ChannelConfig c;
  c.name = name;
  c.kind = kind;
  c.host = "127.0.0.1";
  c.port = port;
  c.facility = 10;  // authpriv
  c.app_name = "dynaudit-test";
  c.initial_backoff = std::chrono::milliseconds{10};
  c.max_backoff = std::chrono::milliseconds{20};
  return c;
}

// Splits an RFC 6587 octet-counted stream; REQUIREs that every frame's
// length matches its bytes.
std::vector<std::string> split_octet_counted(const std::string& stream) {
  std::vector<std::string> out;
  std::size_t at = 0;
  while (at < stream.size()) {
    const auto space = stream.find(' ', at);
    REQUIRE(space != std::string::npos);
    const std::string digits = stream.substr(at, space - at);
    REQUIRE(!digits.empty());
    REQUIRE(digits.find_first_not_of("0123456789") == std::string::npos);
    const std::size_t length = std::stoul(digits);
    REQUIRE(space + 1 + length <= stream.size());
    out.push_back(stream.substr(space + 1, length));
    at = space + 1 + length;
  }
  return out;
}

void check_rfc5424(const std::string& msg, const std::string& pri, const std::string& rule,
                   const std::string& text) {
  INFO(msg);
  CHECK(msg.rfind("<" + pri + ">1 2024-05-01T12:00:00.123Z ", 0) == 0);
  CHECK(msg.find(" dynaudit-test " + std::to_string(::getpid()) + " alert [dynaudit@32473 rule=\"" +
                 rule + "\" severity=") != std::string::npos);
  CHECK(msg.find("eventId=\"ev-0001\"] \xEF\xBB\xBF" + text) != std::string::npos);
  CHECK(msg.size() == msg.find("\xEF\xBB\xBF") + 3 + text.size());
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

TEST_CASE("syslog over UDP: one RFC 5424 datagram per alert", "[alerts][syslog]") {
  SyslogReceiver receiver(false);
  AlertDispatcher d({syslog_channel("sys", ChannelKind::syslog_udp, receiver.port())});
  auto a = sample_alert("sys");
  a.severity = "critical";
  REQUIRE(d.submit(a));
  auto b = sample_alert("sys", "weird\"rule]");
  b.severity = "info";
  b.message = "caf\xC3\xA9";
  REQUIRE(d.submit(b));
  REQUIRE(receiver.wait_for_datagrams(2));
  const auto got = receiver.received();
  REQUIRE(got.size() == 2);
  check_rfc5424(got[0], "82", "scan-of-pii", "alice scanned customers");  // 10*8+2
  check_rfc5424(got[1], "86", "weird\\\"rule\\]", "caf\xC3\xA9");        // 10*8+6
  CHECK(wait_until([&] { return d.stats().at("sys").delivered == 2; }));
}

TEST_CASE("syslog over TCP: octet counting on one kept-open connection", "[alerts][syslog]") {
  SyslogReceiver receiver(true);
  AlertDispatcher d({syslog_channel("sys", ChannelKind::syslog_tcp, receiver.port())});
  auto a = sample_alert("sys");
  a.message = "multi\nline \"quoted\"";
  a.severity = "medium";
  for (int i = 0; i < 3; ++i) REQUIRE(d.submit(a));
  REQUIRE(wait_until([&] { return d.stats().at("sys").delivered == 3; }));
  std::vector<std::string> frames;
  REQUIRE(wait_until([&] {
    const auto got = receiver.received();
    return got.size() == 1 && split_octet_counted(got[0]).size() == 3;
  }));
  const auto got = receiver.received();
  CHECK(receiver.connections() == 1);
  frames = split_octet_counted(got.at(0));
  REQUIRE(frames.size() == 3);
  for (const auto& f : frames) check_rfc5424(f, "84", "scan-of-pii", "multi line \"quoted\"");
  // The length prefix counts octets of the message exactly.
  CHECK(got[0].rfind(std::to_string(frames[0].size()) + " <84>1 ", 0) == 0);
}

TEST_CASE("syslog over TCP: reconnects after the receiver closed the connection", "[alerts][syslog]") {
  SyslogReceiver receiver(true, /*close_after_first_read=*/true);
  AlertDispatcher d({syslog_channel("sys", ChannelKind::syslog_tcp, receiver.port())});
  REQUIRE(d.submit(sample_alert("sys")));
  REQUIRE(wait_until([&] { return receiver.received().size() == 1 && !receiver.received()[0].empty(); }));
  std::this_thread::sleep_for(100ms);  // the receiver has closed its end by now
  REQUIRE(d.submit(sample_alert("sys")));
  REQUIRE(wait_until([&] { return receiver.received().size() == 2 && !receiver.received()[1].empty(); }));
  const auto got = receiver.received();
  CHECK(split_octet_counted(got[0]).size() == 1);
  CHECK(split_octet_counted(got[1]).size() == 1);
  CHECK(receiver.connections() == 2);
  CHECK(wait_until([&] { return d.stats().at("sys").delivered == 2; }));
}

TEST_CASE("syslog sender to a dead TCP port fails and is retryable", "[alerts][syslog]") {
  SyslogSender sender(SyslogTransport::tcp, "127.0.0.1", dead_port(), 500ms);
  const auto r = sender.send("<14>1 - - - - - - x");
  CHECK_FALSE(r.ok);
  CHECK(r.retryable);
  CHECK(sender.endpoint().rfind("tcp://127.0.0.1:", 0) == 0);
}

TEST_CASE("file sink: JSON lines, and a new file after rotation", "[alerts][file]") {
  TempDir dir("file");
  const auto path = dir.path() / "alerts.jsonl";
  ChannelConfig c;
  c.name = "file";
  c.kind = ChannelKind::file;
  c.path = path.string();
  AlertDispatcher d({c});
  auto a = sample_alert("file");
  a.message = "first \"one\"\n";
  REQUIRE(d.submit(a));
  a.message = "second";
  REQUIRE(d.submit(a));
  REQUIRE(wait_until([&] { return d.stats().at("file").delivered == 2; }));
  auto lines = lines_of(read_file(path));
  REQUIRE(lines.size() == 2);
  CHECK(read_file(path).back() == '\n');
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  REQUIRE(parser.parse(lines[0]).get(doc) == simdjson::SUCCESS);
  CHECK(std::string_view(doc["message"]) == "first \"one\"\n");
  REQUIRE(parser.parse(lines[1]).get(doc) == simdjson::SUCCESS);
  CHECK(std::string_view(doc["message"]) == "second");

  const auto rotated = dir.path() / "alerts.jsonl.1";
  fs::rename(path, rotated);
  a.message = "third";
  REQUIRE(d.submit(a));
  REQUIRE(wait_until([&] { return d.stats().at("file").delivered == 3; }));
  CHECK(lines_of(read_file(rotated)).size() == 2);
  lines = lines_of(read_file(path));
  REQUIRE(lines.size() == 1);
  REQUIRE(parser.parse(lines[0]).get(doc) == simdjson::SUCCESS);
  CHECK(std::string_view(doc["message"]) == "third");

  fs::remove(path);  // deleted rather than renamed
  a.message = "fourth";
  REQUIRE(d.submit(a));
  REQUIRE(wait_until([&] { return d.stats().at("file").delivered == 4; }));
  CHECK(lines_of(read_file(path)).size() == 1);
}

TEST_CASE("file sink in a missing folder fails, counted and logged", "[alerts][file]") {
  TempDir dir("file-missing");
  ChannelConfig c;
  c.name = "file";
  c.kind = ChannelKind::file;
  c.path = (dir.path() / "no" / "such" / "alerts.jsonl").string();
  c.max_attempts = 2;
  c.initial_backoff = 1ms;
  LogSink log;
  AlertDispatcher d({c}, log.fn());
  REQUIRE(d.submit(sample_alert("file")));
  REQUIRE(wait_until([&] { return d.stats().at("file").failed == 1; }));
  CHECK(d.stats().at("file").retried == 1);
  d.stop();
  const auto lines = log.all();
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find("\"event\":\"alert_delivery_failed\"") != std::string::npos);
  CHECK(lines[0].find("\"attempts\":2") != std::string::npos);
  CHECK(lines[0].find("No such file or directory") != std::string::npos);
}
