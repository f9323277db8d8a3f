// RuleEngine: reload success and failure, status, the file watcher.
#include "rules_test_util.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "rules/rule_engine.hpp"

using namespace rules_test;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::path("/tmp") / ("dynaudit-rules-engine-" + std::to_string(::getpid()) + "-" +
                               std::to_string(reinterpret_cast<std::uintptr_t>(this)));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string write(const std::string& name, const std::string& text) const {
    const fs::path p = path / name;
    std::ofstream(p, std::ios::trunc) << text;
    return p.string();
  }
};

std::string one_rule(const std::string& id) { return "rules:\n  - id: " + id + "\n    effect: deny\n"; }

// Waits up to five seconds for `pred`.
template <class Pred>
bool eventually(Pred pred) {
  for (int i = 0; i < 500; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pred();
}

}  // namespace

TEST_CASE("create fails on invalid files and reports the errors", "[rules][engine]") {
  TempDir dir;
  const auto f = dir.write("bad.yaml", "rules:\n  - id: x\n    effect: maybe\n");
  auto [engine, errors] = RuleEngine::create({f}, {});
  CHECK_FALSE(engine);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].line == 3);
}

TEST_CASE("reload: success swaps, failure keeps the old rules", "[rules][engine]") {
  TempDir dir;
  const auto a = dir.write("a.yaml", one_rule("first"));
  const auto b = dir.write("b.yaml", "rules: []\n");
  auto [engine, errors] = RuleEngine::create({a, b}, {});
  REQUIRE(engine);
  auto before = engine->current();
  REQUIRE(before->rules().size() == 1);
  CHECK(before->rules()[0].id == "first");
  CHECK(engine->status().rule_count == 1);

  dir.write("b.yaml", one_rule("second") + "  - id: third\n    tags: custom:x\n");
  CHECK(engine->reload());
  auto after = engine->current();
  CHECK(after->rules().size() == 3);
  CHECK(before->rules()[0].id == "first");  // the old snapshot stays valid while held
  ReloadStatus st = engine->status();
  CHECK(st.reloads == 1);
  CHECK(st.failed_reloads == 0);
  CHECK(st.rule_count == 3);
  CHECK(st.last_attempt_ok);

  dir.write("b.yaml", "rules:\n  - id: first\n    effect: deny\n  - id: \"bad\\\"quote\"\n    effect: deny\n");
  CHECK_FALSE(engine->reload());
  CHECK(engine->current() == after);  // kept
  st = engine->status();
  CHECK(st.reloads == 1);
  CHECK(st.failed_reloads == 1);
  CHECK_FALSE(st.last_attempt_ok);
  CHECK(st.rule_count == 3);
  REQUIRE(st.last_errors.size() == 2);
  CHECK(st.last_errors[0].message == "id: duplicate rule id 'first' (first defined at " + a + ":2)");

  const std::string json = engine->status_json();
  CHECK(json.starts_with("{\"rules\":3,\"files\":[\"" + a + "\",\"" + b + "\"],\"fingerprint\":\"" +
                         after->fingerprint() + "\",\"loaded_at\":\""));
  CHECK(json.find("\",\"reloads\":1,\"failed_reloads\":1,\"last_attempt_ok\":false,\"last_errors\":[\"") !=
        std::string::npos);
  CHECK(json.find("bad rule id 'bad\\\"quote'") != std::string::npos);  // escaped
  CHECK(json.ends_with("\"]}"));

  fs::remove(b);
  CHECK_FALSE(engine->reload());
  st = engine->status();
  REQUIRE(st.last_errors.size() == 1);
  CHECK(st.last_errors[0].line == 0);

  dir.write("b.yaml", "rules: []\n");
  CHECK(engine->reload());
  CHECK(engine->current()->rules().size() == 1);
  st = engine->status();
  CHECK(st.last_attempt_ok);
  CHECK(st.last_errors.empty());
  CHECK(engine->status_json().find("\"last_attempt_ok\":true,\"last_errors\":[]}") != std::string::npos);
}

TEST_CASE("watch picks up a rewritten file and a file replaced by rename", "[rules][engine]") {
  TempDir dir;
  const auto f = dir.write("rules.yaml", one_rule("v1"));
  auto created = RuleEngine::create({f}, {});
  auto& engine = created.first;  // not a structured binding: clang 14 cannot capture those
  REQUIRE(engine);
  engine->watch(std::chrono::milliseconds(20));
  auto id = [&] { return engine->current()->rules().empty() ? std::string() : engine->current()->rules()[0].id; };

  dir.write("rules.yaml", one_rule("version2"));  // size changes
  CHECK(eventually([&] { return id() == "version2"; }));

  const auto tmp = dir.write("rules.yaml.tmp", one_rule("version3"));  // same size as version2
  fs::rename(tmp, f);
  CHECK(eventually([&] { return id() == "version3"; }));

  dir.write("rules.yaml", "rules: [");
  CHECK(eventually([&] { return engine->status().failed_reloads == 1; }));
  CHECK(id() == "version3");
  const auto stop_start = std::chrono::steady_clock::now();
  engine.reset();  // stops the watcher promptly
  CHECK(std::chrono::steady_clock::now() - stop_start < std::chrono::seconds(1));
}

TEST_CASE("the watcher stops promptly with a long interval", "[rules][engine]") {
  TempDir dir;
  const auto f = dir.write("rules.yaml", one_rule("v1"));
  auto [engine, errors] = RuleEngine::create({f}, {});
  REQUIRE(engine);
  engine->watch(std::chrono::hours(1));
  const auto start = std::chrono::steady_clock::now();
  engine.reset();
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(1));
}

TEST_CASE("a validator refuses a reload like a validation error", "[rules][engine]") {
  TempDir dir;
  const auto f = dir.write("r.yaml", one_rule("first"));
  auto [engine, errors] = RuleEngine::create({f}, {});
  REQUIRE(engine);
  engine->set_validator([](const RuleSnapshot& s) {
    for (const auto& rule : s.rules())
      if (rule.id == "forbidden") return std::string("r.yaml:2: rule 'forbidden' alerts channel 'x', which alerts.channels does not define");
    return std::string();
  });
  dir.write("r.yaml", one_rule("forbidden"));
  CHECK_FALSE(engine->reload());
  CHECK(engine->current()->rules().at(0).id == "first");
  const auto status = engine->status();
  CHECK_FALSE(status.last_attempt_ok);
  REQUIRE(status.last_errors.size() == 1);
  CHECK(format(status.last_errors[0]) == "r.yaml:2: rule 'forbidden' alerts channel 'x', which alerts.channels does not define");
  dir.write("r.yaml", one_rule("second"));
  CHECK(engine->reload());
  CHECK(engine->current()->rules().at(0).id == "second");
}

TEST_CASE("a change between create() and watch() is not missed", "[rules][engine]") {
  TempDir dir;
  const auto f = dir.write("r.yaml", one_rule("first"));
  // Not a structured binding: clang 14 cannot capture one in a lambda.
  auto created = RuleEngine::create({f}, {});
  auto& engine = created.first;
  REQUIRE(engine);
  // Rewritten after the load but before the watcher starts (a different
  // size, so the stamp differs even on a coarse clock).
  dir.write("r.yaml", one_rule("second-version"));
  engine->watch(std::chrono::milliseconds(20));
  CHECK(eventually([&] { return engine->current()->rules().at(0).id == "second-version"; }));
}

TEST_CASE("the fingerprint follows the bytes compiled, and every attempt reaches the observer", "[rules][engine]") {
  TempDir dir;
  const auto f = dir.write("rules.yaml", one_rule("v1"));
  auto [engine, errors] = RuleEngine::create({f}, {});
  REQUIRE(engine);
  const std::string first = engine->current()->fingerprint();
  CHECK(first.size() == 7 + 64);
  CHECK(first.starts_with("sha256:"));
  std::vector<RuleLoadAttempt> seen;
  engine->set_reload_observer([&](const RuleLoadAttempt& a) { seen.push_back(a); });
  const RuleLoadAttempt start = engine->start_attempt();
  CHECK(start.trigger == "start");
  CHECK(start.fingerprint == first);
  CHECK(start.rules == 1);

  CHECK(engine->reload("signal"));  // the same bytes: the same fingerprint
  dir.write("rules.yaml", one_rule("v2"));
  CHECK(engine->reload("file change"));
  dir.write("rules.yaml", "rules:\n  - id: x\n    effect: maybe\n");
  CHECK_FALSE(engine->reload("signal"));
  REQUIRE(seen.size() == 3);
  CHECK(seen[0].ok);
  CHECK(seen[0].fingerprint == first);
  CHECK(seen[1].trigger == "file change");
  CHECK(seen[1].fingerprint != first);
  CHECK_FALSE(seen[2].ok);
  CHECK(seen[2].fingerprint == seen[1].fingerprint);  // the rules in force did not change
  REQUIRE(seen[2].errors.size() == 1);
  CHECK(seen[2].errors[0].find(":3:") != std::string::npos);
  CHECK(seen[2].files == std::vector<std::string>{f});

  // Renaming a file is a change too: the name is part of what is hashed.
  const auto renamed = dir.write("other.yaml", one_rule("v2"));
  auto [other, other_errors] = RuleEngine::create({renamed}, {});
  REQUIRE(other);
  CHECK(other->current()->fingerprint() != seen[1].fingerprint);
}
