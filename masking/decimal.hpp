// Exact decimal arithmetic for DynamoDB numbers (38 significant digits,
// exponents -130..125): `round` and `partial` on N values must not lose the
// precision a double would.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dynaudit::masking {

// sign * digits * 10^exponent; `digits` has no leading zeros, empty is zero.
struct Decimal {
  bool negative = false;
  std::string digits;
  int exponent = 0;

  // JSON/DynamoDB number text: [-+]digits[.digits][e[+-]digits], within
  // DynamoDB's limits (38 significant digits, 1E-130 to 1E+126); nullopt
  // otherwise.
  static std::optional<Decimal> parse(std::string_view text);
  bool is_zero() const { return digits.empty(); }
  // Canonical plain notation, no exponent, no trailing fraction zeros: the
  // form masked N values are written in, so equal numbers compare equal.
  std::string to_string() const;
};

// A positive step as an exact decimal: s * 10^e (from the double's shortest
// round-trip representation, so 0.01 is 1e-2, not 0.01000000000000000020816).
struct DecimalStep {
  std::uint64_t significand = 1;
  int exponent = 0;
};
std::optional<DecimalStep> decimal_step(double step);

// Round half away from zero to the nearest multiple of `step`, exactly.
Decimal round_to_step(const Decimal& value, const DecimalStep& step);

// Keeps the first/last digits, sets the others to 0; result canonical.
std::string partial_number(const Decimal& value, int keep_first, int keep_last);

}  // namespace dynaudit::masking
