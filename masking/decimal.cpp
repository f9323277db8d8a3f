// Exact decimal rounding and digit masking for N values; see decimal.hpp.
#include "masking/decimal.hpp"

#include <charconv>
#include <cmath>

namespace dynaudit::masking {

namespace {

void normalize(Decimal& d) {
  std::size_t lead = 0;
  while (lead < d.digits.size() && d.digits[lead] == '0') ++lead;
  d.digits.erase(0, lead);
  std::size_t trail = 0;
  while (trail < d.digits.size() && d.digits[d.digits.size() - 1 - trail] == '0') ++trail;
  d.digits.resize(d.digits.size() - trail);
  d.exponent += static_cast<int>(trail);
  if (d.digits.empty()) {
    d.exponent = 0;
    d.negative = false;
  }
}

}  // namespace

std::optional<Decimal> Decimal::parse(std::string_view text) {
  Decimal d;
  std::size_t i = 0;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) d.negative = text[i++] == '-';
  bool any_digit = false;
  int fraction_digits = 0;
  bool in_fraction = false;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c >= '0' && c <= '9') {
      any_digit = true;
      if (d.digits.size() > 400) return std::nullopt;
      if (!(d.digits.empty() && c == '0')) d.digits += c;
      if (in_fraction) ++fraction_digits;
    } else if (c == '.' && !in_fraction) {
      in_fraction = true;
    } else {
      break;
    }
  }
  if (!any_digit) return std::nullopt;
  long exponent = 0;
  if (i < text.size()) {
    if (text[i] != 'e' && text[i] != 'E') return std::nullopt;
    ++i;
    bool exp_negative = false;
    if (i < text.size() && (text[i] == '-' || text[i] == '+')) exp_negative = text[i++] == '-';
    if (i >= text.size()) return std::nullopt;
    for (; i < text.size(); ++i) {
      if (text[i] < '0' || text[i] > '9') return std::nullopt;
      exponent = exponent * 10 + (text[i] - '0');
      if (exponent > 1000) return std::nullopt;
    }
    if (exp_negative) exponent = -exponent;
  }
  // Leading zeros of the fraction were dropped from `digits` but still count.
  d.exponent = static_cast<int>(exponent) - fraction_digits;
  normalize(d);
  // DynamoDB's own limits: 38 significant digits, 1E-130 <= |x| < 1E+126.
  // A number past them never comes from DynamoDB; refusing it keeps the
  // canonical form short, and parseable again (1332.21e400 would otherwise
  // be written as 404 plain digits, which a reader refuses).
  if (!d.digits.empty()) {
    const long magnitude = static_cast<long>(d.digits.size()) - 1 + d.exponent;
    if (d.digits.size() > 38 || magnitude > 125 || magnitude < -130) return std::nullopt;
  }
  return d;
}

std::string Decimal::to_string() const {
  if (digits.empty()) return "0";
  std::string out;
  if (negative) out += '-';
  const long point = static_cast<long>(digits.size()) + exponent;  // digits before the point
  if (exponent >= 0) {
    out += digits;
    out.append(static_cast<std::size_t>(exponent), '0');
  } else if (point <= 0) {
    out += "0.";
    out.append(static_cast<std::size_t>(-point), '0');
    out += digits;
  } else {
    out.append(digits, 0, static_cast<std::size_t>(point));
    out += '.';
    out.append(digits, static_cast<std::size_t>(point), std::string::npos);
  }
  return out;
}

std::optional<DecimalStep> decimal_step(double step) {
  if (!(step > 0) || !std::isfinite(step)) return std::nullopt;
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, step);
  if (result.ec != std::errc()) return std::nullopt;
  const auto d = Decimal::parse(std::string_view(buffer, static_cast<std::size_t>(result.ptr - buffer)));
  if (!d || d->digits.empty() || d->digits.size() > 18) return std::nullopt;
  DecimalStep s;
  s.significand = std::stoull(d->digits);
  s.exponent = d->exponent;
  return s;
}

Decimal round_to_step(const Decimal& value, const DecimalStep& step) {
  if (value.is_zero()) return value;
  // Digits below step.exponent - 1 cannot change the result: the half-step
  // threshold lies on that grid, so truncating there keeps the comparison
  // exact and keeps the divisor below 10 * significand (fits 64 bits).
  std::string digits = value.digits;
  int e1 = value.exponent;
  const int floor_exp = step.exponent - 1;
  if (e1 < floor_exp) {
    const std::size_t drop = static_cast<std::size_t>(floor_exp - e1);
    digits.resize(drop >= digits.size() ? 0 : digits.size() - drop);
    e1 = floor_exp;
  }
  const int e = e1 < step.exponent ? e1 : step.exponent;
  digits.append(static_cast<std::size_t>(e1 - e), '0');
  unsigned __int128 divisor = step.significand;
  for (int k = e; k < step.exponent; ++k) divisor *= 10;
  // Long division of the digit string by the divisor.
  std::string quotient;
  unsigned __int128 remainder = 0;
  for (const char c : digits) {
    remainder = remainder * 10 + static_cast<unsigned>(c - '0');
    const auto q = static_cast<unsigned>(remainder / divisor);
    remainder -= divisor * q;
    if (!(quotient.empty() && q == 0)) quotient += static_cast<char>('0' + q);
  }
  if (remainder * 2 >= divisor) {
    // Increment the quotient.
    std::size_t i = quotient.size();
    for (;;) {
      if (i == 0) {
        quotient.insert(quotient.begin(), '1');
        break;
      }
      --i;
      if (quotient[i] == '9') {
        quotient[i] = '0';
      } else {
        ++quotient[i];
        break;
      }
    }
  }
  // quotient * divisor, digit by digit from the right.
  Decimal out;
  out.negative = value.negative;
  out.exponent = e;
  std::string product;
  unsigned __int128 carry = 0;
  for (std::size_t i = quotient.size(); i-- > 0;) {
    carry += divisor * static_cast<unsigned>(quotient[i] - '0');
    product += static_cast<char>('0' + static_cast<unsigned>(carry % 10));
    carry /= 10;
  }
  while (carry > 0) {
    product += static_cast<char>('0' + static_cast<unsigned>(carry % 10));
    carry /= 10;
  }
  out.digits.assign(product.rbegin(), product.rend());
  normalize(out);
  return out;
}

std::string partial_number(const Decimal& value, int keep_first, int keep_last) {
  // Digits in plain notation, as the reader sees them ("1200.5" -> 12005).
  Decimal d = value;
  if (d.exponent > 0) {
    d.digits.append(static_cast<std::size_t>(d.exponent), '0');
    d.exponent = 0;
  }
  const auto n = static_cast<long>(d.digits.size());
  const long first = keep_first < 0 ? 0 : keep_first;
  const long last = keep_last < 0 ? 0 : keep_last;
  if (first + last >= n) {
    d.digits.clear();
  } else {
    for (long i = first; i < n - last; ++i) d.digits[static_cast<std::size_t>(i)] = '0';
  }
  normalize(d);
  return d.to_string();
}

}  // namespace dynaudit::masking
