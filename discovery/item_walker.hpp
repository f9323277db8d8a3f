// Walks the items of a DynamoDB reply and hands every scalar value to a
// visitor with its table and attribute path: `address.zip`, `cards[*].pan`
// (list positions become [*], as mask rules write them), members of string
// and number sets under their attribute's path. The detectors see each value
// once; nothing is kept.
#pragma once

#include <cstddef>
#include <functional>
#include <string_view>

namespace dynaudit::discovery {

using ValueVisitor = std::function<void(std::string_view table, std::string_view path, std::string_view value)>;

struct WalkLimits {
  std::size_t max_items = 100;    // items looked at per reply
  std::size_t max_values = 2'000; // values handed out per reply
  std::size_t max_depth = 32;     // DynamoDB's own nesting limit
};

// `table` names the table of replies that do not say it themselves
// (GetItem, Query, Scan, TransactGetItems, ExecuteStatement, GetRecords);
// BatchGetItem's replies name theirs. Returns how many values were visited;
// a body that is not JSON visits none.
std::size_t walk_reply_items(std::string_view operation, std::string_view table, std::string_view body,
                             const ValueVisitor& visit, const WalkLimits& limits = {});

}  // namespace dynaudit::discovery
