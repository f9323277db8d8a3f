// Console users and their password hashes (console_users.hpp).
#include "console/console_users.hpp"

#include <sodium.h>
#include <sys/stat.h>
#include <yaml-cpp/yaml.h>

namespace dynaudit::console {
namespace {

bool sodium_ready() {
  static const bool ready = sodium_init() >= 0;
  return ready;
}

// Checked against when the name is unknown, so that a wrong name takes as
// long as a wrong password.
const std::string& decoy_hash() {
  static const std::string hash = hash_password("dynaudit decoy password");
  return hash;
}

bool verify(const std::string& hash, std::string_view password) {
  return sodium_ready() && crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

}  // namespace

std::string_view to_string(Role role) { return role == Role::investigator ? "investigator" : "viewer"; }

std::string hash_password(std::string_view password) {
  if (!sodium_ready()) return {};
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                            crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13) != 0)
    return {};
  return out;
}

std::optional<Users> Users::load(const std::string& path, std::string& error) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) {
    error = "cannot read " + path;
    return std::nullopt;
  }
  if ((info.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    error = path + " is readable by others than its owner (chmod 600): it holds password hashes";
    return std::nullopt;
  }
  Users users;
  try {
    const YAML::Node root = YAML::LoadFile(path);
    const YAML::Node list = root["users"];
    if (!list || !list.IsSequence()) {
      error = path + ": expected a 'users' list";
      return std::nullopt;
    }
    for (const auto& entry : list) {
      User u;
      if (!entry.IsMap() || !entry["name"] || !entry["password_hash"]) {
        error = path + ": each user needs name and password_hash";
        return std::nullopt;
      }
      u.name = entry["name"].as<std::string>();
      u.password_hash = entry["password_hash"].as<std::string>();
      const std::string role = entry["role"] ? entry["role"].as<std::string>() : "viewer";
      if (role == "viewer") u.role = Role::viewer;
      else if (role == "investigator") u.role = Role::investigator;
      else {
        error = path + ": user " + u.name + ": role must be viewer or investigator";
        return std::nullopt;
      }
      if (u.name.empty() || u.password_hash.rfind("$argon2id$", 0) != 0) {
        error = path + ": user " + u.name + ": password_hash must be an argon2id hash (dynaudit console hash-password)";
        return std::nullopt;
      }
      for (const auto& other : users.users_)
        if (other.name == u.name) {
          error = path + ": user " + u.name + " is listed twice";
          return std::nullopt;
        }
      users.users_.push_back(std::move(u));
    }
  } catch (const YAML::Exception& e) {
    error = path + ": " + e.what();
    return std::nullopt;
  }
  if (users.users_.empty()) {
    error = path + ": no users";
    return std::nullopt;
  }
  return users;
}

std::optional<User> Users::check(std::string_view name, std::string_view password) const {
  for (const auto& u : users_)
    if (u.name == name) return verify(u.password_hash, password) ? std::optional<User>(u) : std::nullopt;
  verify(decoy_hash(), password);
  return std::nullopt;
}

}  // namespace dynaudit::console
