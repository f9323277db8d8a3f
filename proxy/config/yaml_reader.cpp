// Validating reads over yaml-cpp nodes; see yaml_reader.hpp.
#include "proxy/config/yaml_reader.hpp"

#include <limits>

#include "proxy/config/duration.hpp"

namespace dynaudit::proxy {

void YamlErrors::add(const YAML::Node& at, const std::string& path, const std::string& problem) {
  const auto mark = at.Mark();
  std::string where = source_;
  if (mark.line >= 0) where += ":" + std::to_string(mark.line + 1);
  errors_.push_back(where + ": " + path + ": " + problem);
}

YamlMap::YamlMap(const YAML::Node& node, std::string path, YamlErrors& errors)
    : node_(node), path_(std::move(path)), errors_(errors) {
  if (node_ && !node_.IsNull() && !node_.IsMap()) {
    errors_.add(node_, path_.empty() ? "<document>" : path_, "must be a mapping");
    valid_ = false;
  }
}

std::string YamlMap::path_of(const std::string& key) const {
  return path_.empty() ? key : path_ + "." + key;
}

bool YamlMap::has(const std::string& key) const {
  if (!valid_ || !node_ || !node_.IsMap()) return false;
  const YAML::Node& map = node_;  // const access: never inserts the key
  return static_cast<bool>(map[key]);
}

YAML::Node YamlMap::child(const std::string& key) {
  known_.insert(key);
  if (!has(key)) return YAML::Node(YAML::NodeType::Undefined);
  const YAML::Node& map = node_;
  return map[key];
}

namespace {

bool scalar(const YAML::Node& node, YamlErrors& errors, const std::string& path) {
  if (node.IsScalar()) return true;
  errors.add(node, path, "must be a single value");
  return false;
}

}  // namespace

void YamlMap::read(const std::string& key, std::string& out) {
  auto node = child(key);
  if (!node || !scalar(node, errors_, path_of(key))) return;
  out = node.Scalar();
}

void YamlMap::read(const std::string& key, bool& out) {
  auto node = child(key);
  if (!node || !scalar(node, errors_, path_of(key))) return;
  const auto& v = node.Scalar();
  if (v == "true") out = true;
  else if (v == "false") out = false;
  else errors_.add(node, path_of(key), "must be true or false, not '" + v + "'");
}

namespace {

std::optional<unsigned long long> parse_unsigned(const std::string& text) {
  if (text.empty() || text.size() > 19) return std::nullopt;
  unsigned long long value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  return value;
}

}  // namespace

void YamlMap::read_port(const std::string& key, std::uint16_t& out) {
  auto node = child(key);
  if (!node || !scalar(node, errors_, path_of(key))) return;
  auto value = parse_unsigned(node.Scalar());
  if (!value || *value > 65535) {
    errors_.add(node, path_of(key), "must be a port number 0-65535, not '" + node.Scalar() + "'");
    return;
  }
  out = static_cast<std::uint16_t>(*value);
}

void YamlMap::read_count(const std::string& key, std::size_t& out, std::size_t min, std::size_t max) {
  auto node = child(key);
  if (!node || !scalar(node, errors_, path_of(key))) return;
  auto value = parse_unsigned(node.Scalar());
  if (!value || *value < min || *value > max) {
    errors_.add(node, path_of(key),
                "must be a whole number from " + std::to_string(min) + " to " + std::to_string(max) +
                    ", not '" + node.Scalar() + "'");
    return;
  }
  out = static_cast<std::size_t>(*value);
}

void YamlMap::read_count(const std::string& key, unsigned& out, unsigned min, unsigned max) {
  std::size_t value = out;
  read_count(key, value, min, max);
  out = static_cast<unsigned>(value);
}

void YamlMap::read_duration(const std::string& key, std::chrono::milliseconds& out) {
  auto node = child(key);
  if (!node || !scalar(node, errors_, path_of(key))) return;
  auto value = parse_duration(node.Scalar());
  if (!value) {
    errors_.add(node, path_of(key),
                "must be a duration such as 500ms, 30s, 5m or 1h, not '" + node.Scalar() + "'");
    return;
  }
  out = *value;
}

void YamlMap::read_list(const std::string& key, std::vector<std::string>& out) {
  auto node = child(key);
  if (!node) return;
  if (!node.IsSequence()) {
    errors_.add(node, path_of(key), "must be a list");
    return;
  }
  out.clear();
  for (std::size_t i = 0; i < node.size(); ++i) {
    const auto item = node[i];
    if (!scalar(item, errors_, path_of(key) + "[" + std::to_string(i) + "]")) continue;
    out.push_back(item.Scalar());
  }
}

void YamlMap::read_choice(const std::string& key, std::string& out,
                          const std::vector<std::string>& allowed) {
  auto node = child(key);
  if (!node || !scalar(node, errors_, path_of(key))) return;
  for (const auto& a : allowed) {
    if (node.Scalar() == a) {
      out = a;
      return;
    }
  }
  std::string choices;
  for (const auto& a : allowed) choices += (choices.empty() ? "" : ", ") + a;
  errors_.add(node, path_of(key), "must be one of " + choices + ", not '" + node.Scalar() + "'");
}

void YamlMap::require(const std::string& key) {
  if (!has(key)) errors_.add(node_, path_of(key), "is required");
}

void YamlMap::finish() {
  if (!valid_ || !node_ || !node_.IsMap()) return;
  for (const auto& entry : node_) {
    const auto key = entry.first.Scalar();
    if (!known_.count(key)) errors_.add(entry.first, path_of(key), "unknown key");
  }
}

}  // namespace dynaudit::proxy
