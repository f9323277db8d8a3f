// Console sessions: a random 256-bit id in an HttpOnly, SameSite=Strict
// cookie (Secure over HTTPS), kept in memory with the user, role, expiry
// and the session's CSRF token, which every POST form must carry. A cookie
// that names no live session — expired, logged out, or edited — is simply
// not a session. Ids and tokens are compared in constant time.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "console/console_users.hpp"

namespace dynaudit::console {

using Clock = std::chrono::steady_clock;

struct Session {
  std::string user;
  Role role = Role::viewer;
  std::string csrf;  // 256 random bits, hex
  Clock::time_point expires;
};

class Sessions {
 public:
  explicit Sessions(std::chrono::seconds lifetime, std::size_t max_sessions = 10'000)
      : lifetime_(lifetime), max_(max_sessions) {}
  // A new session; its id (64 hex digits) goes into the cookie.
  std::string open(const User& user, Clock::time_point now);
  std::optional<Session> find(std::string_view id, Clock::time_point now);
  void close(std::string_view id);
  std::size_t size() const;

 private:
  std::chrono::seconds lifetime_;
  std::size_t max_;
  mutable std::mutex mutex_;
  std::map<std::string, Session, std::less<>> sessions_;
};

// 256 random bits as 64 hex digits.
std::string random_token();
bool same_token(std::string_view a, std::string_view b);  // constant time

}  // namespace dynaudit::console
