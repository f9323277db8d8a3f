// A validating reader over yaml-cpp nodes: every read names the key and its
// line in errors, and unknown keys are reported instead of silently ignored
// (a misspelt `max_body_byte` must not leave the default in force unnoticed).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace dynaudit::proxy {

class YamlErrors {
 public:
  explicit YamlErrors(std::string source) : source_(std::move(source)) {}
  void add(const YAML::Node& at, const std::string& path, const std::string& problem);
  void add_plain(const std::string& message) { errors_.push_back(message); }
  const std::vector<std::string>& list() const { return errors_; }
  const std::string& source() const { return source_; }

 private:
  std::string source_;
  std::vector<std::string> errors_;
};

// One mapping in the document. Reads record which keys were consumed;
// finish() reports the rest as unknown.
class YamlMap {
 public:
  YamlMap(const YAML::Node& node, std::string path, YamlErrors& errors);

  bool valid() const { return valid_; }
  bool has(const std::string& key) const;
  YAML::Node child(const std::string& key);  // marks the key as known

  void read(const std::string& key, std::string& out);
  void read(const std::string& key, bool& out);
  void read_port(const std::string& key, std::uint16_t& out);
  void read_count(const std::string& key, std::size_t& out, std::size_t min, std::size_t max);
  void read_count(const std::string& key, unsigned& out, unsigned min, unsigned max);
  void read_duration(const std::string& key, std::chrono::milliseconds& out);
  void read_list(const std::string& key, std::vector<std::string>& out);
  // Reads a string that must be one of `allowed`.
  void read_choice(const std::string& key, std::string& out, const std::vector<std::string>& allowed);
  void require(const std::string& key);
  std::string path_of(const std::string& key) const;
  YamlErrors& errors() { return errors_; }

  void finish();  // reports unknown keys

 private:
  YAML::Node node_;
  std::string path_;
  YamlErrors& errors_;
  std::set<std::string> known_;
  bool valid_ = true;
};

}  // namespace dynaudit::proxy
