// Reads attributes of one DynamoDB-JSON item ({"a":{"S":"…"},"b":{"N":"…"}})
// and the items of a Query/Scan answer, for the fleet's readers.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <simdjson.h>

namespace dynaudit::fleet {

class ItemReader {
 public:
  explicit ItemReader(std::string_view item_json);
  explicit ItemReader(simdjson::dom::element item) : item_(item), valid_(true) {}
  bool valid() const { return valid_; }
  std::optional<std::string> s(std::string_view name) const;
  std::optional<std::int64_t> n(std::string_view name) const;
  bool flag(std::string_view name) const;  // a BOOL attribute that is true

 private:
  simdjson::dom::parser parser_;
  simdjson::dom::element item_;
  bool valid_ = false;
};

// Calls `each` for every item of a Query answer; `last_key` gets
// LastEvaluatedKey's JSON ("" when this was the last page). False when the
// answer does not parse.
bool for_each_item(std::string_view answer, const std::function<void(simdjson::dom::element)>& each,
                   std::string& last_key);

}  // namespace dynaudit::fleet
