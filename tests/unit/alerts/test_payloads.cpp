// Pure parts of the alerts module: templates, URLs, payload formats.
#include <catch2/catch.hpp>
#include <simdjson.h>

#include "alerts/http_post.hpp"
#include "alerts/payloads.hpp"
#include "alerts/syslog_sender.hpp"
#include "test_support.hpp"

using namespace dynaudit::alerts;
using alerts_test::sample_alert;

namespace {

simdjson::dom::element parse(simdjson::dom::parser& parser, const std::string& text) {
  simdjson::dom::element doc;
  REQUIRE(parser.parse(text).get(doc) == simdjson::SUCCESS);
  return doc;
}

std::string str(simdjson::dom::element e, const char* key) {
  std::string_view v;
  REQUIRE(e[key].get(v) == simdjson::SUCCESS);
  return std::string(v);
}

}  // namespace

TEST_CASE("render_template fills every placeholder and keeps unknown ones", "[alerts][template]") {
  auto a = sample_alert("c");
  a.severity = "critical";
  a.decision = "deny";
  const std::string out = render_template(
      "{rule}|{principal}|{operation}|{table}|{tables}|{source_ip}|{decision}|{severity}|"
      "{event_id}|{unknown}|{}|{ unclosed",
      a);
  CHECK(out ==
        "scan-of-pii|arn:aws:iam::123456789012:user/alice|Scan|customers|customers,orders|"
        "10.0.0.7|deny|critical|ev-0001|{unknown}|{}|{ unclosed");
  a.tables.clear();
  CHECK(render_template("{table}/{tables}.", a) == "/.");
  CHECK(render_template("no placeholders", a) == "no placeholders");
}

TEST_CASE("parse_url: schemes, ports, IPv6 literals and targets", "[alerts][url]") {
  auto u = parse_url("https://hooks.slack.com/services/T0/B0/SECRET?x=1");
  REQUIRE(u);
  CHECK(u->https);
  CHECK(u->host == "hooks.slack.com");
  CHECK(u->port == 443);
  CHECK(u->target == "/services/T0/B0/SECRET?x=1");
  CHECK(u->endpoint() == "https://hooks.slack.com:443");

  u = parse_url("HTTP://127.0.0.1:8080");
  REQUIRE(u);
  CHECK_FALSE(u->https);
  CHECK(u->port == 8080);
  CHECK(u->target == "/");

  u = parse_url("http://[::1]:9000?q#frag");
  REQUIRE(u);
  CHECK(u->host == "::1");
  CHECK(u->port == 9000);
  CHECK(u->target == "/?q");
  CHECK(u->endpoint() == "http://[::1]:9000");

  std::string error;
  CHECK_FALSE(parse_url("ftp://x/", &error));
  CHECK(error.find("scheme") != std::string::npos);
  CHECK_FALSE(parse_url("http://user:pw@host/"));
  CHECK_FALSE(parse_url("http://host:0/"));
  CHECK_FALSE(parse_url("http://host:65536/"));
  CHECK_FALSE(parse_url("http://host:/"));
  CHECK_FALSE(parse_url("http:///path"));
  CHECK_FALSE(parse_url("http://[::1/"));
  CHECK_FALSE(parse_url("http://::1/"));
  CHECK_FALSE(parse_url("http://host/a b"));
  CHECK_FALSE(parse_url("http://host/a\r\nX: y"));
}

TEST_CASE("webhook JSON carries every field and escapes strings", "[alerts][payload]") {
  auto a = sample_alert("c");
  a.message = "quote \" backslash \\ newline \n tab \t ctl \x01 unicode \xC3\xA9\xE2\x9C\x93 bad \xFF";
  const std::string json = webhook_json(a);
  simdjson::dom::parser parser;
  auto doc = parse(parser, json);
  CHECK(str(doc, "source") == "dynaudit");
  CHECK(str(doc, "rule") == "scan-of-pii");
  CHECK(str(doc, "severity") == "high");
  CHECK(str(doc, "message") ==
        "quote \" backslash \\ newline \n tab \t ctl \x01 unicode \xC3\xA9\xE2\x9C\x93 bad \xEF\xBF\xBD");
  CHECK(str(doc, "time") == "2024-05-01T12:00:00.123Z");
  CHECK(str(doc, "eventId") == "ev-0001");
  CHECK(str(doc, "principal") == "arn:aws:iam::123456789012:user/alice");
  CHECK(str(doc, "operation") == "Scan");
  CHECK(str(doc, "sourceIp") == "10.0.0.7");
  CHECK(str(doc, "decision") == "allow");
  simdjson::dom::array tables;
  REQUIRE(doc["tables"].get(tables) == simdjson::SUCCESS);
  REQUIRE(tables.size() == 2);
  CHECK(std::string_view(tables.at(1)) == "orders");
  simdjson::dom::array tags;
  REQUIRE(doc["tags"].get(tags) == simdjson::SUCCESS);
  CHECK(tags.size() == 2);
  // Raw control characters never appear inside the text.
  CHECK(json.find('\n') == std::string::npos);
  CHECK(json.find('\x01') == std::string::npos);
  CHECK(json.find("\\u0001") != std::string::npos);
  CHECK(json_line(a) == json + "\n");
  // Field order is stable (receivers diff them).
  CHECK(json.rfind("{\"source\":\"dynaudit\",\"rule\":\"scan-of-pii\",\"severity\":\"high\",", 0) == 0);
}

TEST_CASE("Slack payload: text, mrkdwn section and context line", "[alerts][payload]") {
  auto a = sample_alert("c");
  a.message = "alice <script> & \"x\"";
  simdjson::dom::parser parser;
  const std::string json = slack_json(a);
  auto doc = parse(parser, json);
  CHECK(str(doc, "text") == "[HIGH] alice &lt;script&gt; &amp; \"x\"");
  simdjson::dom::array blocks;
  REQUIRE(doc["blocks"].get(blocks) == simdjson::SUCCESS);
  REQUIRE(blocks.size() == 2);
  CHECK(std::string_view(blocks.at(0)["type"]) == "section");
  CHECK(std::string_view(blocks.at(0)["text"]["type"]) == "mrkdwn");
  CHECK(std::string_view(blocks.at(0)["text"]["text"]) ==
        "*dynaudit alert* (HIGH)\nalice &lt;script&gt; &amp; \"x\"");
  CHECK(std::string_view(blocks.at(1)["type"]) == "context");
  CHECK(std::string_view(blocks.at(1)["elements"].at(0)["type"]) == "mrkdwn");
  CHECK(std::string_view(blocks.at(1)["elements"].at(0)["text"]) ==
        "rule `scan-of-pii` \xC2\xB7 high \xC2\xB7 arn:aws:iam::123456789012:user/alice \xC2\xB7 "
        "Scan \xC2\xB7 customers,orders \xC2\xB7 ev-0001");
}

TEST_CASE("Teams MessageCard: type, context, color by severity and facts", "[alerts][payload]") {
  auto a = sample_alert("c");
  a.severity = "critical";
  simdjson::dom::parser parser;
  auto doc = parse(parser, teams_json(a));
  CHECK(str(doc, "@type") == "MessageCard");
  CHECK(str(doc, "@context") == "https://schema.org/extensions");
  CHECK(str(doc, "summary") == "alice scanned customers");
  CHECK(str(doc, "themeColor") == "A4262C");
  CHECK(str(doc, "title") == "dynaudit alert: scan-of-pii (critical)");
  CHECK(str(doc, "text") == "alice scanned customers");
  simdjson::dom::array facts;
  REQUIRE(doc["sections"].at(0)["facts"].get(facts) == simdjson::SUCCESS);
  std::map<std::string, std::string> by_name;
  for (auto f : facts) by_name[std::string(std::string_view(f["name"]))] = std::string(std::string_view(f["value"]));
  CHECK(by_name["Rule"] == "scan-of-pii");
  CHECK(by_name["Principal"] == "arn:aws:iam::123456789012:user/alice");
  CHECK(by_name["Tables"] == "customers, orders");
  CHECK(by_name["Event ID"] == "ev-0001");
  CHECK(teams_theme_color("high") != teams_theme_color("low"));
  CHECK(teams_theme_color("whatever") == "808080");
}

TEST_CASE("RFC 5424 message: PRI, header, structured data escaping, BOM", "[alerts][payload][syslog]") {
  auto a = sample_alert("c");
  a.rule_id = "r\"1]\\";
  a.message = "line1\nline2";
  SyslogFields f;
  f.facility = 13;
  f.hostname = "host one";
  f.app_name = "dynaudit";
  f.procid = "42";
  const std::string msg = syslog_message(a, f);
  CHECK(msg ==
        "<107>1 2024-05-01T12:00:00.123Z host_one dynaudit 42 alert [dynaudit@32473 "
        "rule=\"r\\\"1\\]\\\\\" severity=\"high\" principal=\"arn:aws:iam::123456789012:user/alice\" "
        "operation=\"Scan\" eventId=\"ev-0001\"] \xEF\xBB\xBF"
        "line1 line2");
  CHECK(syslog_severity("critical") == 2);
  CHECK(syslog_severity("high") == 3);
  CHECK(syslog_severity("medium") == 4);
  CHECK(syslog_severity("low") == 5);
  CHECK(syslog_severity("info") == 6);
  a.severity = "info";
  a.event_id.clear();
  f.hostname.clear();
  f.procid.clear();
  f.facility = 1;
  const std::string nil = syslog_message(a, f);
  CHECK(nil.rfind("<14>1 2024-05-01T12:00:00.123Z - dynaudit - alert [", 0) == 0);
  CHECK(nil.find("eventId=\"\"]") != std::string::npos);
  CHECK(octet_counted("abc") == "3 abc");
  CHECK(octet_counted("\xC3\xA9") == "2 \xC3\xA9");  // octets, not characters
}
