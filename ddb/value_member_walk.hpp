// Walks a parsed request body along the value-carrying members the service
// model gives its operation (ddb/value_members.hpp) and hands each one to a
// visitor; optionally writes the body back out (minified) with what the
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

// `operation`: the X-Amz-Target operation name. An operation the model does
// not have (another API version, a new operation) is walked along the
// members of every operation, so its values are still found.
// With `out` null the body is only visited.
void walk_value_members(std::string_view operation, simdjson::dom::element root, ValueMemberVisitor& visitor,
                        std::string* out);

// Appends `value` as minified JSON (simdjson's serializer).
void append_json(std::string& out, simdjson::dom::element value);

}  // namespace dynaudit::ddb
