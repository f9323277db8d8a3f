// The sensitive-data detectors (detectors.hpp).
#include "discovery/detectors.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cmath>
#include <string>
#include <vector>

namespace dynaudit::discovery {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_lower(char c) { return c >= 'a' && c <= 'z'; }

// An attribute name as words: `card_number`, `cardNumber`, `Card-Number`
// are all {card, number}; `customerSSN` is {customer, ssn}.
struct NameWords {
  std::vector<std::string> words;
  std::string joined;  // the words run together: "dateofbirth"
};

NameWords words_of(std::string_view name) {
  NameWords out;
  std::string word;
  auto flush = [&] {
    if (!word.empty()) out.words.push_back(word), out.joined += word, word.clear();
  };
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (!(is_digit(c) || is_upper(c) || is_lower(c))) {
      flush();
      continue;
    }
    // A new word at lower->Upper, and at the last capital of a run before a
    // lower case letter ("SSNNumber" -> SSN, Number).
    if (is_upper(c) && !word.empty() &&
        (is_lower(name[i - 1]) || (i + 1 < name.size() && is_lower(name[i + 1]) && is_upper(name[i - 1]))))
      flush();
    word += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  flush();
  return out;
}

// The attribute name says something: a word of it is one of `words`, or a
// longer one (five letters or more) is inside the name's words run together
// ("apikey" in apiKey, "birth" in dateOfBirth).
bool name_has(const NameWords& name, std::initializer_list<std::string_view> words) {
  for (auto w : words) {
    for (const auto& word : name.words)
      if (word == w) return true;
    if (w.size() >= 5 && name.joined.find(w) != std::string::npos) return true;
  }
  return false;
}

// The name says the value is something else: an order number, a part
// number, a version, an amount. Detectors that go by structure alone stand
// down for these (named classes — an attribute called `ssn` — do not).
bool names_something_else(const NameWords& name) {
  return name_has(name, {"order", "invoice", "tracking", "reference", "ref", "part", "sku", "model", "version",
                         "release", "build", "amount", "adjustment", "delta", "price", "total", "balance", "count",
                         "quantity", "checksum", "digest", "hash", "etag"});
}

// The digits of a value made of digits and the separators people type
// (space, dash); empty when anything else is in it.
std::string digits_of(std::string_view value, std::string_view separators = " -") {
  std::string digits;
  for (char c : value) {
    if (is_digit(c)) digits += c;
    else if (separators.find(c) == std::string_view::npos) return {};
  }
  return digits;
}

int prefix_number(std::string_view digits, std::size_t n) {
  if (digits.size() < n) return -1;
  int v = 0;
  for (std::size_t i = 0; i < n; ++i) v = v * 10 + (digits[i] - '0');
  return v;
}

std::optional<Detection> card(const NameWords& name, std::string_view value) {
  if (names_something_else(name)) return std::nullopt;
  const std::string digits = digits_of(value);
  if (digits.size() < 13 || digits.size() > 19) return std::nullopt;
  if (!luhn_valid(digits) || !card_issuer_known(digits)) return std::nullopt;
  const bool hint = name_has(name, {"card", "pan", "ccn", "cc", "credit"});
  return Detection{DataClass::card_number, hint ? 0.97 : 0.9};
}

std::optional<Detection> ssn(const NameWords& name, std::string_view value) {
  const bool hint = name_has(name, {"ssn", "social", "taxid", "tin"});
  if (value.size() == 11 && (value[3] == '-' || value[3] == ' ') && value[6] == value[3] &&
      (hint || !names_something_else(name))) {
    const std::string digits = digits_of(value);
    if (digits.size() != 9) return std::nullopt;
    if (!ssn_valid(digits.substr(0, 3), digits.substr(3, 2), digits.substr(5))) return std::nullopt;
    return Detection{DataClass::us_ssn, hint ? 0.97 : 0.85};
  }
  // Nine bare digits are many things; only the name makes them an SSN.
  if (hint && value.size() == 9 && std::all_of(value.begin(), value.end(), is_digit) &&
      ssn_valid(value.substr(0, 3), value.substr(3, 2), value.substr(5)))
    return Detection{DataClass::us_ssn, 0.8};
  return std::nullopt;
}

std::optional<Detection> email(std::string_view value) {
  if (value.size() > 254) return std::nullopt;
  const auto at = value.find('@');
  if (at == std::string_view::npos || at == 0 || at > 64 || value.find('@', at + 1) != std::string_view::npos)
    return std::nullopt;
  const auto local = value.substr(0, at), domain = value.substr(at + 1);
  auto local_char = [](char c) {
    return is_digit(c) || is_upper(c) || is_lower(c) || std::string_view("._%+-'").find(c) != std::string_view::npos;
  };
  if (!std::all_of(local.begin(), local.end(), local_char) || local.front() == '.' || local.back() == '.' ||
      local.find("..") != std::string_view::npos)
    return std::nullopt;
  std::size_t labels = 0, start = 0;
  std::string_view last;
  while (start <= domain.size()) {
    const auto dot = domain.find('.', start);
    const auto label = domain.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return std::nullopt;
    for (char c : label)
      if (!(is_digit(c) || is_upper(c) || is_lower(c) || c == '-')) return std::nullopt;
    ++labels;
    last = label;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (labels < 2 || last.size() < 2 || !std::all_of(last.begin(), last.end(), [](char c) { return is_upper(c) || is_lower(c); }))
    return std::nullopt;
  return Detection{DataClass::email, 0.95};
}

std::optional<Detection> phone(const NameWords& name, std::string_view value) {
  const bool hint = name_has(name, {"phone", "mobile", "tel", "fax", "cell", "msisdn"});
  if (!value.empty() && value.front() == '+' && (hint || !names_something_else(name))) {
    // A signed amount ("+1250.00") is not a number to call.
    const auto dot = value.find('.');
    if (dot != std::string_view::npos && value.find('.', dot + 1) == std::string_view::npos && value.size() - dot == 3)
      return std::nullopt;
    const std::string digits = digits_of(value.substr(1), " -().");
    if (digits.size() < 8 || digits.size() > 15 || digits.front() == '0') return std::nullopt;
    return Detection{DataClass::phone, hint ? 0.95 : 0.85};
  }
  if (!hint) return std::nullopt;
  const std::string digits = digits_of(value, " -().");
  if (digits.size() < 10 || digits.size() > 15) return std::nullopt;
  return Detection{DataClass::phone, 0.7};
}

struct IbanCountry {
  const char* code;
  std::size_t length;
};
constexpr IbanCountry kIbanCountries[] = {
    {"AD", 24}, {"AE", 23}, {"AT", 20}, {"AZ", 28}, {"BA", 20}, {"BE", 16}, {"BG", 22}, {"BH", 22}, {"BR", 29},
    {"CH", 21}, {"CR", 22}, {"CY", 28}, {"CZ", 24}, {"DE", 22}, {"DK", 18}, {"DO", 28}, {"EE", 20}, {"ES", 24},
    {"FI", 18}, {"FO", 18}, {"FR", 27}, {"GB", 22}, {"GE", 22}, {"GI", 23}, {"GL", 18}, {"GR", 27}, {"GT", 28},
    {"HR", 21}, {"HU", 28}, {"IE", 22}, {"IL", 23}, {"IS", 26}, {"IT", 27}, {"JO", 30}, {"KW", 30}, {"KZ", 20},
    {"LB", 28}, {"LI", 21}, {"LT", 20}, {"LU", 20}, {"LV", 21}, {"MC", 27}, {"MD", 24}, {"ME", 22}, {"MK", 19},
    {"MR", 27}, {"MT", 31}, {"MU", 30}, {"NL", 18}, {"NO", 15}, {"PK", 24}, {"PL", 28}, {"PS", 29}, {"PT", 25},
    {"QA", 29}, {"RO", 24}, {"RS", 22}, {"SA", 24}, {"SE", 24}, {"SI", 19}, {"SK", 24}, {"SM", 27}, {"TN", 24},
    {"TR", 26}, {"UA", 29}, {"VG", 24}, {"XK", 20}};

std::optional<Detection> iban(std::string_view value) {
  std::string compact;
  for (char c : value) {
    if (c == ' ') continue;
    compact += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  if (compact.size() < 15 || compact.size() > 34) return std::nullopt;
  if (!iban_valid(compact)) return std::nullopt;
  return Detection{DataClass::iban, 0.97};
}

std::optional<Detection> ip(const NameWords& name, std::string_view value) {
  if (value.size() > 45 || names_something_else(name)) return std::nullopt;
  const std::string text(value);
  unsigned char buffer[16];
  const bool hint = name_has(name, {"ip", "addr", "address", "host", "client", "remote", "source"});
  if (text.find(':') != std::string::npos) {
    if (std::count(text.begin(), text.end(), ':') < 2 || ::inet_pton(AF_INET6, text.c_str(), buffer) != 1)
      return std::nullopt;
    return Detection{DataClass::ip_address, 0.9};
  }
  // inet_pton accepts exactly four decimal parts of 0-255 without leading zeros.
  if (::inet_pton(AF_INET, text.c_str(), buffer) != 1) return std::nullopt;
  return Detection{DataClass::ip_address, hint ? 0.9 : 0.75};
}

bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
bool calendar_date(int y, int m, int d) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12 || d < 1) return false;
  return d <= kDays[m - 1] + (m == 2 && leap(y) ? 1 : 0);
}

int current_year() {
  const auto days = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
  return static_cast<int>(std::chrono::year_month_day{days}.year());
}

std::optional<Detection> date_of_birth(const NameWords& name, std::string_view value) {
  if (!name_has(name, {"dob", "birth", "birthday", "born", "birthdate"})) return std::nullopt;
  auto num = [&](std::size_t pos, std::size_t n) {
    if (pos + n > value.size()) return -1;
    int v = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
      if (!is_digit(value[i])) return -1;
      v = v * 10 + (value[i] - '0');
    }
    return v;
  };
  int y = -1, m = -1, d = -1;
  if (value.size() >= 10 && (value[4] == '-' || value[4] == '/') && value[7] == value[4] &&
      (value.size() == 10 || value[10] == 'T' || value[10] == ' ')) {
    y = num(0, 4), m = num(5, 2), d = num(8, 2);
  } else if (value.size() == 10 && value[2] == '/' && value[5] == '/') {
    m = num(0, 2), d = num(3, 2), y = num(6, 4);  // US order
  } else if (value.size() == 10 && value[2] == '.' && value[5] == '.') {
    d = num(0, 2), m = num(3, 2), y = num(6, 4);
  } else {
    return std::nullopt;
  }
  const int now = current_year();
  if (y < now - 120 || y > now || !calendar_date(y, m, d)) return std::nullopt;
  return Detection{DataClass::date_of_birth, 0.9};
}

std::optional<Detection> aws_key_id(std::string_view value) {
  static constexpr std::array<std::string_view, 11> kPrefixes = {"AKIA", "ASIA", "AGPA", "AIDA", "AROA", "AIPA",
                                                                 "ANPA", "ANVA", "APKA", "ABIA", "ACCA"};
  if (value.size() != 20) return std::nullopt;
  if (std::find(kPrefixes.begin(), kPrefixes.end(), value.substr(0, 4)) == kPrefixes.end()) return std::nullopt;
  for (char c : value.substr(4))
    if (!(is_upper(c) || (c >= '2' && c <= '7'))) return std::nullopt;
  return Detection{DataClass::aws_access_key_id, 0.97};
}

// Base64 whose bytes are readable text with spaces is an encoded note, not a
// key: a secret's bytes are random.
bool encodes_text(std::string_view value) {
  if (value.size() % 4 != 0) return false;
  auto sextet = [](char c) -> int {
    if (is_upper(c)) return c - 'A';
    if (is_lower(c)) return c - 'a' + 26;
    if (is_digit(c)) return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
  };
  std::string bytes;
  for (std::size_t i = 0; i + 3 < value.size(); i += 4) {
    int v[4];
    for (int k = 0; k < 4; ++k) v[k] = value[i + k] == '=' ? 0 : sextet(value[i + k]);
    if (v[0] < 0 || v[1] < 0 || v[2] < 0 || v[3] < 0) return false;
    const unsigned n = (static_cast<unsigned>(v[0]) << 18) | (static_cast<unsigned>(v[1]) << 12) |
                       (static_cast<unsigned>(v[2]) << 6) | static_cast<unsigned>(v[3]);
    bytes += static_cast<char>(n >> 16);
    if (value[i + 2] != '=') bytes += static_cast<char>((n >> 8) & 0xff);
    if (value[i + 3] != '=') bytes += static_cast<char>(n & 0xff);
  }
  std::size_t printable = 0, spaces = 0;
  for (unsigned char c : bytes) {
    printable += c >= 0x20 && c < 0x7f;
    spaces += c == ' ';
  }
  return !bytes.empty() && spaces > 0 && printable * 10 >= bytes.size() * 9;
}

std::optional<Detection> secret(const NameWords& name, std::string_view value) {
  if (value.find("-----BEGIN") != std::string_view::npos && value.find("PRIVATE KEY") != std::string_view::npos)
    return Detection{DataClass::secret, 0.97};
  if (value.size() > 4096 || value.find(' ') != std::string_view::npos) return std::nullopt;
  bool upper = false, lower_case = false, digit = false;
  for (char c : value) upper |= is_upper(c), lower_case |= is_lower(c), digit |= is_digit(c);
  const double entropy = shannon_entropy_bits(value);
  // A JSON Web Token: three base64url parts, a JSON header.
  if (value.substr(0, 3) == "eyJ" && std::count(value.begin(), value.end(), '.') == 2 && value.size() >= 30)
    return Detection{DataClass::secret, 0.9};
  const bool named = name_has(name, {"secret", "password", "passwd", "pwd", "token", "apikey", "privatekey",
                                     "credential"});
  if (named && value.size() >= 8 && entropy >= 2.5) return Detection{DataClass::secret, 0.8};
  // An AWS secret access key's shape, or any long random-looking token.
  const bool base64ish = std::all_of(value.begin(), value.end(), [](char c) {
    return is_digit(c) || is_upper(c) || is_lower(c) || c == '/' || c == '+' || c == '=' || c == '_' || c == '-';
  });
  if (base64ish && upper && lower_case && digit && value.size() >= 32 && entropy >= 4.5 &&
      !names_something_else(name) && !encodes_text(value))
    return Detection{DataClass::secret, value.size() == 40 ? 0.85 : 0.65};
  return std::nullopt;
}

}  // namespace

std::string_view to_string(DataClass c) {
  switch (c) {
    case DataClass::card_number: return "card_number";
    case DataClass::us_ssn: return "us_ssn";
    case DataClass::email: return "email";
    case DataClass::phone: return "phone";
    case DataClass::iban: return "iban";
    case DataClass::ip_address: return "ip_address";
    case DataClass::date_of_birth: return "date_of_birth";
    case DataClass::aws_access_key_id: return "aws_access_key_id";
    case DataClass::secret: return "secret";
  }
  return "unknown";
}

std::optional<DataClass> parse_data_class(std::string_view text) {
  for (std::size_t i = 0; i < kDataClasses; ++i) {
    const auto c = static_cast<DataClass>(i);
    if (to_string(c) == text) return c;
  }
  return std::nullopt;
}

bool luhn_valid(std::string_view digits) {
  int sum = 0;
  bool double_it = false;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    if (!is_digit(*it)) return false;
    int d = *it - '0';
    if (double_it && (d *= 2) > 9) d -= 9;
    sum += d;
    double_it = !double_it;
  }
  return !digits.empty() && sum % 10 == 0;
}

bool card_issuer_known(std::string_view d) {
  const std::size_t n = d.size();
  const int p1 = prefix_number(d, 1), p2 = prefix_number(d, 2), p3 = prefix_number(d, 3), p4 = prefix_number(d, 4),
            p6 = prefix_number(d, 6);
  if (p1 == 4) return n == 13 || n == 16 || n == 19;                                   // Visa
  if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) return n == 16;           // Mastercard
  if (p2 == 34 || p2 == 37) return n == 15;                                             // American Express
  if (p4 == 6011 || (p3 >= 644 && p3 <= 649) || p2 == 65 || (p6 >= 622126 && p6 <= 622925))
    return n >= 16 && n <= 19;                                                          // Discover
  if (p2 == 62) return n >= 16 && n <= 19;                                              // UnionPay
  if (p4 >= 3528 && p4 <= 3589) return n >= 16 && n <= 19;                              // JCB
  if ((p3 >= 300 && p3 <= 305) || p2 == 36 || p2 == 38 || p2 == 39) return n >= 14 && n <= 19;  // Diners
  return false;
}

bool ssn_valid(std::string_view area, std::string_view group, std::string_view serial) {
  if (area == "000" || area == "666" || area[0] == '9' || group == "00" || serial == "0000") return false;
  const std::string whole = std::string(area) + std::string(group) + std::string(serial);
  // Numbers published in advertising and examples, never issued to anyone.
  return whole != "078051120" && whole != "219099999" && whole != "123456789";
}

bool iban_valid(std::string_view compact) {
  if (compact.size() < 15 || !is_upper(compact[0]) || !is_upper(compact[1]) || !is_digit(compact[2]) ||
      !is_digit(compact[3]))
    return false;
  const auto country = compact.substr(0, 2);
  const IbanCountry* known = nullptr;
  for (const auto& c : kIbanCountries)
    if (country == c.code) known = &c;
  if (!known || compact.size() != known->length) return false;
  // Move the first four characters to the end, letters to 10..35, mod 97.
  int remainder = 0;
  for (std::size_t i = 0; i < compact.size(); ++i) {
    const char c = compact[(i + 4) % compact.size()];
    if (is_digit(c)) {
      remainder = (remainder * 10 + (c - '0')) % 97;
    } else if (is_upper(c)) {
      remainder = (remainder * 100 + (c - 'A' + 10)) % 97;
    } else {
      return false;
    }
  }
  return remainder == 1;
}

double shannon_entropy_bits(std::string_view text) {
  if (text.empty()) return 0;
  std::array<std::size_t, 256> counts{};
  for (unsigned char c : text) ++counts[c];
  double bits = 0;
  const double n = static_cast<double>(text.size());
  for (auto count : counts) {
    if (!count) continue;
    const double p = static_cast<double>(count) / n;
    bits -= p * std::log2(p);
  }
  return bits;
}

std::optional<Detection> classify(std::string_view attribute, std::string_view value) {
  if (value.empty() || value.size() > 8192) return std::nullopt;
  const NameWords name = words_of(attribute);
  // Most specific first: a card number is also a long digit string, an
  // AWS key id also looks random.
  if (auto d = card(name, value)) return d;
  if (auto d = ssn(name, value)) return d;
  if (auto d = iban(value)) return d;
  if (auto d = aws_key_id(value)) return d;
  if (auto d = email(value)) return d;
  if (auto d = ip(name, value)) return d;
  if (auto d = date_of_birth(name, value)) return d;
  if (auto d = phone(name, value)) return d;
  if (auto d = secret(name, value)) return d;
  return std::nullopt;
}

}  // namespace dynaudit::discovery
