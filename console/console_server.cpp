// The console's HTTP listener and routes (console_server.hpp).
#include "console/console_server.hpp"

#include <boost/asio/signal_set.hpp>

#include <algorithm>
#include <chrono>
#include <map>

#include <simdjson.h>

#include "console/console_pages.hpp"
#include "console/console_sessions.hpp"
#include "console/login_throttle.hpp"
#include "console/search_form.hpp"
#include "proxy/log/request_log.hpp"
#include "proxy/net/admin_scan_request.hpp"
#include "proxy/net/http_fetch.hpp"
#include "storage/console_record.hpp"
#include "storage/witness_file.hpp"
#include "proxy/net/asio.hpp"
#include "proxy/net/listen_port.hpp"
#include "proxy/net/tls_contexts.hpp"
#include "storage/audit_reader.hpp"

// The false -Wmismatched-new-delete of g++ 12 on Asio coroutine frames
// (see proxy/pipeline/request_handler.cpp).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace dynaudit::console {
namespace {

using proxy::HttpRequest;
using proxy::HttpResponse;
namespace http = proxy::http;
namespace beast = proxy::beast;
namespace asio = proxy::asio;
using proxy::tcp;

constexpr std::string_view kSessionCookie = "dynaudit_session";
constexpr std::string_view kLoginCookie = "dynaudit_login";

std::string_view header(const HttpRequest& request, http::field name) {
  const auto value = request[name];
  return {value.data(), value.size()};
}

// The value of one cookie in the Cookie header ("" when absent).
std::string cookie(const HttpRequest& request, std::string_view name) {
  std::string_view all = header(request, http::field::cookie);
  while (!all.empty()) {
    const auto semi = all.find(';');
    std::string_view pair = all.substr(0, semi);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    if (pair.size() > name.size() && pair.starts_with(name) && pair[name.size()] == '=')
      return std::string(pair.substr(name.size() + 1));
    if (semi == std::string_view::npos) break;
    all.remove_prefix(semi + 1);
  }
  return {};
}

void log_line(std::string_view level, std::string_view message, const std::string& fields) {
  proxy::write_log_line(proxy::format_log_line(level, message, fields));
}

std::string json_text(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\', out += c;
    else if (static_cast<unsigned char>(c) < 0x20) out += ' ';
    else out += c;
  }
  return out + "\"";
}

}  // namespace

struct ConsoleServer::Impl {
  ConsoleOptions options;
  Users users;
  Sessions sessions;
  LoginThrottle throttle;
  std::unique_ptr<storage::AuditReader> reader;
  asio::io_context ioc{1};
  std::shared_ptr<asio::ssl::context> tls;  // null: plain HTTP (loopback only)
  tcp::acceptor acceptor{ioc};
  std::uint16_t port = 0;

  Impl(ConsoleOptions o, Users u)
      : options(std::move(o)), users(std::move(u)), sessions(options.session_lifetime),
        throttle(options.max_login_failures, options.login_window) {}

  HttpResponse answer(const HttpRequest& request, const std::string& peer);
  HttpResponse page(const HttpRequest& request, http::status status, std::string body,
                    std::string_view type = "text/html; charset=utf-8");
  HttpResponse redirect(const HttpRequest& request, std::string_view to);
  std::optional<Session> session_of(const HttpRequest& request);
  HttpResponse login(const HttpRequest& request, const std::string& peer);
  HttpResponse login_form(const HttpRequest& request, std::string_view problem, http::status status);
  HttpResponse search(const HttpRequest& request, const Session& session, std::string_view query);
  HttpResponse record(const HttpRequest& request, const Session& session, std::string_view event_id);
  HttpResponse overview(const HttpRequest& request, const Session& session);
  // The newest records of a query (newest_first, bounded).
  std::vector<storage::AuditEvent> newest(storage::AuditQuery q, std::size_t limit, std::string& error);
  HttpResponse reveal(const HttpRequest& request, const Session& session, std::string_view event_id,
                      const std::string& peer);
  // Has serve record the action in the chain; the new record's eventID, or
  // nullopt (logged) when it could not.
  std::optional<std::string> record_action(const storage::ConsoleAction& action);
  asio::awaitable<void> serve_connection(tcp::socket socket);
  template <typename Stream>
  asio::awaitable<void> serve_stream(Stream& stream, std::string peer);
  // /tail/events: server-sent events, one per record committed from now on,
  // for as long as the session lives and the browser listens.
  template <typename Stream>
  asio::awaitable<void> stream_tail(Stream& stream, std::string session_id);
  // Cookie attributes: Secure over HTTPS.
  std::string cookie_attributes(std::string_view path) const {
    return "; Path=" + std::string(path) + "; HttpOnly; SameSite=Strict" + (tls ? "; Secure" : "");
  }
  asio::awaitable<void> accept_loop();
};

HttpResponse ConsoleServer::Impl::page(const HttpRequest& request, http::status status, std::string body,
                                       std::string_view type) {
  HttpResponse response{status, request.version()};
  response.set(http::field::content_type, beast::string_view(type.data(), type.size()));
  // Nothing but the console's own stylesheet; no script, no frame, no
  // form posting elsewhere.
  response.set("Content-Security-Policy",
               "default-src 'none'; style-src 'self'; img-src 'self'; script-src 'self'; connect-src 'self'; "
               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
  response.set("X-Content-Type-Options", "nosniff");
  response.set("X-Frame-Options", "DENY");
  response.set("Referrer-Policy", "no-referrer");
  response.set(http::field::cache_control, "no-store");
  response.keep_alive(request.keep_alive());
  response.body() = std::move(body);
  response.prepare_payload();
  return response;
}

HttpResponse ConsoleServer::Impl::redirect(const HttpRequest& request, std::string_view to) {
  auto response = page(request, http::status::see_other, "");
  response.set(http::field::location, beast::string_view(to.data(), to.size()));
  return response;
}

std::optional<Session> ConsoleServer::Impl::session_of(const HttpRequest& request) {
  const std::string id = cookie(request, kSessionCookie);
  if (id.empty()) return std::nullopt;
  return sessions.find(id, Clock::now());
}

std::optional<std::string> ConsoleServer::Impl::record_action(const storage::ConsoleAction& action) {
  proxy::FetchRequest request;
  request.method = "POST";
  request.url = "http://" + options.admin + "/audit/console-event";
  request.headers["Content-Type"] = "application/json";
  request.headers["Authorization"] = "Bearer " + options.token;
  request.body = storage::to_json(action);
  request.timeout = std::chrono::seconds(10);
  const auto answer = proxy::blocking_http_fetch(request);
  const auto at = answer.body.find("\"eventID\":\"");
  if (answer.status != 200 || at == std::string::npos) {
    log_line("error", "console: the audit log did not record an action",
             "\"kind\":" + json_text(action.kind) + ",\"user\":" + json_text(action.user) + ",\"status\":" +
                 std::to_string(answer.status) + ",\"error\":" + json_text(answer.status ? answer.body : answer.error));
    return std::nullopt;
  }
  const auto start = at + 11;
  return answer.body.substr(start, answer.body.find('"', start) - start);
}

HttpResponse ConsoleServer::Impl::login_form(const HttpRequest& request, std::string_view problem,
                                             http::status status) {
  // Double submit: the form's token must match this cookie, which another
  // site can neither read nor set.
  // The token already in the browser is kept: a second load of the page
  // (another tab, a redirect) must not void the form of the first.
  std::string token = cookie(request, kLoginCookie);
  const bool usable = token.size() == 64 && token.find_first_not_of("0123456789abcdef") == std::string::npos;
  if (!usable) token = random_token();
  auto response = page(request, status, login_page(token, problem));
  response.set(http::field::set_cookie,
               std::string(kLoginCookie) + "=" + token + cookie_attributes("/login") + "; Max-Age=900");
  return response;
}

HttpResponse ConsoleServer::Impl::login(const HttpRequest& request, const std::string& peer) {
  const std::string& body = request.body();
  const std::string user = form_value(body, "user");
  const std::string password = form_value(body, "password");
  const auto now = Clock::now();
  if (!same_token(form_value(body, "login_token"), cookie(request, kLoginCookie))) {
    log_line("warn", "console: login refused (no valid login token)", "\"remote\":" + json_text(peer));
    return login_form(request, "The login form expired; try again.", http::status::forbidden);
  }
  if (!throttle.allowed(user, peer, now)) {
    log_line("warn", "console: login throttled", "\"user\":" + json_text(user) + ",\"remote\":" + json_text(peer));
    return login_form(request, "Too many failed logins; wait and try again.", http::status::too_many_requests);
  }
  const auto found = users.check(user, password);
  if (!found) {
    throttle.failed(user, peer, now);
    log_line("warn", "console: login failed", "\"user\":" + json_text(user) + ",\"remote\":" + json_text(peer));
    if (!user.empty()) record_action({"login", false, user, "", peer, "", ""});
    return login_form(request, "Wrong user or password.", http::status::unauthorized);
  }
  throttle.succeeded(user);
  // Nobody is let in whose login the audit log did not take.
  if (!record_action({"login", true, found->name, std::string(to_string(found->role)), peer, "", ""}))
    return login_form(request, "The audit log cannot record this login (is dynaudit serve running?).",
                      http::status::service_unavailable);
  const std::string id = sessions.open(*found, now);
  log_line("info", "console: login", "\"user\":" + json_text(found->name) + ",\"role\":\"" +
                                         std::string(to_string(found->role)) + "\",\"remote\":" + json_text(peer));
  auto response = redirect(request, "/search");
  response.set(http::field::set_cookie, std::string(kSessionCookie) + "=" + id + cookie_attributes("/"));
  return response;
}

HttpResponse ConsoleServer::Impl::search(const HttpRequest& request, const Session& session, std::string_view query) {
  const SearchForm form = SearchForm::parse(query);
  SearchResult result;
  storage::AuditQuery q;
  if (form.to_query(q, std::chrono::system_clock::now(), result.problem)) {
    q.limit = options.page_rows + 1;  // one more says whether a next page exists
    q.max_examined = options.max_examined;
    result.examined_bound = options.max_examined;
    q.cut_short = [&result](std::int64_t ms, std::uint64_t sequence) { result.resume = std::make_pair(ms, sequence); };
    std::string error;
    const auto started = std::chrono::steady_clock::now();
    if (!reader->refresh(error) ||
        !reader->query(
            q,
            [&](const storage::AuditEvent& e) {
              result.rows.push_back(e);
              return true;
            },
            error)) {
      result.problem = "the store could not be read: " + error;
    }
    result.milliseconds =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    if (result.rows.size() > options.page_rows) {
      result.rows.resize(options.page_rows);
      result.more = true;
    }
  }
  return page(request, http::status::ok, search_page(session, form, result));
}

HttpResponse ConsoleServer::Impl::record(const HttpRequest& request, const Session& session, std::string_view event_id) {
  std::string error;
  const std::string id = url_decode(event_id);
  if (!reader->refresh(error))
    return page(request, http::status::service_unavailable, message_page("Store unavailable", error));
  const auto found = reader->find_event(id, &error);
  if (!found) {
    if (!error.empty()) return page(request, http::status::service_unavailable, message_page("Store unavailable", error));
    return page(request, http::status::not_found, message_page("Not found", "No record has event ID " + id + "."));
  }
  const auto checkpoint = reader->checkpoint_covering(found->sequence, error);
  // The witness vouches for the chain up to its newest entry: the record is
  // witnessed when that entry lies at or after it (comparing the two is
  // `audit verify --config`'s job; this says what the witness claims).
  std::string witness;
  if (!options.witness_file.empty()) {
    std::string witness_error;
    const auto newest = storage::newest_witness_entry(options.witness_file, witness_error);
    if (!witness_error.empty()) witness = "the witness cannot be read: " + witness_error;
    else if (!newest) witness = "nothing witnessed yet";
    else if (newest->sequence() >= found->sequence)
      witness = "witnessed: the witness's newest entry vouches for the chain up to record " +
                std::to_string(newest->sequence());
    else
      witness = "not yet witnessed: the witness's newest entry stops at record " + std::to_string(newest->sequence());
  }
  return page(request, http::status::ok,
              record_page(session, *found, storage::to_json(*found), checkpoint, witness));
}

HttpResponse ConsoleServer::Impl::reveal(const HttpRequest& request, const Session& session, std::string_view event_id,
                                         const std::string& peer) {
  const std::string id = url_decode(event_id);
  std::string reason = form_value(request.body(), "reason");
  storage::ConsoleAction action{"reveal", true, session.user, std::string(to_string(session.role)), peer, reason, id};
  if (session.role != Role::investigator) {
    action.ok = false;
    record_action(action);
    log_line("warn", "console: reveal refused (not an investigator)", "\"user\":" + json_text(session.user));
    return page(request, http::status::forbidden, message_page("Forbidden", "Only investigators may reveal sealed values."));
  }
  if (reason.size() < 8 || reason.size() > 500)
    return page(request, http::status::bad_request,
                message_page("A reason is needed", "Say why, in 8 to 500 characters: it goes into the audit log."));
  if (!options.seal_key)
    return page(request, http::status::conflict,
                message_page("No seal key", "The console was started without audit.seal_key_file or seal_key_env."));
  std::string error;
  if (!reader->refresh(error))
    return page(request, http::status::service_unavailable, message_page("Store unavailable", error));
  const auto found = reader->find_event(id, &error);
  if (!found || found->sealed_values.empty())
    return page(request, http::status::not_found, message_page("Nothing to reveal", "No sealed values in record " + id + "."));
  if (!found->seal_key_id.empty() && found->seal_key_id != options.seal_key->id)
    return page(request, http::status::conflict,
                message_page("Another key", "The record was sealed with key " + found->seal_key_id + "."));
  // Recorded first: nothing is shown that the audit log does not hold.
  const auto recorded = record_action(action);
  if (!recorded)
    return page(request, http::status::service_unavailable,
                message_page("Not recorded", "The audit log cannot record this reveal, so nothing is shown."));
  // AAD = eventID: a sealed value copied into another record does not open.
  const auto clear = storage::unseal_value(*options.seal_key, found->sealed_values, found->event_id, error);
  if (!clear) return page(request, http::status::conflict, message_page("Cannot open", error));
  log_line("info", "console: reveal", "\"user\":" + json_text(session.user) + ",\"record\":" + json_text(id) +
                                          ",\"reveal\":" + json_text(*recorded));
  return page(request, http::status::ok, reveal_page(session, *found, *clear, *recorded));
}

std::vector<storage::AuditEvent> ConsoleServer::Impl::newest(storage::AuditQuery q, std::size_t limit,
                                                             std::string& error) {
  std::vector<storage::AuditEvent> rows;
  q.newest_first = true;
  q.limit = limit;
  if (q.max_examined == 0) q.max_examined = options.max_examined;
  if (!reader->query(
          q,
          [&](const storage::AuditEvent& e) {
            rows.push_back(e);
            return true;
          },
          error))
    rows.clear();
  return rows;
}

HttpResponse ConsoleServer::Impl::overview(const HttpRequest& request, const Session& session) {
  Overview o;
  std::string error;
  const auto now = std::chrono::system_clock::now();
  o.since = now - std::chrono::hours(24);
  if (!reader->refresh(error)) o.store_problem = error;
  o.store = reader->stats();
  bool capped = false;
  // Two million index keys a decision: a day at 1 400 calls a second.
  if (!reader->count_by_hour("allow", o.since, now, 2'000'000, o.allowed_by_hour, capped, error)) o.store_problem = error;
  o.counts_capped = capped;
  if (!reader->count_by_hour("deny", o.since, now, 2'000'000, o.denied_by_hour, capped, error)) o.store_problem = error;
  o.counts_capped = o.counts_capped || capped;
  // Top principals and tables among the newest calls: a bounded sample,
  // said as such on the page (counting a day's every call is a report's job).
  storage::AuditQuery day;
  day.since = o.since;
  std::map<std::string, std::uint64_t> principals, tables;
  for (const auto& e : newest(day, 5'000, error)) {
    if (e.outcome != "forwarded" && e.outcome != "denied" && e.outcome != "rejected" && e.outcome != "upstream_error")
      continue;
    ++o.sampled_calls;
    ++principals[e.user_identity.principal_id.empty() ? e.user_identity.access_key_id : e.user_identity.principal_id];
    for (const auto& t : e.tables) ++tables[t];
  }
  const auto top = [](const std::map<std::string, std::uint64_t>& counts) {
    std::vector<std::pair<std::string, std::uint64_t>> v(counts.begin(), counts.end());
    std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    if (v.size() > 10) v.resize(10);
    return v;
  };
  o.top_principals = top(principals);
  o.top_tables = top(tables);
  storage::AuditQuery denies;
  denies.decision = "deny";
  denies.since = now - std::chrono::hours(24 * 7);
  o.recent_denies = newest(denies, 10, error);
  // No index serves "raised an alert": the newest records of the week are
  // read, up to the page bound.
  storage::AuditQuery alerted;
  alerted.alerted = true;
  alerted.since = denies.since;
  alerted.max_examined = 20'000;  // the overview stays quick; the search page goes further
  o.recent_alerts = newest(alerted, 10, error);
  storage::AuditQuery loads;
  loads.operation = "RulesLoad";
  o.rule_loads = newest(loads, 10, error);
  storage::AuditQuery anomalies;
  anomalies.operation = "Anomaly";
  o.anomalies = newest(anomalies, 10, error);
  // Alert channels, from serve's admin listener (GET, no secret).
  proxy::FetchRequest ask;
  ask.method = "GET";
  ask.url = "http://" + options.admin + "/alerts";
  ask.timeout = std::chrono::seconds(2);
  const auto answer = proxy::blocking_http_fetch(ask);
  if (answer.status == 200) {
    simdjson::dom::parser parser;
    simdjson::dom::object channels;
    if (!parser.parse(answer.body)["channels"].get(channels)) {
      o.alerts_known = true;
      for (auto field : channels) {
        AlertChannelHealth c;
        c.name = std::string(field.key);
        std::uint64_t n = 0;
        if (!field.value["delivered"].get(n)) c.delivered = n;
        if (!field.value["failed"].get(n)) c.failed = n;
        if (!field.value["dropped"].get(n)) c.dropped = n;
        o.alert_channels.push_back(std::move(c));
      }
    }
  }
  return page(request, http::status::ok, overview_page(session, o));
}

HttpResponse ConsoleServer::Impl::answer(const HttpRequest& request, const std::string& peer) {
  // A page an attacker rebinds to 127.0.0.1 still names its own host. (Over
  // HTTPS the certificate already refuses a name it was not made for.)
  if (!tls && !proxy::loopback_host(header(request, http::field::host)))
    return page(request, http::status::forbidden, message_page("Forbidden", "Use the console by a loopback address."));
  const std::string_view target(request.target().data(), request.target().size());
  const auto question = target.find('?');
  const std::string_view path = target.substr(0, question);
  const std::string_view query = question == std::string_view::npos ? std::string_view() : target.substr(question + 1);
  const bool get = request.method() == http::verb::get || request.method() == http::verb::head;
  const bool post = request.method() == http::verb::post;
  if (!get && !post) return page(request, http::status::method_not_allowed, message_page("Not allowed", "GET or POST."));

  if (get && path == "/static/console.css")
    return page(request, http::status::ok, std::string(console_css()), "text/css; charset=utf-8");
  if (get && path == "/static/tail.js")
    return page(request, http::status::ok, std::string(tail_js()), "text/javascript; charset=utf-8");
  // No icon: an empty answer rather than a 404 the browser reports.
  if (get && path == "/favicon.ico") return page(request, http::status::no_content, "", "text/plain");
  if (path == "/login") {
    if (get) return login_form(request, "", http::status::ok);
    return login(request, peer);
  }
  const auto session = session_of(request);
  if (!session) {
    if (post) return page(request, http::status::forbidden, message_page("Forbidden", "Log in first."));
    return redirect(request, "/login");
  }
  if (post) {
    // Every POST carries the session's CSRF token.
    if (!same_token(form_value(request.body(), "csrf"), session->csrf)) {
      log_line("warn", "console: refused a form without its CSRF token",
               "\"user\":" + json_text(session->user) + ",\"path\":" + json_text(path));
      return page(request, http::status::forbidden, message_page("Forbidden", "The form's token does not match."));
    }
    if (path.starts_with("/record/") && path.ends_with("/reveal"))
      return reveal(request, *session, path.substr(8, path.size() - 8 - 7), peer);
    if (path == "/logout") {
      sessions.close(cookie(request, kSessionCookie));
      record_action({"logout", true, session->user, std::string(to_string(session->role)), peer, "", ""});
      log_line("info", "console: logout", "\"user\":" + json_text(session->user));
      auto response = redirect(request, "/login");
      response.set(http::field::set_cookie, std::string(kSessionCookie) + "=" + cookie_attributes("/") + "; Max-Age=0");
      return response;
    }
    return page(request, http::status::not_found, message_page("Not found", "No such action."));
  }
  if (path == "/" || path.empty()) return redirect(request, "/overview");
  if (path == "/overview") return overview(request, *session);
  if (path == "/tail") return page(request, http::status::ok, tail_page(*session));
  if (path == "/discovery") {
    std::vector<discovery::InventoryEntry> inventory;
    std::string error;
    if (reader->refresh(error))
      reader->read_side_state(
          storage::SideState::inventory,
          [&](std::string_view, std::string_view state) {
            discovery::InventoryEntry e;
            if (discovery::decode_entry(state, e)) inventory.push_back(std::move(e));
          },
          error);
    return page(request, http::status::ok, discovery_page(*session, inventory, error));
  }
  if (path == "/search") return search(request, *session, query);
  if (path.starts_with("/record/")) return record(request, *session, path.substr(8));
  return page(request, http::status::not_found, message_page("Not found", "No such page."));
}

asio::awaitable<void> ConsoleServer::Impl::serve_connection(tcp::socket socket) {
  proxy::error_code ec;
  const auto remote = socket.remote_endpoint(ec);
  const std::string peer = ec ? std::string("?") : remote.address().to_string();
  if (!tls) {
    beast::tcp_stream stream(std::move(socket));
    co_await serve_stream(stream, peer);
    co_return;
  }
  beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), *tls);
  beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(10));
  co_await stream.async_handshake(asio::ssl::stream_base::server, proxy::await_into(ec));
  if (ec) co_return;  // not TLS, or not finished in time: nothing to answer
  co_await serve_stream(stream, peer);
}

template <typename Stream>
asio::awaitable<void> ConsoleServer::Impl::serve_stream(Stream& stream, std::string peer) {
  proxy::error_code ec;
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(16 * 1024);
    parser.body_limit(16 * 1024);
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(30));
    co_await http::async_read(stream, buffer, parser, proxy::await_into(ec));
    if (ec) break;
    const auto& request = parser.get();
    if (request.method() == http::verb::get && request.target() == "/tail/events" &&
        (tls || proxy::loopback_host(header(request, http::field::host))) && session_of(request)) {
      co_await stream_tail(stream, cookie(request, kSessionCookie));
      co_return;
    }
    auto response = answer(request, peer);
    co_await http::async_write(stream, response, proxy::await_into(ec));
    if (ec || !response.keep_alive()) break;
  }
  beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_send, ec);
}

template <typename Stream>
asio::awaitable<void> ConsoleServer::Impl::stream_tail(Stream& stream, std::string session_id) {
  proxy::error_code ec;
  static constexpr std::string_view kHead =
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\n"
      "X-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n: following\n\n";
  beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(30));
  co_await asio::async_write(stream, asio::buffer(kHead.data(), kHead.size()), proxy::await_into(ec));
  if (ec) co_return;
  beast::get_lowest_layer(stream).expires_never();  // waiting between events is not a stall
  std::string error;
  reader->refresh(error);
  std::uint64_t after = reader->stats().last_sequence;  // from now on
  asio::steady_timer timer(ioc);
  int quiet = 0;
  for (;;) {
    timer.expires_after(std::chrono::milliseconds(250));
    co_await timer.async_wait(proxy::await_into(ec));
    if (ec || !sessions.find(session_id, Clock::now())) break;  // logged out or expired: the stream ends
    std::string events;
    if (reader->refresh(error)) {
      storage::AuditQuery q;
      q.after_sequence = after;
      q.limit = 200;
      reader->query(
          q,
          [&](const storage::AuditEvent& e) {
            after = e.sequence;
            events += "data: " + tail_event(e) + "\n\n";
            return true;
          },
          error);
    }
    if (events.empty() && ++quiet >= 60) events = ": still here\n\n";  // every 15 s: proxies keep the stream
    if (events.empty()) continue;
    quiet = 0;
    // A browser that stops reading must not hold this coroutine (and its
    // session check) forever once the socket's buffer is full.
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(30));
    co_await asio::async_write(stream, asio::buffer(events), proxy::await_into(ec));
    beast::get_lowest_layer(stream).expires_never();
    if (ec) break;
  }
  beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_send, ec);
}

asio::awaitable<void> ConsoleServer::Impl::accept_loop() {
  for (;;) {
    proxy::error_code ec;
    auto socket = co_await acceptor.async_accept(proxy::await_into(ec));
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
    if (ec) {
      asio::steady_timer pause(ioc, std::chrono::milliseconds(50));
      co_await pause.async_wait(proxy::await_into(ec));
      continue;
    }
    asio::co_spawn(ioc, serve_connection(std::move(socket)), asio::detached);
  }
}

ConsoleServer::ConsoleServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ConsoleServer::~ConsoleServer() = default;
std::uint16_t ConsoleServer::port() const { return impl_->port; }

std::unique_ptr<ConsoleServer> ConsoleServer::create(ConsoleOptions options, Users users, std::string& error) {
  proxy::error_code ec;
  const auto address = asio::ip::make_address(options.address, ec);
  if (ec) {
    error = "console.address '" + options.address + "': " + ec.message();
    return nullptr;
  }
  const bool https = !options.tls_cert_file.empty();
  if (!https && !address.is_loopback()) {
    error = "console.address must be a loopback address unless console.tls_cert_file and tls_key_file are set "
            "(plain HTTP stays on this host)";
    return nullptr;
  }
  auto impl = std::make_unique<Impl>(std::move(options), std::move(users));
  if (https) {
    impl->tls = proxy::make_server_tls_context(proxy::TlsFiles{impl->options.tls_cert_file, impl->options.tls_key_file},
                                               error);
    if (!impl->tls) {
      error = "console TLS: " + error;
      return nullptr;
    }
  }
  impl->reader = storage::AuditReader::open(impl->options.store_path, error);
  if (!impl->reader) return nullptr;
  if (!proxy::open_acceptor(impl->acceptor, tcp::endpoint(address, impl->options.port), false, error)) return nullptr;
  impl->port = impl->acceptor.local_endpoint().port();
  return std::unique_ptr<ConsoleServer>(new ConsoleServer(std::move(impl)));
}

int ConsoleServer::run() {
  auto& s = *impl_;
  asio::co_spawn(s.ioc, s.accept_loop(), asio::detached);
  asio::signal_set signals(s.ioc, SIGTERM, SIGINT);
  signals.async_wait([&s](const proxy::error_code&, int) {
    proxy::error_code ignored;
    s.acceptor.close(ignored);
    s.ioc.stop();
  });
  log_line("info", "dynaudit console serving",
           "\"url\":\"" + std::string(s.tls ? "https" : "http") + "://" + s.options.address + ":" + std::to_string(s.port) + "/\",\"port\":" +
               std::to_string(s.port) + ",\"store\":" + json_text(s.options.store_path) +
               ",\"users\":" + std::to_string(s.users.size()));
  s.ioc.run();
  log_line("info", "dynaudit console stopped", "");
  return 0;
}

}  // namespace dynaudit::console
