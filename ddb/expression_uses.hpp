// The uses (attribute_use.hpp) of the paths in one DynamoDB expression:
// projection, condition, filter, key condition or update. A single pass over
// the tokens with a stack of the function calls it is inside; no grammar is
// enforced (DynamoDB validates), and a place the pass cannot classify is a
// comparison, so garbage can only make the analysis refuse more.
#pragma once

#include <string_view>
#include <vector>

#include "ddb/attribute_use.hpp"
#include "ddb/expression_paths.hpp"

namespace dynaudit::ddb {

enum class ExpressionRole {
  projection,     // ProjectionExpression
  condition,      // ConditionExpression, FilterExpression
  key_condition,  // KeyConditionExpression: `=` there is key equality
  update,         // UpdateExpression
};

// Appends one use per path occurrence (per rendering of its placeholders).
// `member` names the request member in the uses; `table` is the table of the
// item request the expression belongs to.
void collect_expression_uses(ExpressionRole role, std::string_view member, std::string_view expression,
                             const ExpressionAttributeNames& names, std::string_view table,
                             std::vector<AttributeUse>& out);

}  // namespace dynaudit::ddb
