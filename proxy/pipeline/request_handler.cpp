// The per-worker request path; see request_handler.hpp and
// docs/architecture.md for the stages.
#include "proxy/pipeline/request_handler.hpp"

#include "ddb/request_facts.hpp"
#include "proxy/log/request_log.hpp"
#include "proxy/pipeline/stages.hpp"

namespace dynaudit::proxy {
namespace {

using Clock = std::chrono::steady_clock;

double millis_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

std::string remote_of(const ConnectionInfo& c) { return c.remote_address + ":" + std::to_string(c.remote_port); }

RequestLogEntry base_entry(const ConnectionInfo& c, const ServeConfig& config) {
  RequestLogEntry e;
  e.time = std::chrono::system_clock::now();
  e.listener = c.listener;
  e.remote = remote_of(c);
  e.tls = c.tls;
  e.auth_mode = config.auth.mode == AuthMode::verify ? "verify" : "trust";
  return e;
}

}  // namespace

RequestHandler::RequestHandler(const PipelineShared& shared, asio::any_io_executor executor)
    : shared_(shared), pool_(executor, shared.endpoint, shared.upstream_tls, shared.config->upstream) {
  if (shared_.config->auth.mode == AuthMode::verify && shared_.credential_store) {
    VerifierSettings settings;
    settings.allowed_regions = shared_.config->auth.allowed_regions;
    settings.max_clock_skew = shared_.config->auth.max_clock_skew;
    verifier_.emplace(shared_.credential_store, settings);
  }
  header_scratch_.reserve(32);
}

HttpResponse RequestHandler::reject(const ddb::DdbError& error, const ConnectionInfo& connection, unsigned version,
                                    std::size_t request_bytes) {
  auto response = error_response(error, version, false);
  if (shared_.config->log_requests) {
    auto entry = base_entry(connection, *shared_.config);
    entry.status = response.result_int();
    entry.error_type = std::string(ddb::short_type(error.kind));
    entry.outcome = "rejected";
    entry.request_bytes = request_bytes;
    entry.response_bytes = response.body().size();
    entry.request_id = std::string(response["x-amzn-RequestId"]);
    write_log_line(format_request_log(entry));
  }
  return response;
}

asio::awaitable<HttpResponse> RequestHandler::handle(HttpRequest& request, const ConnectionInfo& connection) {
  const auto start = Clock::now();
  const auto& config = *shared_.config;
  const bool keep_alive = request.keep_alive();
  const unsigned version = request.version();
  auto entry = base_entry(connection, config);
  entry.request_bytes = request.body().size();

  // 2. identify
  const auto view = view_of(request, header_scratch_);
  auto identity = identify(view, config.auth.mode, verifier_ ? &*verifier_ : nullptr, std::chrono::system_clock::now());
  entry.principal = identity.principal.name;
  entry.access_key_id = identity.principal.access_key_id;
  entry.verified = identity.principal.verified;

  // 3. classify
  const std::string_view target(request["X-Amz-Target"].data(), request["X-Amz-Target"].size());
  std::optional<ddb::DdbError> rejection = identity.error;
  if (!target.empty()) {
    auto facts = ddb::extract_request_facts(target, request.body());
    entry.operation = facts.facts.operation;
    entry.tables = std::move(facts.facts.tables);
    if (!rejection && facts.error) rejection = facts.error;
  }

  HttpResponse response;
  if (rejection) {
    response = error_response(*rejection, version, keep_alive);
    entry.outcome = "rejected";
  } else {
    // 6. forward
    auto credentials = shared_.upstream_credentials ? shared_.upstream_credentials->current() : nullptr;
    if (!credentials) {
      response = error_response({ddb::ErrorKind::service_unavailable,
                                 "dynaudit has no upstream credentials at the moment"},
                                version, keep_alive);
      entry.outcome = "upstream_error";
    } else {
      prepare_upstream_request(request, shared_.endpoint, *credentials, config.upstream.region,
                               std::chrono::system_clock::now(), signing_keys_);
      auto result = co_await pool_.exchange(request);
      entry.upstream_ms = std::chrono::duration<double, std::milli>(result.elapsed).count();
      if (result.response) {
        // 7. respond
        response = client_response_from_upstream(std::move(*result.response), version, keep_alive);
        entry.outcome = "forwarded";
      } else {
        response = error_response(*result.error, version, keep_alive);
        entry.outcome = "upstream_error";
      }
    }
  }

  if (config.log_requests) {
    entry.status = response.result_int();
    entry.error_type = error_type_of(response);
    entry.response_bytes = response.body().size();
    entry.request_id = std::string(response["x-amzn-RequestId"]);
    entry.latency_ms = millis_since(start);
    write_log_line(format_request_log(entry));
  }
  co_return response;
}

}  // namespace dynaudit::proxy
