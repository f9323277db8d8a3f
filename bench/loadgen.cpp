// loadgen: a closed-loop load generator for the DynamoDB JSON API, with
// exact per-request latencies. Each of C keep-alive connections sends one
// SigV4-signed request, waits for the whole response, records the latency and
// sends the next at once; there is no coordinated-omission correction, since
// in a closed loop the offered load is whatever the server lets through.
//
//   loadgen --url http(s)://127.0.0.1:PORT --operation GetItem|PutItem|Query
//           --connections C --duration SECONDS --warmup SECONDS
//           --access-key AK --secret-key SK [--region us-east-1]
//           [--ca-file CA.pem] [--threads T] [--json OUT.json] [--rate R]
//
// Requests sent before the warm-up ends or answered after the run ends are
// not recorded. A connection error is counted, the connection reopened, and
// the run goes on.
//
// With --rate R the load is paced instead: each connection sends on a fixed
// schedule (one request every C/R seconds), still waiting for each answer, so
// the offered load is at most R req/s and a server slower than that shows as
// a shortfall, not as a queue. The soak test (bench/soak.py) runs at a rate
// below the peak this way.
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "bench/bench_histogram.hpp"
#include "aws/sigv4.hpp"
#include "proxy/auth/aws_imports.hpp"
#include "proxy/net/asio.hpp"

namespace {

using namespace dynaudit::proxy;
namespace ssl = boost::asio::ssl;
using Clock = std::chrono::steady_clock;
using dynaudit::bench::LatencyHistogram;

struct Options {
  std::string url;
  bool tls = false;
  std::string host;  // from the URL
  std::string port;
  std::string operation = "GetItem";
  int connections = 1;
  double duration_s = 10;
  double warmup_s = 2;
  std::string access_key, secret_key;
  std::string region = "us-east-1";
  std::string ca_file;
  int threads = 1;
  std::string json_out;
  double rate = 0;  // total requests per second over all connections; 0: closed loop
};

// What every connection of one thread shares: read-only settings, and
// counters touched only by that thread's io_context.
struct ThreadState {
  const Options* options = nullptr;
  AwsCredentials credentials;
  sigv4::SigningKeyCache* keys = nullptr;
  tcp::resolver::results_type endpoints;
  ssl::context* tls = nullptr;
  Clock::time_point warmup_end, end;
  std::atomic<int>* live = nullptr;

  LatencyHistogram histogram;
  std::uint64_t requests = 0;
  std::uint64_t errors = 0;
  std::uint64_t non_2xx = 0;
  std::uint64_t warmup_requests = 0;
  std::string first_failure;  // the first non-2xx reply, for the operator
};

// ---- Request bodies --------------------------------------------------------

void make_body(std::string& body, std::string_view operation, std::uint64_t n) {
  const std::string id = std::to_string(n);
  body.clear();
  if (operation == "GetItem") {
    body.append(R"({"TableName":"bench","Key":{"pk":{"S":"customer#)").append(id);
    body.append(R"("},"sk":{"N":")").append(id).append(R"("}}})");
  } else if (operation == "PutItem") {
    body.append(R"({"TableName":"bench","Item":{"pk":{"S":"customer#)").append(id);
    body.append(R"("},"sk":{"N":")").append(id);
    body.append(R"("},"name":{"S":"Customer Number )").append(id);
    body.append(R"("},"email":{"S":"customer)").append(id).append(R"(@example.com"},)");
    body.append(R"("card_number":{"S":"4111111111111111"},"ssn":{"S":"123-45-6789"},)");
    body.append(R"("balance":{"N":"1234.56"},"status":{"S":"active"},)");
    body.append(R"("address":{"M":{"street":{"S":"1 Main Street"},"city":{"S":"Springfield"}}}}})");
  } else {  // Query
    body.append(
        R"({"TableName":"bench","KeyConditionExpression":"pk = :p","ExpressionAttributeValues":{":p":{"S":"customer#1"}}})");
  }
}

// Builds the whole signed request as bytes into `out` (reused).
void build_request(std::string& out, const ThreadState& st, std::string_view target,
                   std::string_view host_header, std::string_view body) {
  const HeaderView headers[] = {
      {"Host", host_header},
      {"Content-Type", "application/x-amz-json-1.0"},
      {"X-Amz-Target", target},
  };
  const RequestView view{"POST", "/", headers, body};
  const auto signature = sigv4::sign_request(view, st.credentials, st.options->region, "dynamodb",
                                             std::chrono::system_clock::now(), st.keys);
  out.clear();
  out.append("POST / HTTP/1.1\r\nHost: ").append(host_header);
  out.append("\r\nContent-Type: application/x-amz-json-1.0\r\nX-Amz-Target: ").append(target);
  out.append("\r\nX-Amz-Date: ").append(signature.amz_date);
  out.append("\r\nAuthorization: ").append(signature.authorization);
  out.append("\r\nContent-Length: ").append(std::to_string(body.size()));
  out.append("\r\n\r\n").append(body);
}

// ---- One connection ---------------------------------------------------------

enum class Ended { run_over, error, closed_by_server };

template <class Stream>
asio::awaitable<Ended> exchange_loop(Stream& stream, ThreadState& st, std::uint64_t& counter,
                                    std::string_view target, std::string_view host_header,
                                    std::string& body, std::string& request) {
  beast::flat_buffer buffer;
  error_code ec;
  const bool paced = st.options->rate > 0;
  const auto interval = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(paced ? st.options->connections / st.options->rate : 0.0));
  asio::steady_timer pace(co_await asio::this_coro::executor);
  // Connections start spread over one interval so the load is even.
  const auto spread = static_cast<long>((counter / 100000) % static_cast<std::uint64_t>(st.options->connections));
  Clock::time_point next = Clock::now() + interval * spread / st.options->connections;
  for (;;) {
    if (paced) {
      // A connection that fell behind (a slow answer) does not burst to catch up.
      if (next < Clock::now() - interval) next = Clock::now();
      pace.expires_at(next);
      co_await pace.async_wait(await_into(ec));
      next += interval;
    }
    const auto start = Clock::now();
    if (start >= st.end) co_return Ended::run_over;
    make_body(body, st.options->operation, ++counter % 1000000);
    build_request(request, st, target, host_header, body);
    co_await asio::async_write(stream, asio::buffer(request), await_into(ec));
    if (ec) co_return Ended::error;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    co_await http::async_read(stream, buffer, parser, await_into(ec));
    const auto done = Clock::now();
    if (ec) co_return Ended::error;
    const auto& response = parser.get();
    const unsigned status = response.result_int();
    if (start >= st.warmup_end && done <= st.end) {
      ++st.requests;
      st.histogram.record(
          static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(done - start).count()));
      if (status < 200 || status >= 300) {
        ++st.non_2xx;
        if (st.first_failure.empty())
          st.first_failure = std::to_string(status) + " " + std::string(response.body().substr(0, 300));
      }
    } else if (start < st.warmup_end) {
      ++st.warmup_requests;
    }
    if (!response.keep_alive()) co_return Ended::closed_by_server;
  }
}

asio::awaitable<void> run_connection(ThreadState& st, int index) {
  const auto executor = co_await asio::this_coro::executor;
  const Options& o = *st.options;
  const std::string target = "DynamoDB_20120810." + o.operation;
  const std::string host_header = o.host + ":" + o.port;
  std::string body, request;
  body.reserve(1024);
  request.reserve(2048);
  std::uint64_t counter = static_cast<std::uint64_t>(index) * 100000;
  asio::steady_timer backoff(executor);
  error_code ec;

  while (Clock::now() < st.end) {
    tcp::socket socket(executor);
    co_await asio::async_connect(socket, st.endpoints, await_into(ec));
    Ended ended = Ended::error;
    if (!ec) {
      socket.set_option(tcp::no_delay(true), ec);
      if (st.tls) {
        ssl::stream<tcp::socket> stream(std::move(socket), *st.tls);
        error_code not_address;
        (void)asio::ip::make_address(o.host, not_address);
        if (not_address)  // SNI only for names, not addresses
          SSL_set_tlsext_host_name(stream.native_handle(), o.host.c_str());
        stream.set_verify_mode(ssl::verify_peer);
        stream.set_verify_callback(ssl::host_name_verification(o.host));
        co_await stream.async_handshake(ssl::stream_base::client, await_into(ec));
        if (!ec) ended = co_await exchange_loop(stream, st, counter, target, host_header, body, request);
        else if (st.first_failure.empty()) st.first_failure = "TLS handshake: " + ec.message();
      } else {
        ended = co_await exchange_loop(socket, st, counter, target, host_header, body, request);
      }
    } else if (st.first_failure.empty()) {
      st.first_failure = "connect: " + ec.message();
    }
    if (ended == Ended::run_over) break;
    const auto now = Clock::now();
    if (now >= st.end) break;
    if (ended == Ended::closed_by_server) continue;  // reconnect at once; not an error
    if (now >= st.warmup_end) ++st.errors;
    backoff.expires_after(std::chrono::milliseconds(1));
    co_await backoff.async_wait(await_into(ec));
  }
  st.live->fetch_sub(1);
}

// ---- Setup and report -------------------------------------------------------

double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

bool parse_url(Options& o) {
  std::string_view rest = o.url;
  if (rest.starts_with("https://")) {
    o.tls = true;
    rest.remove_prefix(8);
  } else if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
  } else {
    return false;
  }
  if (const auto slash = rest.find('/'); slash != std::string_view::npos) rest = rest.substr(0, slash);
  const auto colon = rest.rfind(':');
  if (colon == std::string_view::npos) {
    o.host = std::string(rest);
    o.port = o.tls ? "443" : "80";
  } else {
    o.host = std::string(rest.substr(0, colon));
    o.port = std::string(rest.substr(colon + 1));
  }
  return !o.host.empty() && !o.port.empty();
}

int usage() {
  std::cerr << "usage: loadgen --url http(s)://HOST:PORT --operation GetItem|PutItem|Query\n"
               "               --connections C --duration SECONDS --warmup SECONDS\n"
               "               --access-key AK --secret-key SK [--region us-east-1]\n"
               "               [--ca-file CA.pem] [--threads T] [--json OUT.json] [--rate R]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string arg = argv[i];
      if (arg == "--help" || arg == "-h") return usage(), 0;
      if (i + 1 >= argc) return usage();
      const std::string value = argv[++i];
      if (arg == "--url") o.url = value;
      else if (arg == "--operation") o.operation = value;
      else if (arg == "--connections") o.connections = std::max(1, std::stoi(value));
      else if (arg == "--duration") o.duration_s = std::stod(value);
      else if (arg == "--warmup") o.warmup_s = std::max(0.0, std::stod(value));
      else if (arg == "--access-key") o.access_key = value;
      else if (arg == "--secret-key") o.secret_key = value;
      else if (arg == "--region") o.region = value;
      else if (arg == "--ca-file") o.ca_file = value;
      else if (arg == "--threads") o.threads = std::max(1, std::stoi(value));
      else if (arg == "--json") o.json_out = value;
      else if (arg == "--rate") o.rate = std::max(0.0, std::stod(value));
      else return usage();
    }
  } catch (const std::exception&) {
    return usage();
  }
  if (!parse_url(o) || o.access_key.empty() || o.secret_key.empty() || o.duration_s <= 0) return usage();
  if (o.operation != "GetItem" && o.operation != "PutItem" && o.operation != "Query") {
    std::cerr << "loadgen: --operation must be GetItem, PutItem or Query\n";
    return 2;
  }
  o.threads = std::min(o.threads, o.connections);

  try {
    std::optional<ssl::context> tls;
    if (o.tls) {
      tls.emplace(ssl::context::tls_client);
      tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                       ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
      if (!o.ca_file.empty()) tls->load_verify_file(o.ca_file);
      else tls->set_default_verify_paths();
    }
    tcp::resolver::results_type endpoints;
    {
      asio::io_context resolve_context;
      tcp::resolver resolver(resolve_context);
      endpoints = resolver.resolve(o.host, o.port);
    }

    sigv4::SigningKeyCache keys;
    std::atomic<int> live{o.connections};
    std::vector<std::unique_ptr<asio::io_context>> contexts;
    std::vector<std::unique_ptr<ThreadState>> states;
    const auto start = Clock::now();
    const auto warmup_end = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.warmup_s));
    const auto end = warmup_end + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.duration_s));
    for (int t = 0; t < o.threads; ++t) {
      contexts.push_back(std::make_unique<asio::io_context>(1));
      auto st = std::make_unique<ThreadState>();
      st->options = &o;
      st->credentials.access_key_id = o.access_key;
      st->credentials.secret_access_key = o.secret_key;
      st->keys = &keys;
      st->endpoints = endpoints;
      st->tls = tls ? &*tls : nullptr;
      st->warmup_end = warmup_end;
      st->end = end;
      st->live = &live;
      states.push_back(std::move(st));
    }
    for (int c = 0; c < o.connections; ++c)
      asio::co_spawn(*contexts[c % o.threads], run_connection(*states[c % o.threads], c), asio::detached);

    std::vector<std::thread> workers;
    for (int t = 0; t < o.threads; ++t) workers.emplace_back([&, t] { contexts[t]->run(); });

    std::this_thread::sleep_until(warmup_end);
    const double cpu_start = cpu_seconds();
    std::this_thread::sleep_until(end);
    const double cpu_end = cpu_seconds();
    // Let the connections finish the request they are in; a server that
    // never answers does not hold the report up for more than 10 s.
    const auto drain_deadline = Clock::now() + std::chrono::seconds(10);
    while (live.load() > 0 && Clock::now() < drain_deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    for (auto& c : contexts) c->stop();
    for (auto& w : workers) w.join();

    LatencyHistogram histogram;
    std::uint64_t requests = 0, errors = 0, non_2xx = 0, warmup_requests = 0;
    std::string first_failure;
    for (const auto& st : states) {
      histogram.merge(st->histogram);
      requests += st->requests;
      errors += st->errors;
      non_2xx += st->non_2xx;
      warmup_requests += st->warmup_requests;
      if (first_failure.empty()) first_failure = st->first_failure;
    }
    // Recorded: requests sent at or after warmup_end and answered by end.
    const double duration = std::chrono::duration<double>(end - warmup_end).count();
    const double rps = duration > 0 ? static_cast<double>(requests) / duration : 0.0;
    const auto us = [&](double ns) { return ns / 1000.0; };
    const double p50 = us(histogram.percentile(50)), p90 = us(histogram.percentile(90)),
                 p99 = us(histogram.percentile(99)), p999 = us(histogram.percentile(99.9)),
                 max = us(static_cast<double>(histogram.max())), mean = us(histogram.mean());
    const double cpu = cpu_end - cpu_start;

    std::ostringstream json;
    json.setf(std::ios::fixed);
    json.precision(3);
    json << "{\"operation\":\"" << o.operation << "\",\"connections\":" << o.connections
         << ",\"threads\":" << o.threads << ",\"url\":\"" << o.url << "\",\"duration_s\":" << duration
         << ",\"warmup_s\":" << o.warmup_s << ",\"requests\":" << requests << ",\"errors\":" << errors
         << ",\"non_2xx\":" << non_2xx << ",\"rps\":" << rps << ",\"latency_us\":{\"p50\":" << p50
         << ",\"p90\":" << p90 << ",\"p99\":" << p99 << ",\"p999\":" << p999 << ",\"max\":" << max
         << ",\"mean\":" << mean << "},\"model\":\"" << (o.rate > 0 ? "paced" : "closed-loop")
         << "\",\"rate\":" << o.rate << ",\"loadgen_cpu_s\":" << cpu << "}\n";
    if (!o.json_out.empty()) {
      std::ofstream out(o.json_out, std::ios::trunc);
      out << json.str();
      if (!out.flush()) {
        std::cerr << "loadgen: cannot write " << o.json_out << "\n";
        return 1;
      }
    }
    std::printf("%s c=%d t=%d: %.0f req/s over %.2fs, %llu requests, %llu errors, %llu non-2xx, "
                "latency us p50 %.1f p90 %.1f p99 %.1f p99.9 %.1f max %.1f mean %.1f, loadgen cpu %.2fs\n",
                o.operation.c_str(), o.connections, o.threads, rps, duration,
                static_cast<unsigned long long>(requests), static_cast<unsigned long long>(errors),
                static_cast<unsigned long long>(non_2xx), p50, p90, p99, p999, max, mean, cpu);
    if (!first_failure.empty()) std::fprintf(stderr, "loadgen: first failure: %s\n", first_failure.c_str());
    if (requests == 0 && warmup_requests == 0) return 1;
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "loadgen: " << e.what() << "\n";
    return 1;
  }
}
