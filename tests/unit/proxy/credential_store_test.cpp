// The proxy's credentials file: a valid file loads, and each mistake is
// reported with file, 1-based line and key, never with a secret value.
#include <catch2/catch.hpp>

#include "proxy/auth/credential_store.hpp"
#include "test_support.hpp"

using namespace dynaudit::proxy;
using dynaudit::proxy::test::TempDir;

namespace {

struct Loaded {
  std::shared_ptr<const CredentialStore> store;
  std::string error;
  std::string path;
};

Loaded load(const TempDir& dir, const std::string& yaml) {
  Loaded l;
  l.path = dir.write("credentials.yaml", yaml);
  l.store = CredentialStore::load_file(l.path, l.error);
  return l;
}

void require_error(const Loaded& l, const std::string& expected_suffix) {
  INFO(l.error);
  CHECK_FALSE(l.store);
  CHECK(l.error == l.path + ":" + expected_suffix);
  CHECK(l.error.find("SUPERSECRET") == std::string::npos);
}

}  // namespace

TEST_CASE("a valid credentials file loads", "[credential_store]") {
  TempDir dir;
  const Loaded l = load(dir, R"(# keys dynaudit issues to its callers
keys:
  - access_key_id: AKIDALICE
    secret_access_key: "alice/SUPERSECRET+1"
    principal: alice
    groups: [analysts, pci]
  - access_key_id: ASIABOB
    secret_access_key: bobSUPERSECRET
    principal: bob
    session_token: "FQoGZXIvYXdz//token=="
)");
  INFO(l.error);
  REQUIRE(l.store);
  CHECK(l.store->size() == 2);
  const IssuedKey* alice = l.store->find("AKIDALICE");
  REQUIRE(alice);
  CHECK(alice->secret_access_key == "alice/SUPERSECRET+1");
  CHECK(alice->principal_name == "alice");
  CHECK(alice->groups == std::vector<std::string>{"analysts", "pci"});
  CHECK(alice->session_token.empty());
  const IssuedKey* bob = l.store->find("ASIABOB");
  REQUIRE(bob);
  CHECK(bob->groups.empty());
  CHECK(bob->session_token == "FQoGZXIvYXdz//token==");
  CHECK(l.store->find("akidalice") == nullptr);  // access keys are case-sensitive
  CHECK(l.store->find("") == nullptr);
}

TEST_CASE("an empty key list is a valid, empty store", "[credential_store]") {
  TempDir dir;
  const Loaded l = load(dir, "keys: []\n");
  REQUIRE(l.store);
  CHECK(l.store->size() == 0);
}

TEST_CASE("credentials file errors name file, line and key", "[credential_store]") {
  TempDir dir;
  SECTION("unknown key in an entry") {
    require_error(load(dir, "keys:\n  - access_key_id: A\n    secret_access_key: SUPERSECRET\n"
                            "    principal: a\n    group: [x]\n"),
                  "5: unknown key 'group' in keys[0]");
  }
  SECTION("unknown top-level key") {
    require_error(load(dir, "keys: []\nusers: []\n"), "2: unknown key 'users' (expected 'keys')");
  }
  SECTION("missing secret") {
    require_error(load(dir, "keys:\n  - access_key_id: A\n    principal: a\n"),
                  "2: missing required key 'secret_access_key' in keys[0]");
  }
  SECTION("missing access key in the second entry") {
    require_error(load(dir, "keys:\n  - access_key_id: A\n    secret_access_key: SUPERSECRET\n    principal: a\n"
                            "  - secret_access_key: SUPERSECRET\n    principal: b\n"),
                  "5: missing required key 'access_key_id' in keys[1]");
  }
  SECTION("missing principal") {
    require_error(load(dir, "keys:\n  - access_key_id: A\n    secret_access_key: SUPERSECRET\n"),
                  "2: missing required key 'principal' in keys[0]");
  }
  SECTION("empty secret") {
    require_error(load(dir, "keys:\n  - access_key_id: A\n    secret_access_key: \"\"\n    principal: a\n"),
                  "3: keys[0].secret_access_key must not be empty");
  }
  SECTION("duplicate access key") {
    require_error(load(dir, "keys:\n  - access_key_id: A\n    secret_access_key: SUPERSECRET1\n    principal: a\n"
                            "  - access_key_id: A\n    secret_access_key: SUPERSECRET2\n    principal: b\n"),
                  "5: duplicate access_key_id 'A' in keys[1] (first defined at line 2)");
  }
  SECTION("a field given twice in one entry") {
    require_error(load(dir, "keys:\n  - access_key_id: A\n    secret_access_key: SUPERSECRET1\n"
                            "    principal: a\n    secret_access_key: SUPERSECRET2\n"),
                  "5: duplicate key 'secret_access_key' in keys[0]");
  }
  SECTION("groups not a list") {
    require_error(load(dir, "keys:\n  - access_key_id: A\n    secret_access_key: SUPERSECRET\n"
                            "    principal: a\n    groups: pci\n"),
                  "5: keys[0].groups must be a list of strings");
  }
  SECTION("a secret that is not a string") {
    require_error(load(dir, "keys:\n  - access_key_id: A\n    secret_access_key: [SUPERSECRET]\n    principal: a\n"),
                  "3: keys[0].secret_access_key must be a string");
  }
  SECTION("keys not a list") {
    require_error(load(dir, "keys:\n  access_key_id: A\n"), "2: 'keys' must be a list");
  }
  SECTION("YAML syntax error") {
    require_error(load(dir, "keys:\n  - {access_key_id: A, secret_access_key: SUPERSECRET\n"),
                  "3: invalid YAML: end of map flow not found");
  }
}

TEST_CASE("an empty or missing file is an error", "[credential_store]") {
  TempDir dir;
  const Loaded empty = load(dir, "");
  CHECK_FALSE(empty.store);
  CHECK(empty.error == empty.path + ": expected a mapping with a 'keys' list");

  std::string error;
  CHECK_FALSE(CredentialStore::load_file(dir.file("absent.yaml"), error));
  CHECK(error == dir.file("absent.yaml") + ": cannot open credentials file");
}
