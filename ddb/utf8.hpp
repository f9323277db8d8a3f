// UTF-8 validation shared by everything that writes JSON text (error bodies,
// audit records): invalid bytes must never reach a JSON document.
#pragma once

#include <cstddef>
#include <string_view>

namespace dynaudit::ddb {

// Length of the well-formed UTF-8 sequence at the start of `text` (RFC 3629:
// no overlong forms, no surrogates, nothing above U+10FFFF), or 0 if there is
// none. `text` starts with a byte >= 0x80.
std::size_t valid_utf8_sequence_length(std::string_view text);

}  // namespace dynaudit::ddb
