// Unique, ordered accumulation of request facts.
#include "ddb/facts_builder.hpp"

namespace dynaudit::ddb {

void FactsBuilder::add_unique(std::vector<std::string>& list, SeenSet& seen, std::string_view value) {
  // An empty name or expression (`"#n": ""`, `""` in PartiQL) names nothing;
  // DynamoDB rejects it, and an empty entry would only confuse rule matching.
  if (value.empty()) return;
  if (seen.emplace(value).second) list.emplace_back(value);
}

void FactsBuilder::add_table(std::string_view table) {
  add_unique(facts_.tables, seen_tables_, table);
}

void FactsBuilder::add_attribute_read(std::string_view path) {
  add_unique(facts_.attributes_read, seen_read_, path);
}

void FactsBuilder::add_attribute_written(std::string_view path) {
  add_unique(facts_.attributes_written, seen_written_, path);
}

void FactsBuilder::add_expression(std::string_view expression) {
  add_unique(facts_.expressions, seen_expressions_, expression);
}

void FactsBuilder::add_key(std::string_view table, std::string_view attribute, std::string_view type,
                           std::string_view value) {
  facts_.keys.push_back(KeyValue{std::string(table), std::string(attribute), std::string(type),
                                 std::string(value)});
}

void FactsBuilder::add_use(std::string_view path, UseKind kind, std::string_view member, std::string_view detail,
                           std::string_view table) {
  if (!uses_ || path.empty()) return;
  uses_->push_back(AttributeUse{std::string(path), kind, std::string(member), std::string(detail), std::string(table), {}});
}

}  // namespace dynaudit::ddb
