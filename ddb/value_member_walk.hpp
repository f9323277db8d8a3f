// Walks a parsed request body along the value-carrying members of the
// service model (ddb/value_members.hpp) and hands each one to a visitor; optionally writes the body back out (minified) with what the
// visitor wrote in place of each such member. One walk serves the audit
// mask plan (rewriting) and the error-message scrubber (collecting).
#pragma once

#include <string>
#include <string_view>

#include <simdjson.h>

#include "ddb/value_members.hpp"

namespace dynaudit::ddb {

class ValueMemberVisitor {
 public:
  virtual ~ValueMemberVisitor() = default;
  // Called once per occurrence of a value-carrying member (every occurrence:
  // a repeated JSON key is visited each time). When `out` is not null, the
  // visitor appends the JSON to write in the member's place.
  virtual void visit(ValueKind kind, simdjson::dom::element value, std::string* out) = 0;
};

// Every body is walked along the union of all operations' value members,
// whatever its operation: a member the caller adds to an operation that
// lacks it (or to an operation the model does not know) is still treated as
// the model treats it elsewhere. The model gives each path one meaning in
// every operation (the generator checks), so the union is exact.
// With `out` null the body is only visited.
void walk_value_members(simdjson::dom::element root, ValueMemberVisitor& visitor, std::string* out);

// Appends `value` as minified JSON (simdjson's serializer).
void append_json(std::string& out, simdjson::dom::element value);

}  // namespace dynaudit::ddb
