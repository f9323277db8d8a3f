// Sensitive-data detectors: is this attribute value (at this attribute
// path) a card number, a US SSN, an e-mail address, a phone number, an IBAN,
// an IP address, a date of birth, an AWS access key id or a secret? Each
// detector checks structure, not just shape — Luhn and issuer ranges for
// cards, area/group/serial rules for SSNs, mod 97 for IBANs, calendar and age
// for birth dates — so order numbers that look like cards and dates that are
// not birth dates stay out. Pure functions; never keep the value.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

namespace dynaudit::discovery {

enum class DataClass {
  card_number,
  us_ssn,
  email,
  phone,
  iban,
  ip_address,
  date_of_birth,
  aws_access_key_id,
  secret,
};
inline constexpr std::size_t kDataClasses = 9;

std::string_view to_string(DataClass c);
std::optional<DataClass> parse_data_class(std::string_view text);

struct Detection {
  DataClass data_class;
  // 0..1: how sure the structure alone makes it (a Luhn-valid number in a
  // card issuer's range), raised when the attribute's name agrees (`pan`,
  // `card_number`), lowered when only the name speaks for it.
  double confidence = 0;
};

// The most specific class the value belongs to, if any. `attribute` is the
// last name on the attribute's path (`card_number` in `payment.card_number`),
// used as a hint and, for dates of birth and bare nine-digit SSNs, required.
std::optional<Detection> classify(std::string_view attribute, std::string_view value);

// The building blocks, exposed for tests.
bool luhn_valid(std::string_view digits);
bool card_issuer_known(std::string_view digits);
bool ssn_valid(std::string_view area, std::string_view group, std::string_view serial);
bool iban_valid(std::string_view compact);  // no spaces, upper case
double shannon_entropy_bits(std::string_view text);  // per character

}  // namespace dynaudit::discovery
