// The proxy's own credentials: access keys that dynaudit issues to its
// callers, each with its secret, a principal name and groups. Loaded from a
// YAML file (see docs/configuration.md); immutable once loaded.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace dynaudit::proxy {

struct IssuedKey {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // when set, callers must send it as X-Amz-Security-Token
  std::string principal_name;
  std::vector<std::string> groups;
};

class CredentialStore {
 public:
  // Loads the file; on failure returns nullptr and sets `error` to a message
  // naming the file, line and key.
  static std::shared_ptr<const CredentialStore> load_file(const std::string& path, std::string& error);
  static std::shared_ptr<const CredentialStore> from_keys(std::vector<IssuedKey> keys);

  const IssuedKey* find(std::string_view access_key_id) const;
  std::size_t size() const { return keys_.size(); }

 private:
  std::unordered_map<std::string, IssuedKey> keys_;
};

}  // namespace dynaudit::proxy
