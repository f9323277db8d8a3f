// AttributeValue validity checks with simdjson's DOM (independent of the
// masker's own scanner); see av_validator.hpp.
#include "av_validator.hpp"

#include <set>

#include <simdjson.h>

#include "masking/decimal.hpp"
#include "masking/json_text.hpp"

namespace dynaudit::masking::testing {

namespace {

namespace dom = simdjson::dom;

std::string check_av(dom::element e, int depth);

std::string check_item(dom::element e, int depth) {
  dom::object object;
  if (e.get_object().get(object)) return "item is not an object";
  for (auto field : object) {
    auto problem = check_av(field.value, depth + 1);
    if (!problem.empty()) return std::string(field.key) + ": " + problem;
  }
  return {};
}

bool valid_b64(std::string_view s) {
  std::string out;
  return json::decode_base64(s, out);
}

std::string check_av(dom::element e, int depth) {
  if (depth > 300) return "too deep";
  dom::object object;
  if (e.get_object().get(object)) return "AttributeValue is not an object";
  if (object.size() != 1) return "AttributeValue must have exactly one member";
  const auto field = *object.begin();
  const std::string_view tag = field.key;
  const dom::element v = field.value;
  std::string_view s;
  if (tag == "S") return v.get_string().get(s) ? "S is not a string" : "";
  if (tag == "N") {
    if (v.get_string().get(s)) return "N is not a string";
    return Decimal::parse(s) ? "" : "N is not a number: " + std::string(s);
  }
  if (tag == "B") {
    if (v.get_string().get(s)) return "B is not a string";
    return valid_b64(s) ? "" : "B is not base64";
  }
  if (tag == "BOOL") return v.is_bool() ? "" : "BOOL is not a boolean";
  if (tag == "NULL") {
    bool b;
    return !v.get_bool().get(b) && b ? "" : "NULL must be true";
  }
  if (tag == "SS" || tag == "NS" || tag == "BS") {
    dom::array array;
    if (v.get_array().get(array)) return "set is not an array";
    if (array.size() == 0) return "empty set";
    std::set<std::string> seen;
    for (auto element : array) {
      if (element.get_string().get(s)) return "set element is not a string";
      std::string canonical(s);
      if (tag == "NS") {
        const auto d = Decimal::parse(s);
        if (!d) return "NS element is not a number";
        canonical = d->to_string();
      }
      if (tag == "BS" && !valid_b64(s)) return "BS element is not base64";
      if (!seen.insert(canonical).second) return "duplicate set element " + canonical;
    }
    return {};
  }
  if (tag == "L") {
    dom::array array;
    if (v.get_array().get(array)) return "L is not an array";
    for (auto element : array) {
      auto problem = check_av(element, depth + 1);
      if (!problem.empty()) return "L: " + problem;
    }
    return {};
  }
  if (tag == "M") return check_item(v, depth);
  return "unknown type " + std::string(tag);
}

std::string check_items(dom::element e) {
  dom::array array;
  if (e.get_array().get(array)) return {};
  for (auto item : array) {
    if (!item.is_object()) continue;  // not item-shaped: the masker leaves it too
    auto problem = check_item(item, 0);
    if (!problem.empty()) return problem;
  }
  return {};
}

std::string check_named(dom::element e, std::initializer_list<std::string_view> names) {
  dom::object object;
  if (e.get_object().get(object)) return {};
  for (auto field : object) {
    for (auto n : names) {
      if (field.key != n || field.value.is_null()) continue;
      auto problem = check_item(field.value, 0);
      if (!problem.empty()) return std::string(n) + ": " + problem;
    }
  }
  return {};
}

}  // namespace

std::string check_attribute_value_json(std::string_view av_json) {
  dom::parser parser;
  dom::element e;
  if (parser.parse(av_json.data(), av_json.size()).get(e)) return "not JSON";
  return check_av(e, 0);
}

std::string check_item_json(std::string_view item_json) {
  dom::parser parser;
  dom::element e;
  if (parser.parse(item_json.data(), item_json.size()).get(e)) return "not JSON";
  return check_item(e, 0);
}

std::string check_response_json(std::string_view body) {
  dom::parser parser;
  dom::element root;
  if (parser.parse(body.data(), body.size()).get(root)) return "not JSON";
  dom::object top;
  if (root.get_object().get(top)) return "not an object";
  for (auto field : top) {
    const std::string_view k = field.key;
    std::string problem;
    if ((k == "Item" || k == "Attributes" || k == "LastEvaluatedKey") && !field.value.is_null()) {
      problem = check_item(field.value, 0);
    } else if (k == "Items") {
      problem = check_items(field.value);
    } else if (k == "Responses") {
      dom::object tables;
      dom::array responses;
      if (!field.value.get_object().get(tables)) {
        for (auto t : tables)
          if (problem.empty()) problem = check_items(t.value);
      } else if (!field.value.get_array().get(responses)) {
        for (auto r : responses) {
          if (problem.empty()) problem = check_named(r, {"Item"});
          dom::element error;
          if (problem.empty() && !r["Error"].get(error)) problem = check_named(error, {"Item"});
        }
      }
    } else if (k == "CancellationReasons") {
      dom::array reasons;
      if (!field.value.get_array().get(reasons))
        for (auto r : reasons)
          if (problem.empty()) problem = check_named(r, {"Item"});
    } else if (k == "Records") {
      dom::array records;
      if (!field.value.get_array().get(records))
        for (auto r : records) {
          dom::element d;
          if (problem.empty() && !r["dynamodb"].get(d)) problem = check_named(d, {"Keys", "NewImage", "OldImage"});
        }
    }
    if (!problem.empty()) return std::string(k) + ": " + problem;
  }
  return {};
}

}  // namespace dynaudit::masking::testing
