// See json_duplicates.hpp.
#include "ddb/json_duplicates.hpp"

#include <algorithm>
#include <vector>

namespace dynaudit::ddb {

bool has_duplicate_member(simdjson::dom::element root) {
  // Per-thread scratch: the request path calls this for every body.
  thread_local std::vector<simdjson::dom::element> pending;
  thread_local std::vector<std::string_view> names;
  pending.clear();
  pending.push_back(root);
  while (!pending.empty()) {
    const simdjson::dom::element value = pending.back();
    pending.pop_back();
    simdjson::dom::object object;
    simdjson::dom::array array;
    if (value.get_object().get(object) == simdjson::SUCCESS) {
      names.clear();
      for (const auto member : object) {
        names.push_back(member.key);
        if (member.value.is_object() || member.value.is_array()) pending.push_back(member.value);
      }
      if (names.size() > 1) {
        std::sort(names.begin(), names.end());
        if (std::adjacent_find(names.begin(), names.end()) != names.end()) return true;
      }
    } else if (value.get_array().get(array) == simdjson::SUCCESS) {
      for (const auto element : array)
        if (element.is_object() || element.is_array()) pending.push_back(element);
    }
  }
  return false;
}

}  // namespace dynaudit::ddb
