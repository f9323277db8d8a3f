// The console's parts: password hashes, the users file, sessions and their
// CSRF tokens, login throttling, the search form, and escaping.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "console/console_pages.hpp"
#include "console/console_sessions.hpp"
#include "console/login_throttle.hpp"
#include "console/search_form.hpp"

using namespace dynaudit::console;
using namespace std::chrono_literals;

TEST_CASE("passwords: argon2id hashes that check the password and nothing else") {
  const std::string hash = hash_password("s3cret words");
  REQUIRE(hash.rfind("$argon2id$", 0) == 0);
  CHECK(hash != hash_password("s3cret words"));  // salted
  const Users users = Users::from({{"vera", Role::viewer, hash}});
  REQUIRE(users.check("vera", "s3cret words"));
  CHECK(users.check("vera", "s3cret words")->role == Role::viewer);
  CHECK_FALSE(users.check("vera", "s3cret word"));
  CHECK_FALSE(users.check("ivan", "s3cret words"));
  CHECK_FALSE(users.check("", ""));
}

TEST_CASE("the users file: private, argon2id only, known roles, no name twice") {
  const auto dir = std::filesystem::temp_directory_path() / ("dynaudit-console-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string hash = hash_password("pw");
  const auto write = [&](const std::string& name, const std::string& text, mode_t mode = 0600) {
    const auto path = (dir / name).string();
    std::ofstream(path, std::ios::trunc) << text;
    ::chmod(path.c_str(), mode);
    return path;
  };
  std::string error;
  const auto good = Users::load(write("good.yaml", "users:\n  - name: vera\n    password_hash: \"" + hash +
                                                       "\"\n  - name: ivan\n    role: investigator\n    password_hash: \"" +
                                                       hash + "\"\n"),
                                error);
  REQUIRE(good);
  CHECK(good->size() == 2);
  CHECK(good->check("ivan", "pw")->role == Role::investigator);
  CHECK(good->check("vera", "pw")->role == Role::viewer);  // the default
  CHECK_FALSE(Users::load(write("open.yaml", "users:\n  - name: v\n    password_hash: \"" + hash + "\"\n", 0644), error));
  CHECK(error.find("chmod 600") != std::string::npos);
  CHECK_FALSE(Users::load(write("plain.yaml", "users:\n  - name: v\n    password_hash: hunter2\n"), error));
  CHECK_FALSE(Users::load(write("role.yaml", "users:\n  - name: v\n    role: admin\n    password_hash: \"" + hash + "\"\n"),
                          error));
  CHECK_FALSE(Users::load(write("twice.yaml", "users:\n  - name: v\n    password_hash: \"" + hash +
                                                  "\"\n  - name: v\n    password_hash: \"" + hash + "\"\n"),
                          error));
  CHECK_FALSE(Users::load(write("empty.yaml", "users: []\n"), error));
  std::filesystem::remove_all(dir);
}

TEST_CASE("sessions: random ids, a CSRF token each, expiry, logout, and a bound") {
  Sessions sessions(60s, 3);
  const auto t0 = Clock::now();
  const User vera{"vera", Role::viewer, ""};
  const std::string a = sessions.open(vera, t0);
  REQUIRE(a.size() == 64);
  const auto found = sessions.find(a, t0 + 1s);
  REQUIRE(found);
  CHECK(found->user == "vera");
  CHECK(found->csrf.size() == 64);
  CHECK(found->csrf != a);
  std::string edited = a;
  edited[10] = edited[10] == 'a' ? 'b' : 'a';
  CHECK_FALSE(sessions.find(edited, t0 + 1s));
  CHECK_FALSE(sessions.find(a.substr(1), t0 + 1s));
  CHECK_FALSE(sessions.find(a, t0 + 61s));  // expired, and gone
  CHECK_FALSE(sessions.find(a, t0 + 1s));
  const std::string b = sessions.open(vera, t0);
  sessions.close(b);
  CHECK_FALSE(sessions.find(b, t0));
  for (int i = 0; i < 5; ++i) sessions.open(vera, t0 + std::chrono::seconds(i));
  CHECK(sessions.size() == 3);
  CHECK(same_token(found->csrf, found->csrf));
  CHECK_FALSE(same_token("", ""));
  CHECK_FALSE(same_token(found->csrf, found->csrf.substr(1)));
}

TEST_CASE("throttle: by user and by address, forgiven after the window") {
  LoginThrottle throttle(3, 60s);
  const auto t0 = LoginThrottle::Clock::now();
  for (int i = 0; i < 3; ++i) {
    CHECK(throttle.allowed("vera", "10.0.0.1", t0));
    throttle.failed("vera", "10.0.0.1", t0);
  }
  CHECK_FALSE(throttle.allowed("vera", "10.0.0.9", t0 + 1s));  // the user, from anywhere
  CHECK_FALSE(throttle.allowed("ivan", "10.0.0.1", t0 + 1s));  // the address, for anyone
  CHECK(throttle.allowed("ivan", "10.0.0.2", t0 + 1s));
  CHECK(throttle.allowed("vera", "10.0.0.1", t0 + 61s));
}

TEST_CASE("the search form: the query string and back, and into an AuditQuery") {
  const auto form = SearchForm::parse("since=7d&principal=al%20ice&table=orders&decision=deny&tag=pci-dss%3A*&before=1765000000000.42");
  CHECK(form.principal == "al ice");
  CHECK(form.tag == "pci-dss:*");
  REQUIRE(form.before);
  CHECK(form.before->first == 1765000000000);
  CHECK(form.before->second == 42u);
  CHECK(SearchForm::parse(form.query_string(form.before)).query_string(form.before) == form.query_string(form.before));
  dynaudit::storage::AuditQuery q;
  std::string problem;
  REQUIRE(form.to_query(q, std::chrono::system_clock::now(), problem));
  CHECK(q.newest_first);
  CHECK(*q.principal == "al ice");
  CHECK(*q.decision == "deny");
  CHECK(q.since.has_value());
  CHECK_FALSE(q.until.has_value());
  CHECK_FALSE(SearchForm::parse("decision=maybe").to_query(q, std::chrono::system_clock::now(), problem));
  CHECK_FALSE(SearchForm::parse("since=yesterday").to_query(q, std::chrono::system_clock::now(), problem));
  CHECK_FALSE(SearchForm::parse("before=12x.3").before);
  CHECK(form_value("a=1&b=x%26y&b=2", "b") == "x&y");  // the first one counts
  CHECK(form_value("a=1", "b").empty());
  CHECK(url_decode("%zz%4") == "%zz%4");
}

TEST_CASE("pages escape what callers control") {
  dynaudit::storage::AuditEvent e;
  e.event_id = "id\"><script>";
  e.event_name = "<img src=x>";
  e.user_identity.principal_id = "a&b";
  e.user_agent = "</pre><script>alert(1)</script>";
  const Session s{"<b>vera</b>", Role::viewer, "tok", Clock::now()};
  const std::string page = record_page(s, e, "{\"userAgent\":\"</pre><script>\"}");
  CHECK(page.find("<script>") == std::string::npos);
  CHECK(page.find("<img") == std::string::npos);
  CHECK(page.find("<b>vera") == std::string::npos);
  CHECK(page.find("&lt;script&gt;") != std::string::npos);
  SearchResult result;
  result.rows.push_back(e);
  const std::string search = search_page(s, SearchForm::parse("principal=%22%3E%3Cscript%3E"), result);
  CHECK(search.find("<script>") == std::string::npos);
  CHECK(search.find("name=\"csrf\" value=\"tok\"") != std::string::npos);
}
