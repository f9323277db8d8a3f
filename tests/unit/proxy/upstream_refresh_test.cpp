// The refreshing provider: temporary credentials are renewed ahead of their
// expiry from the background thread; when the source fails, the old
// credentials stay in use until they expire, retries back off, and a
// recovered source is picked up again. Uses real time with short windows.
#include <catch2/catch.hpp>
#include <thread>

#include "fake_fetch.hpp"
#include "aws/time_format.hpp"
#include "proxy/auth/aws_imports.hpp"
#include "aws/upstream_credentials.hpp"
#include "test_support.hpp"

using namespace dynaudit::proxy;
using namespace std::chrono;
using dynaudit::proxy::test::credentials_json;
using dynaudit::proxy::test::FakeFetch;
using dynaudit::proxy::test::ScopedEnv;

namespace {

const std::string kImds = "http://127.0.0.1:1338";
const std::string kCredsUrl = kImds + "/latest/meta-data/iam/security-credentials/role";

std::string in(seconds delta) {
  return time_format::format_iso8601(system_clock::now() + delta);
}

// Polls `condition` until it holds or `limit` passes.
template <typename Condition>
bool eventually(Condition condition, milliseconds limit) {
  const auto deadline = steady_clock::now() + limit;
  while (steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(milliseconds{20});
  }
  return condition();
}

std::string current_key(const UpstreamCredentialProvider& p) {
  const auto creds = p.current();
  return creds ? creds->access_key_id : std::string{};
}

UpstreamCredentialSettings imds_settings() {
  UpstreamCredentialSettings s;
  s.source = CredentialSource::imds;
  s.imds_endpoint = kImds;
  s.refresh_before_expiry = seconds{2};
  s.refresh_retry_initial = milliseconds{100};
  s.refresh_retry_max = milliseconds{400};
  return s;
}

void serve_role(FakeFetch& fake) {
  fake.on("PUT", kImds + "/latest/api/token", 200, "tok");
  fake.on("GET", kImds + "/latest/meta-data/iam/security-credentials/", 200, "role");
}

}  // namespace

TEST_CASE("temporary credentials are refreshed before they expire", "[upstream][refresh]") {
  FakeFetch fake;
  serve_role(fake);
  // First credentials are due for refresh after ~1 s (expiry 3 s ahead,
  // refresh 2 s before); the next ones last an hour.
  fake.on("GET", kCredsUrl, 200, credentials_json("ASIAFIRST", in(seconds{3}), "Success"));
  std::string error;
  auto provider = make_upstream_credential_provider(imds_settings(), fake.fetch(), error);
  REQUIRE(provider);
  CHECK(current_key(*provider) == "ASIAFIRST");
  fake.on("GET", kCredsUrl, 200, credentials_json("ASIASECOND", in(hours{1}), "Success"));
  CHECK(eventually([&] { return current_key(*provider) == "ASIASECOND"; }, milliseconds{4000}));

  // Once fresh, nothing more is fetched until the next refresh point.
  fake.clear_requests();
  std::this_thread::sleep_for(milliseconds{300});
  CHECK(fake.requests().empty());
}

TEST_CASE("a failing refresh keeps the old credentials until they expire", "[upstream][refresh]") {
  FakeFetch fake;
  serve_role(fake);
  fake.on("GET", kCredsUrl, 200, credentials_json("ASIAOLD", in(seconds{3}), "Success"));
  std::string error;
  auto provider = make_upstream_credential_provider(imds_settings(), fake.fetch(), error);
  REQUIRE(provider);
  fake.on("GET", kCredsUrl, 500, "");
  fake.clear_requests();

  // Refresh attempts start ~1 s in and fail; the old key is still served.
  CHECK(eventually([&] { return fake.requests().size() >= 6; }, milliseconds{2500}));
  const auto old_expiry = *provider->current()->expiration;
  if (system_clock::now() < old_expiry - milliseconds{200}) CHECK(current_key(*provider) == "ASIAOLD");

  // Past expiry nothing is served rather than credentials AWS would reject.
  CHECK(eventually([&] { return provider->current() == nullptr; }, milliseconds{3000}));

  // Retries back off (100, 200, 400, 400 ms …) instead of spinning.
  const auto attempts = fake.requests().size();
  CHECK(attempts < 3 * 40);

  // The source recovers: the next retry picks it up.
  fake.on("GET", kCredsUrl, 200, credentials_json("ASIANEW", in(hours{1}), "Success"));
  CHECK(eventually([&] { return current_key(*provider) == "ASIANEW"; }, milliseconds{2000}));
}

TEST_CASE("refresh runs on ECS too and the token header is re-sent", "[upstream][refresh]") {
  ScopedEnv env;
  env.clear_aws();
  env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://localhost:9911/creds");
  env.set("AWS_CONTAINER_AUTHORIZATION_TOKEN", "ecs-token");
  FakeFetch fake;
  fake.on("GET", "http://localhost:9911/creds", 200, credentials_json("ASIAECS1", in(seconds{3})));
  UpstreamCredentialSettings settings = imds_settings();
  settings.source = CredentialSource::ecs;
  std::string error;
  auto provider = make_upstream_credential_provider(settings, fake.fetch(), error);
  REQUIRE(provider);
  // The environment is read once: later changes do not redirect refreshes.
  env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://localhost:1/elsewhere");
  fake.on("GET", "http://localhost:9911/creds", 200, credentials_json("ASIAECS2", in(hours{1})));
  CHECK(eventually([&] { return current_key(*provider) == "ASIAECS2"; }, milliseconds{4000}));
  for (const auto& r : fake.requests()) CHECK(r.headers.at("Authorization") == "ecs-token");
}

TEST_CASE("destroying a provider stops its refresh thread promptly", "[upstream][refresh]") {
  FakeFetch fake;
  serve_role(fake);
  fake.on("GET", kCredsUrl, 200, credentials_json("ASIALONG", in(hours{1}), "Success"));
  std::string error;
  auto provider = make_upstream_credential_provider(imds_settings(), fake.fetch(), error);
  REQUIRE(provider);
  const auto start = steady_clock::now();
  provider.reset();
  CHECK(steady_clock::now() - start < milliseconds{500});
}

TEST_CASE("credentials without an expiration are not refreshed", "[upstream][refresh]") {
  FakeFetch fake;
  serve_role(fake);
  fake.on("GET", kCredsUrl, 200, credentials_json("ASIAFOREVER", "", "Success"));
  std::string error;
  auto provider = make_upstream_credential_provider(imds_settings(), fake.fetch(), error);
  REQUIRE(provider);
  fake.clear_requests();
  std::this_thread::sleep_for(milliseconds{300});
  CHECK(fake.requests().empty());
  CHECK(current_key(*provider) == "ASIAFOREVER");
}
