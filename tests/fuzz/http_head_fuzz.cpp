// libFuzzer target for the HTTP/1.1 request as the proxy reads it: the bytes
// of a client connection go through Beast's request parser with the proxy's
// limits (split in two reads, as a socket delivers them, and compared with
// the parse in one), then through what the handler does before it reads the
// body's meaning: view_of, the request gate, trust-mode and verify-mode
// identification, the X-Amz-Target allowlist. Each parsed request is then
// rewritten and signed for the upstream, serialized, and parsed again: the
// upstream must see the method, target, body and headers the proxy judged,
// and the proxy's own signature must verify. Pipelined requests follow.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <boost/beast/http/write.hpp>

#include "ddb/request_facts.hpp"
#include "fuzz_check.hpp"
#include "proxy/config/serve_config.hpp"
#include "proxy/auth/query_credentials.hpp"
#include "proxy/pipeline/request_gate.hpp"
#include "proxy/pipeline/stages.hpp"

namespace {

using namespace dynaudit;
using namespace dynaudit::proxy;

constexpr std::string_view kClientSecret = "fuzz-secret-never-echoed";
constexpr std::string_view kUpstreamSecret = "upstream-secret-never-echoed";
// Seeds are signed for this instant (tests/fuzz/make_http_head_seeds.py).
const auto kNow = *sigv4::parse_amz_date("20240101T000000Z");

const SigV4Verifier& client_verifier() {
  static const SigV4Verifier verifier(
      CredentialStore::from_keys({IssuedKey{"AKIDFUZZ", std::string(kClientSecret), "", "fuzzer", {"analysts"}}}),
      VerifierSettings{});
  return verifier;
}

const SigV4Verifier& upstream_verifier() {
  static const SigV4Verifier verifier(
      CredentialStore::from_keys({IssuedKey{"AKIDUPSTREAM", std::string(kUpstreamSecret), "", "upstream", {}}}),
      VerifierSettings{});
  return verifier;
}

// header_lookup.hpp's http namespace would clash with Beast's here.
bool iequals(std::string_view a, std::string_view b) {
  const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

bool is_token_char(char c) {
  if (c >= '0' && c <= '9') return true;
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool has_line_break(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

struct Parsed {
  error_code ec;
  std::size_t consumed = 0;
  std::optional<HttpRequest> request;
};

// One request from the front of `bytes`, fed as two reads: [0, split) and
// then everything. A parser that needs more after the last byte gets EOF,
// as at the end of a connection.
Parsed parse_request(std::string_view bytes, std::size_t split) {
  static const LimitsConfig limits;  // the proxy's defaults
  http::request_parser<http::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
  parser.body_limit(limits.max_body_bytes);
  parser.eager(true);
  Parsed out;
  std::size_t available = std::min(split, bytes.size());
  for (;;) {
    error_code ec;
    const std::size_t n =
        parser.put(asio::buffer(bytes.data() + out.consumed, available - out.consumed), ec);
    out.consumed += n;
    FUZZ_CHECK(out.consumed <= available);
    if (!ec && parser.is_done()) break;
    if (ec && ec != http::error::need_more) {
      out.ec = ec;
      return out;
    }
    if (available < bytes.size()) {
      available = bytes.size();
      continue;
    }
    if (n > 0 && out.consumed < available) continue;  // a partial put: offer the rest
    parser.put_eof(ec);
    if (ec || !parser.is_done()) {
      out.ec = ec ? ec : http::error::partial_message;
      return out;
    }
    break;
  }
  out.request = parser.release();
  return out;
}

bool same_message(const HttpRequest& a, const HttpRequest& b) {
  if (a.method_string() != b.method_string() || a.target() != b.target() || a.body() != b.body()) return false;
  auto x = a.begin();
  auto y = b.begin();
  for (; x != a.end() && y != b.end(); ++x, ++y)
    if (x->name_string() != y->name_string() || x->value() != y->value()) return false;
  return x == a.end() && y == b.end();
}

std::size_t count_header(const RequestView& view, std::string_view name) {
  std::size_t n = 0;
  for (const HeaderView& h : view.headers) n += iequals(h.name, name);
  return n;
}

bool mentions(const RequestView& view, std::string_view text) {
  if (view.target.find(text) != std::string_view::npos || view.body.find(text) != std::string_view::npos)
    return true;
  for (const HeaderView& h : view.headers)
    if (h.value.find(text) != std::string_view::npos) return true;
  return false;
}

// What the handler reads and decides before it forwards anything.
void check_gate(const HttpRequest& request) {
  std::vector<HeaderView> headers;
  const RequestView view = view_of(request, headers);
  FUZZ_CHECK(headers.size() == static_cast<std::size_t>(std::distance(request.begin(), request.end())));
  FUZZ_CHECK(!view.method.empty() && !view.target.empty());
  for (char c : view.method) FUZZ_CHECK(is_token_char(c));
  for (unsigned char c : view.target) FUZZ_CHECK(c > ' ' && c != 0x7f);  // obs-text (>= 0x80) is allowed
  for (const HeaderView& h : headers) {
    FUZZ_CHECK(!h.name.empty());
    for (char c : h.name) FUZZ_CHECK(is_token_char(c));
    FUZZ_CHECK(!has_line_break(h.value));  // no header can smuggle another line
  }

  // refuse_method_not_post refuses exactly the methods that are not POST.
  const auto not_post = refuse_method_not_post(view);
  FUZZ_CHECK(not_post.has_value() == (view.method != "POST"));
  if (not_post) FUZZ_CHECK(ddb::http_status(not_post->kind) == 400);

  // refuse_target_not_a_path refuses exactly the targets without a leading '/'.
  const auto not_a_path = refuse_target_not_a_path(view);
  FUZZ_CHECK(not_a_path.has_value() == !view.target.starts_with('/'));
  if (not_a_path) FUZZ_CHECK(ddb::http_status(not_a_path->kind) == 400);

  // refuse_duplicate_headers refuses exactly when a singleton repeats.
  bool repeated = false;
  for (std::string_view name : kSingletonHeaders) repeated = repeated || count_header(view, name) > 1;
  const auto duplicate = refuse_duplicate_headers(view);
  FUZZ_CHECK(duplicate.has_value() == repeated);
  if (duplicate) FUZZ_CHECK(!ddb::error_body(*duplicate).empty() && ddb::http_status(duplicate->kind) == 400);

  const Principal trusted = trusted_principal(view);
  FUZZ_CHECK(trusted.access_key_id.find_first_of("/, ") == std::string::npos);
  FUZZ_CHECK(trusted.name == trusted.access_key_id && !trusted.verified);

  const auto verified = client_verifier().verify(view, kNow);
  FUZZ_CHECK(verified.principal.has_value() != verified.error.has_value());
  if (verified.error) {
    // Messages echo parts of the request, as AWS's do; never the secret
    // unless the caller wrote it there.
    if (!mentions(view, kClientSecret))
      FUZZ_CHECK(verified.error->message.find(kClientSecret) == std::string::npos);
    FUZZ_CHECK(ddb::http_status(verified.error->kind) >= 400);
  }
  if (verified.principal) {
    FUZZ_CHECK(verified.principal->verified && verified.principal->access_key_id == "AKIDFUZZ");
    FUZZ_CHECK(count_header(view, "authorization") >= 1);
  }

  // The catalog is the allowlist: what passes names a cataloged operation
  // of one of the two API versions, exactly.
  const auto field = request["X-Amz-Target"];
  const std::string target(field.data(), field.size());
  std::optional<ddb::FactsResult> facts;
  if (!target.empty()) facts = ddb::extract_request_facts(target, request.body());
  const auto unknown = refuse_unknown_operation(facts ? &facts->facts : nullptr, false);
  FUZZ_CHECK(!refuse_unknown_operation(facts ? &facts->facts : nullptr, true));
  if (!unknown) {
    const ddb::OperationInfo* info = facts->facts.info;
    const std::string_view prefix =
        info->family == ddb::ApiFamily::dynamodb ? ddb::kDynamoDbTargetPrefix : ddb::kStreamsTargetPrefix;
    FUZZ_CHECK(target == std::string(prefix) + "." + std::string(info->name));
  } else {
    FUZZ_CHECK(ddb::http_status(unknown->kind) == 400);
  }
}

bool named_in_connection(const HttpRequest& request, std::string_view name) {
  for (auto token : http::token_list(request[http::field::connection]))
    if (iequals(std::string_view(token.data(), token.size()), name)) return true;
  return false;
}

bool is_rewritten_header(std::string_view name) {
  for (std::string_view own : {"host", "authorization", "x-amz-date", "x-amz-security-token", "content-length",
                               "connection", "keep-alive", "proxy-connection", "te", "trailer",
                               "transfer-encoding", "upgrade"})
    if (iequals(name, own)) return true;
  return false;
}

std::vector<std::string_view> values_of(const HttpRequest& request, std::string_view name) {
  std::vector<std::string_view> values;
  for (const auto& field : request)
    if (iequals(std::string_view(field.name_string().data(), field.name_string().size()), name))
      values.emplace_back(field.value().data(), field.value().size());
  return values;
}

// The upstream reads what the proxy judged: the request as forwarded,
// serialized and parsed again, has the same method, target, body and (but
// for the headers the proxy owns) the same headers, and verifies.
void check_upstream_copy(const HttpRequest& client) {
  static const UpstreamEndpoint endpoint{false, "127.0.0.1", "8000", "127.0.0.1:8000"};
  static const AwsCredentials credentials{"AKIDUPSTREAM", std::string(kUpstreamSecret), "", std::nullopt};
  static sigv4::SigningKeyCache keys;
  HttpRequest upstream = client;
  prepare_upstream_request(upstream, endpoint, credentials, "us-east-1", kNow, keys);
  std::ostringstream wire;
  wire << upstream;
  const std::string bytes = wire.str();
  const Parsed reparsed = parse_request(bytes, bytes.size());
  FUZZ_CHECK(!reparsed.ec && reparsed.request && reparsed.consumed == bytes.size());
  const HttpRequest& seen = *reparsed.request;
  // The target loses only the caller's query credentials (X-Amz-*), which
  // the proxy replaces with its own signature.
  const std::string_view client_target(client.target().data(), client.target().size());
  const std::string forwarded_target = client_target.find('?') == std::string_view::npos
                                           ? std::string(client_target)
                                           : without_query_credentials(client_target);
  FUZZ_CHECK(seen.method_string() == client.method_string() && seen.target() == forwarded_target);
  FUZZ_CHECK(forwarded_target.size() <= client_target.size());
  FUZZ_CHECK(seen.body() == client.body());
  FUZZ_CHECK(same_message(seen, upstream));
  for (const auto& field : client) {
    const std::string_view name(field.name_string().data(), field.name_string().size());
    if (is_rewritten_header(name)) continue;
    if (named_in_connection(client, name)) {
      FUZZ_CHECK(values_of(seen, name).empty());  // hop-by-hop by the client's word (RFC 9110 §7.6.1)
      continue;
    }
    FUZZ_CHECK(values_of(seen, name) == values_of(client, name));
  }
  FUZZ_CHECK(values_of(seen, "host").size() == 1 && values_of(seen, "authorization").size() == 1);

  // The proxy's signature verifies, but for what the client put in and the
  // proxy passes on: a query-string signature, or an x-amz-content-sha256
  // that does not match the body.
  std::vector<HeaderView> headers;
  const RequestView view = view_of(seen, headers);
  const auto verdict = upstream_verifier().verify(view, kNow);
  if (!verdict.principal) {
    const std::string& message = verdict.error->message;
    const bool query_auth = message.starts_with("Found both 'X-Amz-Algorithm'");
    const bool body_hash = count_header(view, "x-amz-content-sha256") > 0 &&
                           message.starts_with("The request signature we calculated does not match");
    FUZZ_CHECK(query_auth || body_hash);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  // A keep-alive connection carries several requests; a few are enough.
  for (int i = 0; i < 4 && !bytes.empty(); ++i) {
    const Parsed whole = parse_request(bytes, bytes.size());
    // However the bytes arrive, the same request is read, or none. (Which
    // error differs: after a partial header Beast waits for its end before
    // it parses on, so a bad field found in one read becomes, in two, a
    // header that never ends.)
    const Parsed split = parse_request(bytes, (bytes.size() * 7 + 3) / 13);
    FUZZ_CHECK(whole.request.has_value() == split.request.has_value());
    if (!whole.request) return 0;
    FUZZ_CHECK(whole.consumed == split.consumed && whole.consumed > 0);
    FUZZ_CHECK(same_message(*whole.request, *split.request));
    FUZZ_CHECK(whole.request->body().size() <= LimitsConfig{}.max_body_bytes);

    check_gate(*whole.request);
    // Only a POST to a path is forwarded (the gate refuses any other
    // method and request-target).
    if (whole.request->method_string() == "POST" && whole.request->target().starts_with('/'))
      check_upstream_copy(*whole.request);
    if (!whole.request->keep_alive()) return 0;
    bytes.remove_prefix(whole.consumed);
  }
  return 0;
}
