// Login throttling (login_throttle.hpp).
#include "console/login_throttle.hpp"

namespace dynaudit::console {

bool LoginThrottle::blocked(const std::string& key, Clock::time_point now) {
  auto it = counts_.find(key);
  if (it == counts_.end()) return false;
  if (now - it->second.last >= window_) {
    counts_.erase(it);
    return false;
  }
  return it->second.failures >= max_failures_;
}

void LoginThrottle::note(const std::string& key, Clock::time_point now) {
  if (counts_.size() >= max_keys_ && !counts_.count(key)) {
    // Bounded: forget what has aged out; if nothing has, the newest key is
    // still counted by the address it came from.
    for (auto it = counts_.begin(); it != counts_.end();) {
      if (now - it->second.last >= window_) it = counts_.erase(it);
      else ++it;
    }
    if (counts_.size() >= max_keys_) return;
  }
  Count& c = counts_[key];
  if (now - c.last >= window_) c.failures = 0;
  ++c.failures;
  c.last = now;
}

bool LoginThrottle::allowed(std::string_view user, std::string_view address, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  return !blocked("u:" + std::string(user), now) && !blocked("a:" + std::string(address), now);
}

void LoginThrottle::failed(std::string_view user, std::string_view address, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  note("u:" + std::string(user), now);
  note("a:" + std::string(address), now);
}

void LoginThrottle::succeeded(std::string_view user) {
  std::lock_guard lock(mutex_);
  counts_.erase("u:" + std::string(user));
}

}  // namespace dynaudit::console
