// Duplicate member names in a JSON document. DynamoDB's JSON reader keeps one
// of two equal members, the proxy's walker sees both: a request body that
// repeats a member could be judged on one value and executed on the other,
// so the proxy refuses such bodies instead of guessing which one counts.
#pragma once

#include <simdjson.h>

#include <string_view>

namespace dynaudit::ddb {

// True when some object anywhere in `root` has two members with the same
// (unescaped) name. Iterative, so nesting depth costs no stack.
bool has_duplicate_member(simdjson::dom::element root);

}  // namespace dynaudit::ddb
