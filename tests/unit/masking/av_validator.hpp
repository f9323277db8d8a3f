// Test helper: checks that a body parses as JSON and that every
// AttributeValue at the places the masker rewrites is valid as DynamoDB
// defines it (one type member, sets non-empty and unique, N a number, B
// base64). Shared by the unit tests and the fuzz target.
#pragma once

#include <string>
#include <string_view>

namespace dynaudit::masking::testing {

// Empty when valid, else what is wrong.
std::string check_attribute_value_json(std::string_view av_json);
std::string check_item_json(std::string_view item_json);
std::string check_response_json(std::string_view body);

}  // namespace dynaudit::masking::testing
