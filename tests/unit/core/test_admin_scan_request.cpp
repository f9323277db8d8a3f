// The checks in front of POST /discovery/scan: loopback Host only, JSON
// only (a browser must preflight), the token compared whole, the body
// strict, and a token file nobody else can read.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "proxy/net/admin_scan_request.hpp"

using namespace dynaudit::proxy;

namespace {
const std::string kToken(40, 'k');
const std::string kBearer = "Bearer " + kToken;

std::optional<unsigned> refused(std::string_view host, std::string_view type, std::string_view auth) {
  auto r = refuse_scan_request(host, type, auth, kToken);
  if (!r) return std::nullopt;
  return r->status;
}
}  // namespace

TEST_CASE("a scan request needs a loopback Host, JSON and the whole token") {
  CHECK_FALSE(refused("127.0.0.1:9901", "application/json", kBearer));
  CHECK_FALSE(refused("localhost:9901", "application/json; charset=utf-8", kBearer));
  CHECK_FALSE(refused("[::1]:9901", "application/json", kBearer));
  CHECK_FALSE(refused("127.0.0.1", "application/json", kBearer));
  // A page that rebinds its own name to 127.0.0.1 still sends its name.
  CHECK(refused("attacker.example:9901", "application/json", kBearer) == 403u);
  CHECK(refused("127.0.0.1.attacker.example", "application/json", kBearer) == 403u);
  CHECK(refused("", "application/json", kBearer) == 403u);
  // A form post (no preflight) is refused before the token is looked at.
  CHECK(refused("127.0.0.1:9901", "text/plain", kBearer) == 415u);
  CHECK(refused("127.0.0.1:9901", "", kBearer) == 415u);
  CHECK(refused("127.0.0.1:9901", "application/json", "") == 401u);
  CHECK(refused("127.0.0.1:9901", "application/json", "Bearer ") == 401u);
  CHECK(refused("127.0.0.1:9901", "application/json", "Bearer " + kToken.substr(1)) == 401u);
  CHECK(refused("127.0.0.1:9901", "application/json", kBearer + "x") == 401u);
  CHECK(refused("127.0.0.1:9901", "application/json", "Basic " + kToken) == 401u);
  // No token configured: nothing gets through.
  CHECK(refuse_scan_request("127.0.0.1", "application/json", "Bearer ", "")->status == 401u);
}

TEST_CASE("the scan body is a table and an optional positive sample, nothing else") {
  std::string error;
  auto ask = parse_scan_ask(R"({"table":"patients","sample":150})", error);
  REQUIRE(ask);
  CHECK(ask->table == "patients");
  CHECK(ask->sample == 150);
  ask = parse_scan_ask(R"({"table":"patients"})", error);
  REQUIRE(ask);
  CHECK(ask->sample == 0);
  CHECK_FALSE(parse_scan_ask(R"({"sample":3})", error));
  CHECK(error == "table is required");
  CHECK_FALSE(parse_scan_ask(R"({"table":"t","sample":0})", error));
  CHECK_FALSE(parse_scan_ask(R"({"table":"t","sample":-1})", error));
  CHECK_FALSE(parse_scan_ask(R"({"table":7})", error));
  CHECK_FALSE(parse_scan_ask(R"({"table":"t","Limit":5})", error));
  CHECK(error == "unknown member Limit");
  CHECK_FALSE(parse_scan_ask("[1]", error));
  CHECK_FALSE(parse_scan_ask("table=t", error));
}

TEST_CASE("the token file must be private and hold one long token") {
  const auto dir = std::filesystem::temp_directory_path() / ("dynaudit-token-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto write = [&](const std::string& name, const std::string& text, mode_t mode) {
    const auto path = (dir / name).string();
    std::ofstream(path, std::ios::trunc) << text;
    ::chmod(path.c_str(), mode);
    return path;
  };
  std::string token, error;
  CHECK(load_admin_token(write("good", "  " + kToken + "\n", 0600), token, error));
  CHECK(token == kToken);
  CHECK_FALSE(load_admin_token(write("shared", kToken + "\n", 0644), token, error));
  CHECK(error.find("chmod 600") != std::string::npos);
  CHECK_FALSE(load_admin_token(write("short", "abc\n", 0600), token, error));
  CHECK_FALSE(load_admin_token(write("two", kToken + " " + kToken, 0600), token, error));
  CHECK_FALSE(load_admin_token((dir / "missing").string(), token, error));
  std::filesystem::remove_all(dir);
}
