// Accumulates RequestFacts while a request body is walked: keeps tables,
// attribute names and expressions unique, in order of first appearance, in
// linear time however large the batch. Empty values are dropped.
#pragma once

#include <string>
#include <string_view>
#include <unordered_set>

#include "ddb/attribute_use.hpp"
#include "ddb/request_facts.hpp"

namespace dynaudit::ddb {

class FactsBuilder {
 public:
  explicit FactsBuilder(RequestFacts& facts) : facts_(facts) {}

  void add_table(std::string_view table);
  void add_attribute_read(std::string_view path);
  void add_attribute_written(std::string_view path);
  void add_expression(std::string_view expression);
  // Keys are not deduplicated: a batch naming one key twice is worth seeing.
  void add_key(std::string_view table, std::string_view attribute, std::string_view type,
               std::string_view value);

  // Attribute uses are collected only when asked for (the masking check
  // needs them; most calls do not): `uses` receives them, nullptr stops.
  void collect_uses(std::vector<AttributeUse>* uses) { uses_ = uses; }
  bool collecting_uses() const { return uses_ != nullptr; }
  std::vector<AttributeUse>* uses() { return uses_; }
  void add_use(std::string_view path, UseKind kind, std::string_view member, std::string_view detail,
               std::string_view table);

  RequestFacts& facts() { return facts_; }

 private:
  using SeenSet = std::unordered_set<std::string>;
  static void add_unique(std::vector<std::string>& list, SeenSet& seen, std::string_view value);

  RequestFacts& facts_;
  SeenSet seen_tables_;
  SeenSet seen_read_;
  SeenSet seen_written_;
  SeenSet seen_expressions_;
  std::vector<AttributeUse>* uses_ = nullptr;
};

}  // namespace dynaudit::ddb
