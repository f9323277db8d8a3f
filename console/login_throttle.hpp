// Login throttling: after `max_failures` failed logins for one user name,
// or from one client address, within `window`, further attempts for it are
// refused until the window has passed since the last failure — guessing
// passwords through the console costs at least window/max_failures each.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace dynaudit::console {

class LoginThrottle {
 public:
  using Clock = std::chrono::steady_clock;
  LoginThrottle(unsigned max_failures, std::chrono::seconds window, std::size_t max_keys = 100'000)
      : max_failures_(max_failures), window_(window), max_keys_(max_keys) {}
  bool allowed(std::string_view user, std::string_view address, Clock::time_point now);
  void failed(std::string_view user, std::string_view address, Clock::time_point now);
  void succeeded(std::string_view user);

 private:
  struct Count {
    unsigned failures = 0;
    Clock::time_point last;
  };
  bool blocked(const std::string& key, Clock::time_point now);
  void note(const std::string& key, Clock::time_point now);
  unsigned max_failures_;
  std::chrono::seconds window_;
  std::size_t max_keys_;
  std::mutex mutex_;
  std::map<std::string, Count> counts_;
};

}  // namespace dynaudit::console
