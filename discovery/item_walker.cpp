// Walking a reply's items (item_walker.hpp).
#include "discovery/item_walker.hpp"

#include <simdjson.h>

#include <string>

namespace dynaudit::discovery {
namespace {

struct Walk {
  const ValueVisitor& visit;
  const WalkLimits& limits;
  std::size_t values = 0;

  bool full() const { return values >= limits.max_values; }

  void value(std::string_view table, std::string& path, simdjson::dom::element av, std::size_t depth) {
    simdjson::dom::object tagged;
    if (full() || depth > limits.max_depth || av.get(tagged) || tagged.size() != 1) return;
    const auto member = *tagged.begin();
    const std::string_view tag = member.key;
    std::string_view text;
    if ((tag == "S" || tag == "N") && !member.value.get(text)) {
      visit(table, path, text);
      ++values;
    } else if (tag == "SS" || tag == "NS") {
      simdjson::dom::array set;
      if (member.value.get(set)) return;
      for (auto e : set)
        if (!full() && !e.get(text)) visit(table, path, text), ++values;
    } else if (tag == "M") {
      simdjson::dom::object map;
      if (!member.value.get(map)) attributes(table, path, map, depth + 1);
    } else if (tag == "L") {
      simdjson::dom::array list;
      if (member.value.get(list)) return;
      const std::size_t mark = path.size();
      path += "[*]";
      for (auto e : list) value(table, path, e, depth + 1);
      path.resize(mark);
    }
  }

  void attributes(std::string_view table, std::string& path, simdjson::dom::object item, std::size_t depth) {
    const std::size_t mark = path.size();
    for (auto field : item) {
      if (full()) break;
      if (mark) path += '.';
      path += field.key;
      value(table, path, field.value, depth);
      path.resize(mark);
    }
  }

  void item(std::string_view table, simdjson::dom::element e) {
    simdjson::dom::object object;
    if (e.get(object)) return;
    std::string path;
    attributes(table, path, object, 1);
  }

  void items(std::string_view table, simdjson::dom::element list) {
    simdjson::dom::array array;
    if (list.get(array)) return;
    std::size_t n = 0;
    for (auto e : array) {
      if (n++ >= limits.max_items || full()) break;
      item(table, e);
    }
  }
};

}  // namespace

std::size_t walk_reply_items(std::string_view operation, std::string_view table, std::string_view body,
                             const ValueVisitor& visit, const WalkLimits& limits) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(body);
  simdjson::dom::element root;
  if (parser.parse(padded).get(root)) return 0;
  Walk walk{visit, limits};
  if (operation == "GetItem") {
    simdjson::dom::element item;
    if (!root["Item"].get(item)) walk.item(table, item);
  } else if (operation == "Query" || operation == "Scan" || operation == "ExecuteStatement") {
    simdjson::dom::element items;
    if (!root["Items"].get(items)) walk.items(table, items);
  } else if (operation == "BatchGetItem") {
    simdjson::dom::object responses;
    if (!root["Responses"].get(responses))
      for (auto t : responses) walk.items(t.key, t.value);
  } else if (operation == "TransactGetItems") {
    simdjson::dom::array responses;
    if (!root["Responses"].get(responses))
      for (auto r : responses) {
        simdjson::dom::element item;
        if (!r["Item"].get(item)) walk.item(table, item);
      }
  } else if (operation == "GetRecords") {
    simdjson::dom::array records;
    if (!root["Records"].get(records))
      for (auto r : records)
        for (const char* image : {"NewImage", "OldImage"}) {
          simdjson::dom::element item;
          if (!r["dynamodb"][image].get(item)) walk.item(table, item);
        }
  }
  return walk.values;
}

}  // namespace dynaudit::discovery
