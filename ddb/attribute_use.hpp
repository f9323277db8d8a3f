// How a request uses each attribute it names. Rules on attributes only need
// "read" and "written"; masking needs more, because a masked attribute may be
// read back (masked) and written, but never compared, probed with a function
// or copied into another attribute — each of those would tell the caller
// what the mask hides. Every path a request names gets one use per place it
// appears; a place the analysis cannot classify counts as a comparison, the
// side that refuses more.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace dynaudit::ddb {

enum class UseKind {
  read,          // projected or returned: comes back through the mask
  write,         // overwritten, removed, added to: says nothing of the old value
  exists,        // attribute_exists / attribute_not_exists, legacy NULL/NOT_NULL, Exists: false
  key_equality,  // a key map, or `=` in a key condition: DynamoDB allows only key attributes there
  equality,      // = or <> in a condition, filter or PartiQL WHERE (key or not, unknown)
  compare,       // < <= > >= BETWEEN IN, ORDER BY, or a place not classified
  function,      // begins_with, contains, size, attribute_type, ... on the value
  copy,          // the source of an update: SET x = a, list_append(a, …), if_not_exists(a, …), a + 1
  start_key,     // an attribute of ExclusiveStartKey: where a page starts (a range probe unless sealed)
};

std::string_view to_string(UseKind kind);

struct AttributeUse {
  std::string path;      // "a.b[0].c", #placeholders resolved
  UseKind kind = UseKind::compare;
  std::string member;    // where: "FilterExpression", "Expected", "KeyConditions", "PartiQL WHERE", ...
  std::string detail;    // the operator or function: "begins_with", "<", "BETWEEN", "list_append"; may be empty
  std::string table;     // the table of the item request it belongs to, when known
  std::string start_key_value;  // start_key only: the scalar as sent (a sealed pagination token or a value)
};

}  // namespace dynaudit::ddb
