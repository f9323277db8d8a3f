// Socket-free request-path stages; see stages.hpp.
#include "proxy/pipeline/stages.hpp"

#include <ctime>
#include <random>

#include "ddb/crc32.hpp"
#include "proxy/auth/query_credentials.hpp"

namespace dynaudit::proxy {

RequestView view_of(const HttpRequest& request, std::vector<HeaderView>& out) {
  out.clear();
  for (const auto& field : request) {
    out.push_back(HeaderView{std::string_view(field.name_string().data(), field.name_string().size()),
                             std::string_view(field.value().data(), field.value().size())});
  }
  return RequestView{std::string_view(request.method_string().data(), request.method_string().size()),
                     std::string_view(request.target().data(), request.target().size()), out,
                     std::string_view(request.body())};
}

IdentifyOutcome identify(const RequestView& request, AuthMode mode, const SigV4Verifier& verifier,
                         std::chrono::system_clock::time_point now) {
  IdentifyOutcome outcome;
  // Trust mode takes the claimed key unverified, but only from a request
  // DynamoDB would accept the form of: an unsigned or presigned call must not
  // run with the proxy's own upstream credentials.
  auto checked = mode == AuthMode::trust ? verifier.check_unverified(request, now) : verifier.verify(request, now);
  if (checked.principal) {
    outcome.principal = std::move(*checked.principal);
  } else {
    // The claimed key is kept for the record, but a caller who failed to
    // prove it is nobody: no principal name.
    outcome.principal.access_key_id = checked.claimed_access_key_id;
    outcome.principal.mode = mode;
    outcome.principal.verified = false;
    outcome.error = checked.error;
  }
  return outcome;
}

namespace {

// Headers that describe one hop, not the request (RFC 9110 §7.6.1), plus the
// client's signature, which cannot be valid for the upstream's Host.
template <class Fields>
void drop_hop_by_hop(Fields& fields) {
  // Headers named in Connection are hop-by-hop too.
  std::vector<std::string> named;
  for (auto token : http::token_list(fields[http::field::connection])) named.emplace_back(token);
  for (const auto& name : named) fields.erase(name);
  fields.erase(http::field::connection);
  fields.erase(http::field::keep_alive);
  fields.erase(http::field::proxy_connection);
  fields.erase(http::field::te);
  fields.erase(http::field::trailer);
  fields.erase(http::field::transfer_encoding);
  fields.erase(http::field::upgrade);
}

}  // namespace

void prepare_upstream_request(HttpRequest& request, const UpstreamEndpoint& endpoint,
                              const AwsCredentials& credentials, std::string_view region,
                              std::chrono::system_clock::time_point now, sigv4::SigningKeyCache& keys) {
  drop_hop_by_hop(request);
  // Nothing of the caller's signature leaves the proxy: not the header, not
  // query-string credentials beside it.
  const std::string_view target(request.target().data(), request.target().size());
  if (target.find('?') != std::string_view::npos) request.target(without_query_credentials(target));
  request.erase(http::field::authorization);
  request.erase("X-Amz-Date");
  request.erase("X-Amz-Security-Token");
  request.set(http::field::host, endpoint.host_header);
  request.version(11);
  request.keep_alive(true);
  request.prepare_payload();  // Content-Length of the body as it is

  std::vector<HeaderView> headers;
  headers.reserve(16);
  const auto view = view_of(request, headers);
  const auto signature = sigv4::sign_request(view, credentials, region, "dynamodb", now, &keys);
  request.set("X-Amz-Date", signature.amz_date);
  if (!signature.security_token.empty()) request.set("X-Amz-Security-Token", signature.security_token);
  request.set(http::field::authorization, signature.authorization);
}

HttpResponse client_response_from_upstream(HttpResponse&& upstream, unsigned version, bool keep_alive) {
  HttpResponse response = std::move(upstream);
  drop_hop_by_hop(response);
  response.version(version);
  response.keep_alive(keep_alive);
  response.prepare_payload();
  return response;
}

// RFC 9110 IMF-fixdate. The JS SDK corrects its clock from a failed call's
// Date header ("Signature expired"), so the proxy's own answers carry one as
// DynamoDB's do.
std::string http_date_now() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

HttpResponse error_response(const ddb::DdbError& error, unsigned version, bool keep_alive) {
  HttpResponse response{static_cast<http::status>(ddb::http_status(error.kind)), version};
  response.set("x-amzn-RequestId", new_request_id());
  response.set(http::field::content_type, "application/x-amz-json-1.0");
  response.body() = ddb::error_body(error);
  response.set("x-amz-crc32", std::to_string(ddb::crc32(response.body())));
  response.set(http::field::date, http_date_now());
  response.keep_alive(keep_alive);
  response.prepare_payload();
  return response;
}

void replace_response_body(HttpResponse& response, std::string body) {
  response.body() = std::move(body);
  response.set("x-amz-crc32", std::to_string(ddb::crc32(response.body())));
  response.prepare_payload();
}

void replace_request_body(HttpRequest& request, std::string body) {
  request.body() = std::move(body);
  // The caller's payload hash describes the bytes it sent, not these; the
  // upstream signature covers the new body without it.
  request.erase("x-amz-content-sha256");
  request.prepare_payload();
}

std::string error_type_of(const HttpResponse& response) {
  if (response.result_int() < 400) return {};
  const std::string& body = response.body();
  auto at = body.find("\"__type\"");
  if (at == std::string::npos) return {};
  auto open = body.find('"', body.find(':', at + 8));
  if (open == std::string::npos) return {};
  auto close = body.find('"', open + 1);
  if (close == std::string::npos) return {};
  std::string_view type(body.data() + open + 1, close - open - 1);
  if (auto hash = type.rfind('#'); hash != std::string_view::npos) type.remove_prefix(hash + 1);
  return std::string(type);
}

std::string new_request_id() {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::string id(52, 'A');
  for (auto& c : id) c = kAlphabet[rng() % 36];
  return id;
}

}  // namespace dynaudit::proxy
