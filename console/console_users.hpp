// The console's users: a YAML file of names, roles and argon2id password
// hashes (libsodium's crypto_pwhash_str format, made by `dynaudit console
// hash-password`). Viewers search and read records; investigators may also
// reveal sealed values (not built yet). The file must be readable by its
// owner only: hashes can be attacked offline.
//
//   users:
//     - name: vera
//       role: viewer
//       password_hash: "$argon2id$v=19$m=65536,t=2,p=1$..."
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dynaudit::console {

enum class Role { viewer, investigator };
std::string_view to_string(Role role);

struct User {
  std::string name;
  Role role = Role::viewer;
  std::string password_hash;
};

class Users {
 public:
  static std::optional<Users> load(const std::string& path, std::string& error);
  static Users from(std::vector<User> users) {
    Users u;
    u.users_ = std::move(users);
    return u;
  }
  // The user whose password this is; nullopt otherwise. An unknown name
  // costs the same hash as a known one (no telling which names exist).
  std::optional<User> check(std::string_view name, std::string_view password) const;
  std::size_t size() const { return users_.size(); }

 private:
  std::vector<User> users_;
};

// An argon2id hash of `password` (libsodium, interactive limits); "" when
// libsodium cannot start.
std::string hash_password(std::string_view password);

}  // namespace dynaudit::console
