// The walk behind walk_value_members: the table's paths are compiled once
// into one trie (the union over operations); a body is then walked only as
// deep as the trie reaches.
#include "ddb/value_member_walk.hpp"

#include <memory>
#include <optional>
#include <vector>

#include "ddb/error_response.hpp"

namespace dynaudit::ddb {
namespace {

constexpr std::string_view kAnyKey = "*";
constexpr std::string_view kAnyElement = "[]";

struct Node {
  std::optional<ValueKind> kind;
  std::vector<std::pair<std::string_view, std::unique_ptr<Node>>> children;

  const Node* child(std::string_view name) const {
    for (const auto& [segment, node] : children)
      if (segment == name) return node.get();
    return nullptr;
  }
  Node& child_or_add(std::string_view name) {
    for (auto& [segment, node] : children)
      if (segment == name) return *node;
    children.emplace_back(name, std::make_unique<Node>());
    return *children.back().second;
  }
};

// "RequestItems.*[].PutRequest.Item" -> RequestItems, *, [], PutRequest, Item.
void add_path(Node& root, std::string_view path, ValueKind kind) {
  Node* node = &root;
  while (!path.empty()) {
    const auto dot = path.find('.');
    std::string_view piece = path.substr(0, dot);
    path = dot == std::string_view::npos ? std::string_view{} : path.substr(dot + 1);
    std::size_t elements = 0;
    while (piece.ends_with(kAnyElement)) {
      piece.remove_suffix(kAnyElement.size());
      ++elements;
    }
    if (!piece.empty()) node = &node->child_or_add(piece);
    for (; elements > 0; --elements) node = &node->child_or_add(kAnyElement);
  }
  // Operations share paths (Key, Item, ...); the generator checks that a
  // path has one kind in every operation, so the first is as good as any.
  if (!node->kind) node->kind = kind;
}

Node build_trie() {
  Node root;
  for (const ValueMember& member : all_value_members()) add_path(root, member.path, member.kind);
  return root;
}

const Node& trie() {
  static const Node root = build_trie();
  return root;
}

void write_key(std::string& out, std::string_view key) {
  out += '"';
  append_json_escaped(out, key);
  out += "\":";
}

void walk(simdjson::dom::element value, const Node* node, ValueMemberVisitor& visitor, std::string* out) {
  if (node != nullptr && node->kind) {
    visitor.visit(*node->kind, value, out);
    return;
  }
  if (node == nullptr || node->children.empty()) {
    if (out) append_json(*out, value);
    return;
  }
  simdjson::dom::object object;
  simdjson::dom::array array;
  if (value.get(object) == simdjson::SUCCESS) {
    if (out) *out += '{';
    bool first = true;
    for (auto member : object) {
      if (out) {
        if (!first) *out += ',';
        write_key(*out, member.key);
      }
      first = false;
      const Node* next = node->child(member.key);
      if (next == nullptr) next = node->child(kAnyKey);
      walk(member.value, next, visitor, out);
    }
    if (out) *out += '}';
  } else if (value.get(array) == simdjson::SUCCESS) {
    if (out) *out += '[';
    bool first = true;
    const Node* next = node->child(kAnyElement);
    for (auto element : array) {
      if (out && !first) *out += ',';
      first = false;
      walk(element, next, visitor, out);
    }
    if (out) *out += ']';
  } else if (out) {
    append_json(*out, value);
  }
}

}  // namespace

void walk_value_members(simdjson::dom::element root, ValueMemberVisitor& visitor, std::string* out) {
  walk(root, &trie(), visitor, out);
}

void append_json(std::string& out, simdjson::dom::element value) { out += simdjson::minify(value); }

}  // namespace dynaudit::ddb
