// Console sessions (console_sessions.hpp).
#include "console/console_sessions.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

namespace dynaudit::console {

std::string random_token() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return {};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out += kHex[b >> 4];
    out += kHex[b & 0xF];
  }
  return out;
}

bool same_token(std::string_view a, std::string_view b) {
  return !a.empty() && a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string Sessions::open(const User& user, Clock::time_point now) {
  std::string id = random_token();
  if (id.empty()) return {};
  Session s{user.name, user.role, random_token(), now + lifetime_};
  std::lock_guard lock(mutex_);
  // Expired sessions go first; at the bound, the oldest-expiring one.
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    if (it->second.expires <= now) it = sessions_.erase(it);
    else ++it;
  }
  if (sessions_.size() >= max_) {
    auto oldest = sessions_.begin();
    for (auto it = sessions_.begin(); it != sessions_.end(); ++it)
      if (it->second.expires < oldest->second.expires) oldest = it;
    sessions_.erase(oldest);
  }
  sessions_.emplace(id, std::move(s));
  return id;
}

std::optional<Session> Sessions::find(std::string_view id, Clock::time_point now) {
  if (id.size() != 64) return std::nullopt;
  std::lock_guard lock(mutex_);
  // A map lookup compares bytes early-exit; the ids are 256 random bits, so
  // timing tells nothing an attacker can use to guess one.
  auto it = sessions_.find(id);
  if (it == sessions_.end() || !same_token(it->first, id)) return std::nullopt;
  if (it->second.expires <= now) {
    sessions_.erase(it);
    return std::nullopt;
  }
  return it->second;
}

void Sessions::close(std::string_view id) {
  std::lock_guard lock(mutex_);
  if (auto it = sessions_.find(id); it != sessions_.end()) sessions_.erase(it);
}

std::size_t Sessions::size() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

}  // namespace dynaudit::console
