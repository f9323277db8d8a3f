// Upstream credential sources one by one — environment, shared credentials
// file, ECS container endpoint, IMDSv2 — and the default chain's order, with
// a scripted HTTP client in place of the network.
#include <catch2/catch.hpp>

#include "fake_fetch.hpp"
#include "aws/time_format.hpp"
#include "proxy/auth/aws_imports.hpp"
#include "aws/upstream_credentials.hpp"
#include "test_support.hpp"

using namespace dynaudit::proxy;
using dynaudit::proxy::test::credentials_json;
using dynaudit::proxy::test::FakeFetch;
using dynaudit::proxy::test::ScopedEnv;
using dynaudit::proxy::test::TempDir;

namespace {
const std::string kImds = "http://169.254.169.254";
const std::string kRoleUrl = kImds + "/latest/meta-data/iam/security-credentials/";

void serve_imds(FakeFetch& fake, const std::string& base, const std::string& access_key) {
  fake.on("PUT", base + "/latest/api/token", 200, "imds-session-token");
  fake.on("GET", base + "/latest/meta-data/iam/security-credentials/", 200, "app-role\n");
  fake.on("GET", base + "/latest/meta-data/iam/security-credentials/app-role", 200,
          credentials_json(access_key, "2099-01-01T00:00:00Z", "Success"));
}
}  // namespace

TEST_CASE("environment credentials", "[upstream][env]") {
  ScopedEnv env;
  env.clear_aws();
  CHECK_FALSE(load_from_environment().credentials);

  env.set("AWS_ACCESS_KEY_ID", "AKIDENV");
  const CredentialResult partial = load_from_environment();
  CHECK_FALSE(partial.credentials);
  CHECK(partial.error.find("AWS_SECRET_ACCESS_KEY is not set") != std::string::npos);

  env.set("AWS_SECRET_ACCESS_KEY", "env-secret");
  env.set("AWS_SESSION_TOKEN", "env-token");
  const CredentialResult r = load_from_environment();
  REQUIRE(r.credentials);
  CHECK(r.source_name == "environment");
  CHECK(r.credentials->access_key_id == "AKIDENV");
  CHECK(r.credentials->secret_access_key == "env-secret");
  CHECK(r.credentials->session_token == "env-token");
  CHECK_FALSE(r.credentials->expiration);
}

TEST_CASE("shared credentials file profiles", "[upstream][profile]") {
  ScopedEnv env;
  env.clear_aws();
  TempDir dir;
  const std::string file = dir.write("credentials", "\xEF\xBB\xBF# comment line\n"
                                                    "; another comment\n"
                                                    "[default]\n"
                                                    "aws_access_key_id = AKIDDEFAULT\n"
                                                    "aws_secret_access_key=default/secret+KEY   # inline note\n"
                                                    "\n"
                                                    "[  work  ]\r\n"
                                                    "  AWS_ACCESS_KEY_ID   =   AKIDWORK  \r\n"
                                                    "aws_secret_access_key : work-secret\r\n"
                                                    "aws_session_token = work-token\r\n"
                                                    "s3 =\n"
                                                    "    max_concurrent_requests = 20\n"
                                                    "[broken]\n"
                                                    "aws_access_key_id = AKIDBROKEN\n");
  const CredentialResult def = load_from_profile(file, "default");
  REQUIRE(def.credentials);
  CHECK(def.source_name == "profile:default");
  CHECK(def.credentials->access_key_id == "AKIDDEFAULT");
  CHECK(def.credentials->secret_access_key == "default/secret+KEY");
  CHECK(def.credentials->session_token.empty());

  const CredentialResult work = load_from_profile(file, "work");
  REQUIRE(work.credentials);
  CHECK(work.credentials->access_key_id == "AKIDWORK");
  CHECK(work.credentials->secret_access_key == "work-secret");
  CHECK(work.credentials->session_token == "work-token");

  const CredentialResult broken = load_from_profile(file, "broken");
  CHECK_FALSE(broken.credentials);
  CHECK(broken.error == "profile:broken: [broken] in " + file + " lacks aws_secret_access_key");

  const CredentialResult missing = load_from_profile(file, "nope");
  CHECK_FALSE(missing.credentials);
  CHECK(missing.error == "profile:nope: no [nope] section in " + file);

  const CredentialResult no_file = load_from_profile(dir.file("absent"), "default");
  CHECK_FALSE(no_file.credentials);

  const std::string bad = dir.write("bad", "[default]\naws_access_key_id = A\nwJalrXUtnFEMI/K7MDENG\n");
  const CredentialResult unparsable = load_from_profile(bad, "default");
  CHECK_FALSE(unparsable.credentials);
  CHECK(unparsable.error == "profile:default: " + bad + ":3: expected 'key = value'");
  CHECK(unparsable.error.find("wJalr") == std::string::npos);
}

TEST_CASE("ECS relative URI", "[upstream][ecs]") {
  ScopedEnv env;
  env.clear_aws();
  env.set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/abc-123");
  FakeFetch fake;
  fake.on("GET", "http://169.254.170.2/v2/credentials/abc-123", 200,
          credentials_json("ASIAECS", "2030-05-06T07:08:09Z"));
  const CredentialResult r = load_from_ecs(fake.fetch());
  REQUIRE(r.credentials);
  CHECK(r.source_name == "ecs");
  CHECK(r.credentials->access_key_id == "ASIAECS");
  CHECK(r.credentials->secret_access_key == "secret-of-ASIAECS");
  CHECK(r.credentials->session_token == "token-of-ASIAECS");
  REQUIRE(r.credentials->expiration);
  CHECK(time_format::format_iso8601(*r.credentials->expiration) == "2030-05-06T07:08:09Z");
  const auto requests = fake.requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].headers.count("Authorization") == 0);
}

TEST_CASE("ECS full URI with an authorization token or token file", "[upstream][ecs]") {
  ScopedEnv env;
  env.clear_aws();
  TempDir dir;
  FakeFetch fake;
  const std::string url = "http://127.0.0.1:51679/creds";
  fake.on("GET", url, 200, credentials_json("ASIAFULL", "2030-01-01T00:00:00Z"));
  env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", url);

  env.set("AWS_CONTAINER_AUTHORIZATION_TOKEN", "literal-token");
  REQUIRE(load_from_ecs(fake.fetch()).credentials);
  CHECK(fake.requests().back().headers.at("Authorization") == "literal-token");

  // The file wins over the literal token, and is re-read on every fetch.
  const std::string token_file = dir.write("token", "file-token-1\n");
  env.set("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", token_file);
  REQUIRE(load_from_ecs(fake.fetch()).credentials);
  CHECK(fake.requests().back().headers.at("Authorization") == "file-token-1");
  dir.write("token", "file-token-2");
  REQUIRE(load_from_ecs(fake.fetch()).credentials);
  CHECK(fake.requests().back().headers.at("Authorization") == "file-token-2");

  dir.write("token", "bad\r\nInjected: header");
  CHECK_FALSE(load_from_ecs(fake.fetch()).credentials);
}

TEST_CASE("ECS full URI over plain HTTP must stay on this host", "[upstream][ecs]") {
  ScopedEnv env;
  env.clear_aws();
  FakeFetch fake;
  env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://198.51.100.7/creds");
  const CredentialResult r = load_from_ecs(fake.fetch());
  CHECK_FALSE(r.credentials);
  CHECK(r.error.find("198.51.100.7") != std::string::npos);
  CHECK(fake.requests().empty());

  env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://[fd00:ec2::23]/creds");
  fake.on("GET", "http://[fd00:ec2::23]/creds", 200, credentials_json("ASIAPOD", ""));
  CHECK(load_from_ecs(fake.fetch()).credentials);
}

TEST_CASE("ECS failures are reported without the body", "[upstream][ecs]") {
  ScopedEnv env;
  env.clear_aws();
  env.set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/creds");
  FakeFetch fake;
  CHECK(load_from_ecs(fake.fetch()).error.find("connection refused") != std::string::npos);
  fake.on("GET", "http://169.254.170.2/creds", 500, "{\"SecretAccessKey\":\"LEAKED\"}");
  const CredentialResult status = load_from_ecs(fake.fetch());
  CHECK(status.error == "ecs: http://169.254.170.2/creds answered HTTP 500");
  fake.on("GET", "http://169.254.170.2/creds", 200, "{\"SecretAccessKey\":\"LEAKED\"}");
  const CredentialResult partial = load_from_ecs(fake.fetch());
  CHECK_FALSE(partial.credentials);
  CHECK(partial.error.find("LEAKED") == std::string::npos);
  fake.on("GET", "http://169.254.170.2/creds", 200, "not json LEAKED");
  CHECK(load_from_ecs(fake.fetch()).error.find("LEAKED") == std::string::npos);
  fake.on("GET", "http://169.254.170.2/creds", 200, credentials_json("ASIA", "tomorrow"));
  CHECK(load_from_ecs(fake.fetch()).error.find("Expiration") != std::string::npos);
}

TEST_CASE("IMDSv2: token PUT first, then role, then credentials with the token", "[upstream][imds]") {
  FakeFetch fake;
  serve_imds(fake, kImds, "ASIAIMDS");
  const CredentialResult r = load_from_imds(fake.fetch(), kImds + "/");
  REQUIRE(r.credentials);
  CHECK(r.source_name == "imds");
  CHECK(r.credentials->access_key_id == "ASIAIMDS");
  CHECK(r.credentials->session_token == "token-of-ASIAIMDS");
  REQUIRE(r.credentials->expiration);

  const auto requests = fake.requests();
  REQUIRE(requests.size() == 3);
  CHECK(requests[0].method == "PUT");
  CHECK(requests[0].url == kImds + "/latest/api/token");
  CHECK(requests[0].headers.at("X-aws-ec2-metadata-token-ttl-seconds") == "21600");
  CHECK(requests[1].method == "GET");
  CHECK(requests[1].url == kRoleUrl);
  CHECK(requests[1].headers.at("X-aws-ec2-metadata-token") == "imds-session-token");
  CHECK(requests[2].method == "GET");
  CHECK(requests[2].url == kRoleUrl + "app-role");
  CHECK(requests[2].headers.at("X-aws-ec2-metadata-token") == "imds-session-token");
}

TEST_CASE("IMDS failure modes", "[upstream][imds]") {
  FakeFetch fake;
  SECTION("unreachable") {
    const CredentialResult r = load_from_imds(fake.fetch(), kImds);
    CHECK_FALSE(r.credentials);
    CHECK(r.error.find("connection refused") != std::string::npos);
    CHECK(fake.requests().size() == 1);  // no GET without a token attempt answered
  }
  SECTION("no role attached") {
    fake.on("PUT", kImds + "/latest/api/token", 200, "t");
    fake.on("GET", kRoleUrl, 404, "");
    CHECK(load_from_imds(fake.fetch(), kImds).error == "imds: no IAM role is attached to this instance");
  }
  SECTION("Code other than Success") {
    serve_imds(fake, kImds, "ASIA");
    fake.on("GET", kRoleUrl + "app-role", 200, credentials_json("ASIA", "2099-01-01T00:00:00Z", "Failure"));
    CHECK(load_from_imds(fake.fetch(), kImds).error == "imds: credentials response has Code 'Failure'");
  }
  SECTION("token endpoint refuses with 400: no fallback") {
    fake.on("PUT", kImds + "/latest/api/token", 400, "");
    CHECK_FALSE(load_from_imds(fake.fetch(), kImds).credentials);
    CHECK(fake.requests().size() == 1);
  }
  SECTION("an IMDS without v2 (404 to the PUT) falls back to v1, as botocore does") {
    serve_imds(fake, kImds, "ASIAV1");
    fake.on("PUT", kImds + "/latest/api/token", 404, "");
    const CredentialResult r = load_from_imds(fake.fetch(), kImds);
    REQUIRE(r.credentials);
    const auto requests = fake.requests();
    REQUIRE(requests.size() == 3);
    CHECK(requests[1].headers.count("X-aws-ec2-metadata-token") == 0);
  }
}

TEST_CASE("the default chain: env, then profile, then ECS, then IMDS", "[upstream][chain]") {
  ScopedEnv env;
  env.clear_aws();
  TempDir dir;
  FakeFetch fake;
  const std::string imds = "http://127.0.0.1:1338";
  serve_imds(fake, imds, "ASIAIMDS");
  env.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds);
  env.set("AWS_SHARED_CREDENTIALS_FILE", dir.file("credentials"));  // absent for now
  UpstreamCredentialSettings settings;
  std::string error;

  auto provider = make_upstream_credential_provider(settings, fake.fetch(), error);
  REQUIRE(provider);
  CHECK(provider->describe() == "imds");
  CHECK(provider->current()->access_key_id == "ASIAIMDS");

  env.set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/ecs");
  fake.on("GET", "http://169.254.170.2/ecs", 200, credentials_json("ASIAECS", "2099-01-01T00:00:00Z"));
  provider = make_upstream_credential_provider(settings, fake.fetch(), error);
  REQUIRE(provider);
  CHECK(provider->describe() == "ecs");
  CHECK(provider->current()->access_key_id == "ASIAECS");

  dir.write("credentials", "[default]\naws_access_key_id=AKIDPROFILE\naws_secret_access_key=p\n");
  provider = make_upstream_credential_provider(settings, fake.fetch(), error);
  REQUIRE(provider);
  CHECK(provider->describe() == "profile:default");
  CHECK(provider->current()->access_key_id == "AKIDPROFILE");

  env.set("AWS_ACCESS_KEY_ID", "AKIDENV");
  env.set("AWS_SECRET_ACCESS_KEY", "e");
  provider = make_upstream_credential_provider(settings, fake.fetch(), error);
  REQUIRE(provider);
  CHECK(provider->describe() == "environment");
  CHECK(provider->current()->access_key_id == "AKIDENV");
}

TEST_CASE("the chain stops at a source that is present but broken", "[upstream][chain]") {
  ScopedEnv env;
  env.clear_aws();
  TempDir dir;
  FakeFetch fake;
  serve_imds(fake, kImds, "ASIAIMDS");
  env.set("AWS_SHARED_CREDENTIALS_FILE", dir.file("absent"));
  UpstreamCredentialSettings settings;
  std::string error;

  env.set("AWS_ACCESS_KEY_ID", "AKIDHALF");
  CHECK_FALSE(make_upstream_credential_provider(settings, fake.fetch(), error));
  CHECK(error.find("AWS_SECRET_ACCESS_KEY is not set") != std::string::npos);
  env.unset("AWS_ACCESS_KEY_ID");

  env.set("AWS_PROFILE", "chosen");
  CHECK_FALSE(make_upstream_credential_provider(settings, fake.fetch(), error));
  CHECK(error.find("profile:chosen") != std::string::npos);
  env.unset("AWS_PROFILE");

  env.set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/down");
  CHECK_FALSE(make_upstream_credential_provider(settings, fake.fetch(), error));
  CHECK(error.rfind("ecs:", 0) == 0);
  env.unset("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");

  env.set("AWS_EC2_METADATA_DISABLED", "true");
  CHECK_FALSE(make_upstream_credential_provider(settings, fake.fetch(), error));
  CHECK(error.rfind("no upstream credentials found (", 0) == 0);
  CHECK(error.find("disabled by AWS_EC2_METADATA_DISABLED") != std::string::npos);
}

TEST_CASE("explicit sources", "[upstream]") {
  ScopedEnv env;
  env.clear_aws();
  std::string error;
  UpstreamCredentialSettings settings;
  settings.source = CredentialSource::static_keys;
  CHECK_FALSE(make_upstream_credential_provider(settings, nullptr, error));
  settings.static_credentials = {"AKIDSTATIC", "static-secret", "", std::nullopt};
  auto provider = make_upstream_credential_provider(settings, nullptr, error);
  REQUIRE(provider);
  CHECK(provider->describe() == "static");
  CHECK(provider->current()->secret_access_key == "static-secret");

  settings.source = CredentialSource::imds;
  CHECK_FALSE(make_upstream_credential_provider(settings, nullptr, error));
  CHECK(error == "imds: no HTTP client available");

  TempDir dir;
  settings.source = CredentialSource::profile;
  settings.shared_credentials_file = dir.write("creds", "[p]\naws_access_key_id=A\naws_secret_access_key=B\n");
  settings.profile = "p";
  provider = make_upstream_credential_provider(settings, nullptr, error);
  REQUIRE(provider);
  CHECK(provider->describe() == "profile:p");
}
