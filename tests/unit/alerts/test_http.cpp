// Webhook, Slack and Teams channels against a real HTTP/1.1 server, HTTPS
// with a test CA, retries by status, and dead endpoints.
#include <catch2/catch.hpp>
#include <simdjson.h>

#include "alerts/alert_dispatcher.hpp"
#include "alerts/http_post.hpp"
#include "test_support.hpp"

using namespace dynaudit::alerts;
using namespace alerts_test;

namespace {

ChannelConfig http_channel(const std::string& name, ChannelKind kind, const std::string& url) {
  ChannelConfig c;
  c.name = name;
  c.kind = kind;
  c.url = url;
  c.timeout = std::chrono::milliseconds{2'000};
  c.initial_backoff = std::chrono::milliseconds{10};
  c.max_backoff = std::chrono::milliseconds{40};
  return c;
}

// Stats once `done` holds (the delivery thread counts after the server saw
// the request), or the last ones after `timeout`.
ChannelStats wait_stats(const AlertDispatcher& d, const std::string& name,
                        const std::function<bool(const ChannelStats&)>& done,
                        std::chrono::milliseconds timeout = std::chrono::milliseconds{5'000}) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto s = d.stats().at(name);
    if (done(s) || std::chrono::steady_clock::now() > until) return s;
    std::this_thread::sleep_for(std::chrono::milliseconds{5});
  }
}

bool finished(const ChannelStats& s) { return s.delivered + s.failed >= 1; }

}  // namespace

TEST_CASE("webhook: POST with headers and the JSON alert", "[alerts][http]") {
  TestHttpServer server;
  auto cfg = http_channel("hook", ChannelKind::webhook, server.url("/in/T0KEN?sig=abc"));
  cfg.headers = {{"X-Api-Key", "k-123"}, {"Authorization", "Bearer t"}};
  AlertDispatcher d({cfg});
  auto a = sample_alert("hook");
  a.message = "he said \"hi\"\nthen left \xE2\x9C\x93";
  REQUIRE(d.submit(a));
  REQUIRE(server.wait_for(1));
  const auto s = wait_stats(d, "hook", finished);
  CHECK(s.delivered == 1);
  CHECK(s.submitted == 1);
  CHECK(s.failed == 0);

  const auto req = server.requests().at(0);
  CHECK(req.method == "POST");
  CHECK(req.target == "/in/T0KEN?sig=abc");
  CHECK(req.version == "HTTP/1.1");
  CHECK(req.headers.at("host") == "127.0.0.1:" + std::to_string(server.port()));
  CHECK(req.headers.at("content-type") == "application/json");
  CHECK(req.headers.at("content-length") == std::to_string(req.body.size()));
  CHECK(req.headers.at("user-agent") == "dynaudit-alerts");
  CHECK(req.headers.at("connection") == "close");
  CHECK(req.headers.at("x-api-key") == "k-123");
  CHECK(req.headers.at("authorization") == "Bearer t");

  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  REQUIRE(parser.parse(req.body).get(doc) == simdjson::SUCCESS);
  CHECK(std::string_view(doc["message"]) == "he said \"hi\"\nthen left \xE2\x9C\x93");
  CHECK(std::string_view(doc["rule"]) == "scan-of-pii");
  CHECK(std::string_view(doc["eventId"]) == "ev-0001");
  CHECK(std::string_view(doc["tables"].at(0)) == "customers");
  CHECK(req.body.find("\\\"hi\\\"") != std::string::npos);
  CHECK(req.body.find("\\n") != std::string::npos);
}

TEST_CASE("slack and teams channels post their own payloads", "[alerts][http]") {
  TestHttpServer slack, teams;
  AlertDispatcher d({http_channel("slack", ChannelKind::slack, slack.url("/services/T/B/S")),
                     http_channel("teams", ChannelKind::teams, teams.url("/webhookb2/x"))});
  REQUIRE(d.submit(sample_alert("slack")));
  REQUIRE(d.submit(sample_alert("teams")));
  REQUIRE(slack.wait_for(1));
  REQUIRE(teams.wait_for(1));
  simdjson::dom::parser parser;
  simdjson::dom::element doc;

  const auto s = slack.requests().at(0);
  CHECK(s.target == "/services/T/B/S");
  CHECK(s.headers.at("content-type") == "application/json");
  REQUIRE(parser.parse(s.body).get(doc) == simdjson::SUCCESS);
  CHECK(std::string_view(doc["text"]) == "[HIGH] alice scanned customers");
  CHECK(std::string_view(doc["blocks"].at(1)["type"]) == "context");

  const auto t = teams.requests().at(0);
  CHECK(t.target == "/webhookb2/x");
  REQUIRE(parser.parse(t.body).get(doc) == simdjson::SUCCESS);
  CHECK(std::string_view(doc["@type"]) == "MessageCard");
  CHECK(std::string_view(doc["themeColor"]) == "D83B01");
  CHECK(wait_stats(d, "slack", finished).delivered == 1);
  CHECK(wait_stats(d, "teams", finished).delivered == 1);
}

TEST_CASE("https webhook: verified with ca_file, refused without it or for a wrong name",
          "[alerts][http][tls]") {
  TestPki pki;
  REQUIRE(pki.ok());
  SSL_CTX* good = pki.server_context("server.pem");
  SSL_CTX* wrong = pki.server_context("wrong_name.pem");
  {
    TestHttpServer server({200}, false, good);
    const std::string port = std::to_string(server.port());
    auto by_ip = http_channel("ip", ChannelKind::webhook, "https://127.0.0.1:" + port + "/tls");
    by_ip.ca_file = pki.ca();
    auto by_name = http_channel("name", ChannelKind::webhook, "https://localhost:" + port + "/tls");
    by_name.ca_file = pki.ca();
    auto untrusted = http_channel("untrusted", ChannelKind::webhook, "https://127.0.0.1:" + port + "/tls");
    LogSink log;
    AlertDispatcher d({by_ip, by_name, untrusted}, log.fn());
    REQUIRE(d.submit(sample_alert("ip")));
    REQUIRE(d.submit(sample_alert("name")));
    REQUIRE(d.submit(sample_alert("untrusted")));
    const auto ip = wait_stats(d, "ip", finished);
    const auto name = wait_stats(d, "name", finished);
    const auto bad = wait_stats(d, "untrusted", finished);
    CHECK(ip.delivered == 1);
    CHECK(name.delivered == 1);
    CHECK(bad.delivered == 0);
    CHECK(bad.failed == 1);
    CHECK(bad.retried == 0);  // a trust failure is not retried
    CHECK(server.requests().size() == 2);
    CHECK(server.requests().at(0).target == "/tls");
    bool logged = false;
    for (const auto& line : log.all()) {
      if (line.find("\"event\":\"alert_delivery_failed\"") == std::string::npos) continue;
      logged = true;
      CHECK(line.find("\"channel\":\"untrusted\"") != std::string::npos);
      CHECK(line.find("\"endpoint\":\"https://127.0.0.1:" + port + "\"") != std::string::npos);
      CHECK(line.find("certificate verify failed") != std::string::npos);
      CHECK(line.find("/tls") == std::string::npos);
    }
    CHECK(logged);
  }
  {
    TestHttpServer server({200}, false, wrong);
    auto c = http_channel("wrong", ChannelKind::webhook,
                          "https://127.0.0.1:" + std::to_string(server.port()) + "/tls");
    c.ca_file = pki.ca();
    AlertDispatcher d({c}, LogSink().fn());
    REQUIRE(d.submit(sample_alert("wrong")));
    const auto s = wait_stats(d, "wrong", finished);
    CHECK(s.failed == 1);
    CHECK(s.delivered == 0);
    CHECK(server.requests().empty());
  }
  SSL_CTX_free(good);
  SSL_CTX_free(wrong);
}

TEST_CASE("http_post: status classes", "[alerts][http]") {
  TestHttpServer server({204, 429, 503, 404});
  const auto ok = http_post(server.url(), "{}", {}, std::chrono::milliseconds{2'000});
  CHECK(ok.ok);
  CHECK(ok.status == 204);
  const auto limited = http_post(server.url(), "{}", {}, std::chrono::milliseconds{2'000});
  CHECK_FALSE(limited.ok);
  CHECK(limited.status == 429);
  CHECK(limited.retryable);
  const auto unavailable = http_post(server.url(), "{}", {}, std::chrono::milliseconds{2'000});
  CHECK(unavailable.status == 503);
  CHECK(unavailable.retryable);
  const auto missing = http_post(server.url(), "{}", {}, std::chrono::milliseconds{2'000});
  CHECK(missing.status == 404);
  CHECK_FALSE(missing.retryable);
  const auto refused = http_post("http://127.0.0.1:" + std::to_string(dead_port()) + "/x", "{}",
                                 {}, std::chrono::milliseconds{2'000});
  CHECK_FALSE(refused.ok);
  CHECK(refused.status == 0);
  CHECK(refused.retryable);
  CHECK(refused.error.find("connect") != std::string::npos);
  const auto injected = http_post(server.url(), "{}", {{"X-A", "v\r\nX-B: w"}},
                                  std::chrono::milliseconds{2'000});
  CHECK_FALSE(injected.ok);
  CHECK_FALSE(injected.retryable);
  CHECK(server.requests().size() == 4);
}

TEST_CASE("http_post: a silent server times out within the timeout", "[alerts][http]") {
  TestHttpServer silent({200}, true);
  const auto start = std::chrono::steady_clock::now();
  const auto r = http_post(silent.url(), "{}", {}, std::chrono::milliseconds{300});
  const auto took = std::chrono::steady_clock::now() - start;
  CHECK_FALSE(r.ok);
  CHECK(r.retryable);
  CHECK(r.error.find("timed out") != std::string::npos);
  CHECK(took >= std::chrono::milliseconds{290});
  CHECK(took < std::chrono::milliseconds{1'500});
}

TEST_CASE("retries: 500 twice then 200 is delivered after two retries", "[alerts][http][retry]") {
  TestHttpServer server({500, 500, 200});
  AlertDispatcher d({http_channel("hook", ChannelKind::webhook, server.url())});
  REQUIRE(d.submit(sample_alert("hook")));
  const auto s = wait_stats(d, "hook", finished);
  CHECK(s.delivered == 1);
  CHECK(s.retried == 2);
  CHECK(s.failed == 0);
  CHECK(server.requests().size() == 3);
}

TEST_CASE("retries: 400 fails at once, 503 gives up after max_attempts", "[alerts][http][retry]") {
  TestHttpServer bad_request({400});
  TestHttpServer down({503});
  auto a = http_channel("bad", ChannelKind::webhook, bad_request.url("/secret-path"));
  auto b = http_channel("down", ChannelKind::webhook, down.url());
  b.max_attempts = 3;
  LogSink log;
  AlertDispatcher d({a, b}, log.fn());
  REQUIRE(d.submit(sample_alert("bad")));
  REQUIRE(d.submit(sample_alert("down")));
  const auto sa = wait_stats(d, "bad", finished);
  CHECK(sa.failed == 1);
  CHECK(sa.retried == 0);
  CHECK(sa.delivered == 0);
  CHECK(bad_request.requests().size() == 1);
  const auto sb = wait_stats(d, "down", finished);
  CHECK(sb.failed == 1);
  CHECK(sb.retried == 2);
  CHECK(down.requests().size() == 3);
  d.stop();
  std::size_t failures = 0;
  for (const auto& line : log.all()) {
    if (line.find("alert_delivery_failed") == std::string::npos) continue;
    ++failures;
    CHECK(line.find("secret-path") == std::string::npos);
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    REQUIRE(parser.parse(line).get(doc) == simdjson::SUCCESS);
    const std::string channel{std::string_view(doc["channel"])};
    CHECK(std::int64_t(doc["attempts"]) == (channel == "bad" ? 1 : 3));
    CHECK(std::string_view(doc["error"]) == (channel == "bad" ? "HTTP status 400" : "HTTP status 503"));
    CHECK(std::string_view(doc["endpoint"]).rfind("http://127.0.0.1:", 0) == 0);
  }
  CHECK(failures == 2);
}

TEST_CASE("dead webhooks never slow submit(), and a full queue drops and counts", "[alerts][http][dead]") {
  TestHttpServer silent({200}, true);
  for (const bool listening : {false, true}) {
    INFO((listening ? "accepts but never answers" : "nothing listening"));
    const std::string url = listening ? silent.url("/hook/SECRET")
                                      : "http://127.0.0.1:" + std::to_string(dead_port()) + "/hook/SECRET";
    auto c = http_channel("dead", ChannelKind::webhook, url);
    c.queue_capacity = 100;
    c.timeout = std::chrono::milliseconds{5'000};
    LogSink log;
    AlertDispatcher d({c}, log.fn());
    auto a = sample_alert("dead");
    a.throttle_max = 1'000'000;
    std::size_t accepted = 0;
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 1'000; ++i) accepted += d.submit(a) ? 1 : 0;
    const auto took = std::chrono::steady_clock::now() - start;
    CHECK(took < std::chrono::milliseconds{50});
    const auto s = d.stats().at("dead");
    CHECK(s.submitted == 1'000);
    CHECK(accepted <= 101);  // the queue, plus one the thread already took
    CHECK(accepted >= 100);
    CHECK(s.dropped == 1'000 - accepted);
    CHECK(s.delivered == 0);
    // Rate limited: one line for the burst, saying how many.
    std::size_t drop_lines = 0;
    for (const auto& line : log.all()) {
      if (line.find("\"event\":\"alerts_dropped\"") == std::string::npos) continue;
      ++drop_lines;
      CHECK(line.find("\"reason\":\"queue_full\"") != std::string::npos);
      CHECK(line.find("SECRET") == std::string::npos);
    }
    CHECK(drop_lines == 1);
    const auto stop_start = std::chrono::steady_clock::now();
    d.stop(std::chrono::milliseconds{100});
    CHECK(std::chrono::steady_clock::now() - stop_start < std::chrono::milliseconds{600});
    const auto after = d.stats().at("dead");
    CHECK(after.dropped + after.failed == 1'000);
    CHECK_FALSE(d.submit(a));  // stopped
  }
}

namespace {

// Answers every request on a connection until `answers_per_connection`
// have been given, then closes it without saying so first (as a server
// ending an idle keep-alive connection does); counts connections.
class KeepAliveServer {
 public:
  explicit KeepAliveServer(int answers_per_connection) : per_connection_(answers_per_connection) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(fd_, 8) == 0);
    socklen_t length = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &length);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~KeepAliveServer() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/"; }
  int connections() const { return connections_; }
  int requests() const { return requests_; }

 private:
  void run() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      const int conn = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (conn < 0) continue;
      ++connections_;
      timeval timeout{2, 0};
      ::setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
      std::string data;
      for (int answered = 0; answered < per_connection_ && !stop_;) {
        char buf[4096];
        const auto head_end = data.find("\r\n\r\n");
        if (head_end == std::string::npos) {
          const ssize_t n = ::recv(conn, buf, sizeof buf, 0);
          if (n <= 0) break;
          data.append(buf, static_cast<std::size_t>(n));
          continue;
        }
        const auto length_at = data.find("Content-Length: ");
        const std::size_t length = std::stoul(data.substr(length_at + 16));
        if (data.size() < head_end + 4 + length) {
          const ssize_t n = ::recv(conn, buf, sizeof buf, 0);
          if (n <= 0) break;
          data.append(buf, static_cast<std::size_t>(n));
          continue;
        }
        data.erase(0, head_end + 4 + length);
        ++requests_;
        ++answered;
        const std::string answer = "HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\nanswer" + std::to_string(requests_ % 10);
        ::send(conn, answer.data(), answer.size(), MSG_NOSIGNAL);
      }
      ::close(conn);
    }
  }
  int per_connection_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::atomic<int> requests_{0};
  std::thread thread_;
};

}  // namespace

TEST_CASE("keep-alive: requests to one endpoint share a connection; one the server closed is replaced",
          "[alerts][http][keepalive]") {
  using namespace std::chrono_literals;
  SECTION("the server keeps it open: one connection for three requests, each answer read whole") {
    KeepAliveServer server(100);
    HttpClient client;
    client.keep_alive(true);
    const auto url = parse_url(server.url());
    REQUIRE(url);
    for (int i = 1; i <= 3; ++i) {
      const auto r = client.post(*url, "{}", {}, 2s);
      REQUIRE(r.ok);
      CHECK(r.body == "answer" + std::to_string(i));
    }
    CHECK(server.connections() == 1);
  }
  SECTION("the server drops it after each answer: the next request goes again on a new one, not lost") {
    KeepAliveServer server(1);
    HttpClient client;
    client.keep_alive(true);
    const auto url = parse_url(server.url());
    REQUIRE(url);
    for (int i = 1; i <= 3; ++i) {
      std::this_thread::sleep_for(50ms);  // let the close arrive first
      const auto r = client.post(*url, "{}", {}, 2s);
      REQUIRE(r.ok);
      CHECK(r.body == "answer" + std::to_string(i));
    }
    CHECK(server.connections() == 3);
    CHECK(server.requests() == 3);
  }
  SECTION("without keep-alive every request has its own connection") {
    KeepAliveServer server(100);
    HttpClient client;
    const auto url = parse_url(server.url());
    REQUIRE(url);
    CHECK(client.post(*url, "{}", {}, 2s).ok);
    CHECK(client.post(*url, "{}", {}, 2s).ok);
    CHECK(server.connections() == 2);
  }
}
