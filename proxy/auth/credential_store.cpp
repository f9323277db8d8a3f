// Loads the proxy's issued keys from YAML. Every error names the file, the
// 1-based line and the offending key, and never quotes a secret value.
// yaml-cpp reports problems by throwing; all of that stays inside
// load_file.
#include "proxy/auth/credential_store.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace dynaudit::proxy {
namespace {

constexpr std::string_view kKnownFields[] = {"access_key_id", "secret_access_key", "principal",
                                             "groups", "session_token"};

struct LoadError {
  std::string message;
};

std::string where(const std::string& path, const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  return mark.line >= 0 ? path + ":" + std::to_string(mark.line + 1) : path;
}

[[noreturn]] void fail_at(const std::string& path, const YAML::Node& node, const std::string& what) {
  throw LoadError{where(path, node) + ": " + what};
}

std::string scalar_field(const std::string& path, const YAML::Node& entry, std::string_view field,
                         std::size_t index, bool required) {
  const YAML::Node node = entry[std::string(field)];
  const std::string ctx = "keys[" + std::to_string(index) + "]." + std::string(field);
  if (!node || node.IsNull()) {
    if (required) fail_at(path, entry, "missing required key '" + std::string(field) + "' in keys[" + std::to_string(index) + "]");
    return {};
  }
  if (!node.IsScalar()) fail_at(path, node, ctx + " must be a string");
  std::string value = node.Scalar();
  if (required && value.empty()) fail_at(path, node, ctx + " must not be empty");
  return value;
}

IssuedKey parse_entry(const std::string& path, const YAML::Node& entry, std::size_t index) {
  if (!entry.IsMap()) fail_at(path, entry, "keys[" + std::to_string(index) + "] must be a mapping");
  std::set<std::string> seen;
  for (const auto& kv : entry) {
    const std::string name = kv.first.Scalar();
    if (std::find(std::begin(kKnownFields), std::end(kKnownFields), name) == std::end(kKnownFields))
      fail_at(path, kv.first, "unknown key '" + name + "' in keys[" + std::to_string(index) + "]");
    // yaml-cpp silently keeps one of two equal keys; a second secret under
    // the same entry is almost certainly a paste error, so refuse it.
    if (!seen.insert(name).second)
      fail_at(path, kv.first, "duplicate key '" + name + "' in keys[" + std::to_string(index) + "]");
  }
  IssuedKey key;
  key.access_key_id = scalar_field(path, entry, "access_key_id", index, true);
  key.secret_access_key = scalar_field(path, entry, "secret_access_key", index, true);
  key.principal_name = scalar_field(path, entry, "principal", index, true);
  // dynaudit's own principals (dynaudit:discovery, dynaudit:rules, ...) are
  // no caller's: a key named so would pass for the proxy in rules and logs.
  if (key.principal_name.rfind("dynaudit:", 0) == 0)
    fail_at(path, entry["principal"], "keys[" + std::to_string(index) + "].principal: names starting with "
                                      "'dynaudit:' are dynaudit's own");
  key.session_token = scalar_field(path, entry, "session_token", index, false);
  if (const YAML::Node groups = entry["groups"]; groups && !groups.IsNull()) {
    if (!groups.IsSequence())
      fail_at(path, groups, "keys[" + std::to_string(index) + "].groups must be a list of strings");
    for (const YAML::Node& g : groups) {
      if (!g.IsScalar() || g.Scalar().empty())
        fail_at(path, g, "keys[" + std::to_string(index) + "].groups must be a list of non-empty strings");
      key.groups.push_back(g.Scalar());
    }
  }
  return key;
}

std::shared_ptr<const CredentialStore> parse_document(const std::string& path, const std::string& text) {
  const YAML::Node root = YAML::Load(text);
  if (!root.IsMap()) fail_at(path, root, "expected a mapping with a 'keys' list");
  for (const auto& kv : root) {
    if (kv.first.Scalar() != "keys")
      fail_at(path, kv.first, "unknown key '" + kv.first.Scalar() + "' (expected 'keys')");
  }
  const YAML::Node keys = root["keys"];
  if (!keys) fail_at(path, root, "missing required key 'keys'");
  if (!keys.IsNull() && !keys.IsSequence()) fail_at(path, keys, "'keys' must be a list");

  std::vector<IssuedKey> issued;
  std::map<std::string, int> first_line;  // access key -> line, for duplicates
  std::size_t index = 0;
  for (const YAML::Node& entry : keys) {
    IssuedKey key = parse_entry(path, entry, index);
    const int line = entry.Mark().line + 1;
    if (auto [it, inserted] = first_line.emplace(key.access_key_id, line); !inserted) {
      fail_at(path, entry["access_key_id"],
              "duplicate access_key_id '" + key.access_key_id + "' in keys[" + std::to_string(index) +
                  "] (first defined at line " + std::to_string(it->second) + ")");
    }
    issued.push_back(std::move(key));
    ++index;
  }
  return CredentialStore::from_keys(std::move(issued));
}

}  // namespace

std::shared_ptr<const CredentialStore> CredentialStore::load_file(const std::string& path,
                                                                  std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = path + ": cannot open credentials file";
    return nullptr;
  }
  std::ostringstream text;
  text << in.rdbuf();
  try {
    return parse_document(path, text.str());
  } catch (const LoadError& e) {
    error = e.message;
  } catch (const YAML::Exception& e) {
    // Parser messages describe syntax ("end of map not found"), never the
    // scalar values, so they cannot leak a secret.
    error = (e.mark.line >= 0 ? path + ":" + std::to_string(e.mark.line + 1) : path) +
            ": invalid YAML: " + e.msg;
  } catch (const std::exception& e) {
    error = path + ": " + e.what();
  }
  return nullptr;
}

std::shared_ptr<const CredentialStore> CredentialStore::from_keys(std::vector<IssuedKey> keys) {
  auto store = std::make_shared<CredentialStore>();
  for (IssuedKey& key : keys) {
    std::string id = key.access_key_id;
    store->keys_.insert_or_assign(std::move(id), std::move(key));
  }
  return store;
}

const IssuedKey* CredentialStore::find(std::string_view access_key_id) const {
  const auto it = keys_.find(std::string(access_key_id));
  return it == keys_.end() ? nullptr : &it->second;
}

}  // namespace dynaudit::proxy
