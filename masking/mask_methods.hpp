// The mask methods on AttributeValue JSON text: one compiled spec applied to
// one top-level attribute's value, following the spec's path through M and
// L values. Output is always a valid AttributeValue (see docs in the .cpp).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "masking/compiled_plan.hpp"
#include "masking/crypto.hpp"

namespace dynaudit::masking {

struct MethodContext {
  const Hmac* hmac = nullptr;  // set when the plan has a hash spec
  std::string error;
};

enum class Change { unchanged, changed, removed, error };

// Appends the masked value to `out` when `changed`; appends nothing for
// unchanged, removed (the attribute is dropped) and error (ctx.error says why).
// `masked` counts the values the spec's path addressed and changed.
Change apply_spec(const CompiledSpec& spec, std::string_view av_text, std::string& out, MethodContext& ctx,
                  std::size_t& masked);

// Exposed for tests: the string methods on decoded UTF-8 text.
std::string partial_string(std::string_view utf8, int keep_first, int keep_last);
// nullopt when `utf8` is not an address (no '@', empty local part or domain).
std::optional<std::string> mask_email(std::string_view utf8);

}  // namespace dynaudit::masking
