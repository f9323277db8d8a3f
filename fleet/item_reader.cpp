// DynamoDB-JSON item access with simdjson (see item_reader.hpp).
#include "fleet/item_reader.hpp"

#include <charconv>

namespace dynaudit::fleet {

ItemReader::ItemReader(std::string_view item_json) {
  valid_ = !parser_.parse(item_json.data(), item_json.size()).get(item_) && item_.is_object();
}

std::optional<std::string> ItemReader::s(std::string_view name) const {
  std::string_view value;
  if (!valid_ || item_[name]["S"].get_string().get(value)) return std::nullopt;
  return std::string(value);
}

std::optional<std::int64_t> ItemReader::n(std::string_view name) const {
  std::string_view text;
  if (!valid_ || item_[name]["N"].get_string().get(text)) return std::nullopt;
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

bool ItemReader::flag(std::string_view name) const {
  bool value = false;
  return valid_ && !item_[name]["BOOL"].get_bool().get(value) && value;
}

bool for_each_item(std::string_view answer, const std::function<void(simdjson::dom::element)>& each,
                   std::string& last_key) {
  last_key.clear();
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(answer.data(), answer.size()).get(doc)) return false;
  simdjson::dom::array items;
  if (doc["Items"].get_array().get(items)) return false;
  for (auto item : items) each(item);
  simdjson::dom::element key;
  if (!doc["LastEvaluatedKey"].get(key)) last_key = simdjson::minify(key);
  return true;
}

}  // namespace dynaudit::fleet
