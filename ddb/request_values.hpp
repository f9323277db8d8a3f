// Every value a request carries, as text an upstream error message could
// echo: each scalar inside the value-carrying members of the service model
// (ddb/value_members.hpp, walked as ddb/value_member_walk.hpp says), the literals of its
// expressions and PartiQL statements. The input of the error-message
// scrubber (ddb/value_scrubber.hpp).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace dynaudit::ddb {

// Strings (S, SS), numbers as written and in plain canonical form (N, NS),
// binary as base64 and, when it decodes to text, as that text (B, BS), at any
// depth of M and L; BOOL and NULL carry nothing worth scrubbing. A body that
// does not parse yields its JSON string and number tokens instead (nothing
// else says which of them are values).
std::vector<std::string> request_values(std::string_view body);

// The same, keeping only values that occur in `text` (the message to scrub).
// The request path calls this one: a 16 MB body of tiny values then costs a
// hash lookup per value, not a search of the message per value, and never
// holds a copy of every value.
std::vector<std::string> request_values_in(std::string_view body, std::string_view text);

}  // namespace dynaudit::ddb
