// Whether a rule's attribute path ("card.number", "cards[*].number") and a
// path a request names ("card", "cards[0].number.x") concern the same data:
// one is a prefix of the other. Reading or copying `card` moves
// `card.number`; probing `card.number.x` probes inside it.
#pragma once

#include <string_view>

namespace dynaudit::rules {

// False when `rule_path` is not a valid rule path.
bool paths_overlap(std::string_view rule_path, std::string_view fact_path);

}  // namespace dynaudit::rules
