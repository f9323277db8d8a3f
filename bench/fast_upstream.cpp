// fast_upstream: a DynamoDB-compatible-enough HTTP/1.1 server to put behind
// the proxy in benchmarks, so that what is measured is the proxy and not the
// upstream. It answers by X-Amz-Target from bodies built once at start (with
// their x-amz-crc32), ignores Authorization, keeps connections alive, and
// runs one io_context per thread, each with its own SO_REUSEPORT acceptor.
//
//   fast_upstream --address 127.0.0.1 --port 0 --threads N --ready-file PATH
//                 [--tls-cert CERT.pem --tls-key KEY.pem]
//
// Once listening it writes {"port":P,"pid":PID} to the ready file (a
// temporary file renamed into place), and serves until SIGTERM or SIGINT
// (exit 0).
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/asio/signal_set.hpp>

#include "ddb/crc32.hpp"
#include "proxy/net/asio.hpp"

namespace {

using namespace dynaudit::proxy;
namespace ssl = boost::asio::ssl;

// ---- Reply bodies, built once ------------------------------------------------

// One realistic customer item, ~400 bytes of DynamoDB JSON.
std::string make_item(int n) {
  const std::string id = std::to_string(n);
  std::string item;
  item.reserve(512);
  item += R"({"pk":{"S":"customer#)" + id + R"("},"sk":{"N":")" + id + R"("},)";
  item += R"("name":{"S":"Customer Number )" + id + R"("},)";
  item += R"("email":{"S":"customer)" + id + R"(@example.com"},)";
  item += R"("card_number":{"S":"4111111111111111"},)";
  item += R"("ssn":{"S":"123-45-6789"},)";
  item += R"("balance":{"N":"1234.56"},)";
  item += R"("created_at":{"N":"1700000000"},)";
  item += R"("status":{"S":"active"},)";
  item += R"("address":{"M":{"street":{"S":"1 Main Street"},"city":{"S":"Springfield"},)";
  item += R"("zip":{"S":"12345"},"country":{"S":"US"}}},)";
  item += R"("tags":{"L":[{"S":"gold"},{"S":"newsletter"},{"N":"3"}]}})";
  return item;
}

struct Reply {
  std::string body;
  std::string fixed_headers;  // Content-Type, Content-Length, x-amz-crc32
};

Reply make_reply(std::string body) {
  Reply r;
  r.fixed_headers = "Content-Type: application/x-amz-json-1.0\r\nContent-Length: " +
                    std::to_string(body.size()) +
                    "\r\nx-amz-crc32: " + std::to_string(dynaudit::ddb::crc32(body)) + "\r\n";
  r.body = std::move(body);
  return r;
}

struct Replies {
  Reply get_item, put_item, query, list_tables, describe_table, empty;

  Replies() {
    get_item = make_reply(R"({"Item":)" + make_item(1) + "}");
    put_item = make_reply("{}");
    std::string q = R"({"Count":100,"Items":[)";
    for (int i = 1; i <= 100; ++i) {
      if (i > 1) q += ',';
      q += make_item(i);
    }
    q += R"(],"ScannedCount":100})";
    query = make_reply(std::move(q));
    list_tables = make_reply(R"({"TableNames":["bench"]})");
    describe_table = make_reply(
        R"({"Table":{"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},)"
        R"({"AttributeName":"sk","AttributeType":"N"}],"TableName":"bench",)"
        R"("KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],)"
        R"("TableStatus":"ACTIVE","CreationDateTime":1700000000.0,"ItemCount":0,"TableSizeBytes":0,)"
        R"("TableArn":"arn:aws:dynamodb:us-east-1:123456789012:table/bench",)"
        R"("BillingModeSummary":{"BillingMode":"PAY_PER_REQUEST"}}})");
    empty = make_reply("{}");
  }

  const Reply& for_target(std::string_view target) const {
    const auto dot = target.rfind('.');
    const std::string_view op = dot == std::string_view::npos ? target : target.substr(dot + 1);
    if (op == "GetItem") return get_item;
    if (op == "PutItem" || op == "UpdateItem" || op == "DeleteItem") return put_item;
    if (op == "Query" || op == "Scan") return query;
    if (op == "DescribeTable") return describe_table;
    if (op == "ListTables") return list_tables;
    return list_tables;
  }
};

// ---- Per-thread header pieces --------------------------------------------------

// The Date header value, formatted once per second per thread.
std::string_view http_date() {
  thread_local std::time_t cached = 0;
  thread_local char buf[64];
  thread_local std::size_t len = 0;
  const std::time_t now = std::time(nullptr);
  if (now != cached) {
    std::tm tm{};
    gmtime_r(&now, &tm);
    len = std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    cached = now;
  }
  return {buf, len};
}

// A 52-character request id like DynamoDB's (upper-case letters and digits).
void append_request_id(std::string& out) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  thread_local std::uint64_t state =
      0x9E3779B97F4A7C15ull ^ static_cast<std::uint64_t>(std::hash<std::thread::id>{}(std::this_thread::get_id()));
  std::uint64_t bits = 0;
  int left = 0;
  for (int i = 0; i < 52; ++i) {
    if (left < 5) {
      state ^= state << 13;
      state ^= state >> 7;
      state ^= state << 17;
      bits = state;
      left = 64;
    }
    out.push_back(kAlphabet[bits & 31]);
    bits >>= 5;
    left -= 5;
  }
}

// ---- A request body that is read and dropped -----------------------------------

struct discard_body {
  using value_type = std::size_t;  // bytes received
  class reader {
   public:
    template <bool isRequest, class Fields>
    reader(http::header<isRequest, Fields>&, value_type& size) : size_(size) {}
    void init(const boost::optional<std::uint64_t>&, error_code& ec) {
      size_ = 0;
      ec = {};
    }
    template <class ConstBufferSequence>
    std::size_t put(const ConstBufferSequence& buffers, error_code& ec) {
      const std::size_t n = asio::buffer_size(buffers);
      size_ += n;
      ec = {};
      return n;
    }
    void finish(error_code& ec) { ec = {}; }

   private:
    value_type& size_;
  };
};

// ---- Serving -------------------------------------------------------------------

template <class Stream>
asio::awaitable<void> serve(Stream stream, const Replies& replies) {
  beast::flat_buffer buffer;
  std::string head;
  head.reserve(512);
  error_code ec;
  for (;;) {
    http::request_parser<discard_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    co_await http::async_read(stream, buffer, parser, await_into(ec));
    if (ec) break;
    const auto& request = parser.get();
    const auto target = request["X-Amz-Target"];
    const Reply& reply = replies.for_target(std::string_view(target.data(), target.size()));
    const bool keep_alive = request.keep_alive();

    head.clear();
    head.append("HTTP/1.1 200 OK\r\nServer: Server\r\nDate: ").append(http_date());
    head.append("\r\nx-amzn-RequestId: ");
    append_request_id(head);
    head.append("\r\n").append(reply.fixed_headers);
    if (!keep_alive) head.append("Connection: close\r\n");
    head.append("\r\n");
    const std::array<asio::const_buffer, 2> out{asio::buffer(head), asio::buffer(reply.body)};
    co_await asio::async_write(stream, out, await_into(ec));
    if (ec || !keep_alive) break;
  }
  beast::get_lowest_layer(stream).close(ec);
}

asio::awaitable<void> serve_tls(tcp::socket socket, ssl::context& tls, const Replies& replies) {
  ssl::stream<tcp::socket> stream(std::move(socket), tls);
  error_code ec;
  co_await stream.async_handshake(ssl::stream_base::server, await_into(ec));
  if (ec) co_return;
  co_await serve(std::move(stream), replies);
}

asio::awaitable<void> accept_loop(tcp::acceptor& acceptor, ssl::context* tls, const Replies& replies) {
  const auto executor = co_await asio::this_coro::executor;
  asio::steady_timer backoff(executor);
  for (;;) {
    error_code ec;
    tcp::socket socket = co_await acceptor.async_accept(await_into(ec));
    if (!acceptor.is_open() || ec == asio::error::operation_aborted) co_return;
    if (ec) {  // EMFILE and friends: back off instead of spinning
      backoff.expires_after(std::chrono::milliseconds(10));
      co_await backoff.async_wait(await_into(ec));
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    if (tls)
      asio::co_spawn(executor, serve_tls(std::move(socket), *tls, replies), asio::detached);
    else
      asio::co_spawn(executor, serve(std::move(socket), replies), asio::detached);
  }
}

using reuse_port = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

void write_ready_file(const std::string& path, unsigned short port) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << "{\"port\":" << port << ",\"pid\":" << ::getpid() << "}\n";
    if (!out.flush()) throw std::runtime_error("cannot write " + tmp);
  }
  std::filesystem::rename(tmp, path);
}

int usage() {
  std::cerr << "usage: fast_upstream [--address 127.0.0.1] [--port 0] [--threads N] [--ready-file PATH]\n"
               "                     [--tls-cert CERT.pem --tls-key KEY.pem]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string address = "127.0.0.1";
  unsigned port = 0;
  int threads = 1;
  std::string ready_file, tls_cert, tls_key;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") return usage(), 0;
    if (i + 1 >= argc) return usage();
    const std::string value = argv[++i];
    if (arg == "--address") address = value;
    else if (arg == "--port") port = static_cast<unsigned>(std::stoul(value));
    else if (arg == "--threads") threads = std::max(1, std::stoi(value));
    else if (arg == "--ready-file") ready_file = value;
    else if (arg == "--tls-cert") tls_cert = value;
    else if (arg == "--tls-key") tls_key = value;
    else return usage();
  }
  if (tls_cert.empty() != tls_key.empty()) {
    std::cerr << "fast_upstream: --tls-cert and --tls-key go together\n";
    return 2;
  }

  try {
    const Replies replies;
    std::optional<ssl::context> tls;
    if (!tls_cert.empty()) {
      tls.emplace(ssl::context::tls_server);
      tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                       ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
      tls->use_certificate_chain_file(tls_cert);
      tls->use_private_key_file(tls_key, ssl::context::pem);
    }

    std::vector<std::unique_ptr<asio::io_context>> contexts;
    std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
    tcp::endpoint endpoint(asio::ip::make_address(address), static_cast<unsigned short>(port));
    for (int t = 0; t < threads; ++t) {
      contexts.push_back(std::make_unique<asio::io_context>(1));
      auto acceptor = std::make_unique<tcp::acceptor>(*contexts.back());
      acceptor->open(endpoint.protocol());
      acceptor->set_option(tcp::acceptor::reuse_address(true));
      acceptor->set_option(reuse_port(true));
      acceptor->bind(endpoint);
      acceptor->listen(asio::socket_base::max_listen_connections);
      endpoint = acceptor->local_endpoint();  // port 0: the others share the one chosen
      acceptors.push_back(std::move(acceptor));
    }
    for (int t = 0; t < threads; ++t)
      asio::co_spawn(*contexts[t], accept_loop(*acceptors[t], tls ? &*tls : nullptr, replies), asio::detached);

    asio::io_context signals_context(1);
    asio::signal_set signals(signals_context, SIGINT, SIGTERM);
    signals.async_wait([&](const error_code&, int) {
      for (auto& c : contexts) c->stop();
    });

    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) workers.emplace_back([&, t] { contexts[t]->run(); });
    if (!ready_file.empty()) write_ready_file(ready_file, endpoint.port());
    std::cerr << "fast_upstream: listening on " << address << ":" << endpoint.port() << " ("
              << threads << " thread" << (threads == 1 ? "" : "s") << (tls ? ", TLS" : "") << ")\n";
    signals_context.run();
    for (auto& w : workers) w.join();
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "fast_upstream: " << e.what() << "\n";
    return 1;
  }
}
