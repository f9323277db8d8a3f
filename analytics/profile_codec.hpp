// A PrincipalProfile as bytes, for the store's baselines family: a version
// byte, then the fields in a fixed order, little-endian. A value that does
// not read back whole (another version, truncation, damage) is refused and
// the principal starts learning again, never half-loaded.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "analytics/principal_profile.hpp"

namespace dynaudit::analytics {

std::string encode_profile(const PrincipalProfile& profile);
std::unique_ptr<PrincipalProfile> decode_profile(std::string_view bytes);

}  // namespace dynaudit::analytics
