// The labelled evaluation corpus (labelled_corpus.hpp).
#include "discovery/labelled_corpus.hpp"

#include <map>
#include <random>

namespace dynaudit::discovery {
namespace {

class Gen {
 public:
  explicit Gen(std::uint64_t seed) : rng_(seed) {}
  int between(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  char digit() { return static_cast<char>('0' + between(0, 9)); }
  std::string digits(std::size_t n) {
    std::string s;
    for (std::size_t i = 0; i < n; ++i) s += digit();
    return s;
  }
  template <typename T>
  const T& pick(const std::vector<T>& v) { return v[static_cast<std::size_t>(between(0, static_cast<int>(v.size()) - 1))]; }
  std::string from(std::string_view alphabet, std::size_t n) {
    std::string s;
    for (std::size_t i = 0; i < n; ++i) s += alphabet[static_cast<std::size_t>(between(0, static_cast<int>(alphabet.size()) - 1))];
    return s;
  }
  bool coin() { return between(0, 1) == 1; }

 private:
  std::mt19937_64 rng_;
};

constexpr std::string_view kUpper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
constexpr std::string_view kLower = "abcdefghijklmnopqrstuvwxyz";
constexpr std::string_view kBase64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char luhn_check_digit(const std::string& body) {
  for (char c = '0'; c <= '9'; ++c)
    if (luhn_valid(body + c)) return c;
  return '0';
}

std::string group4(const std::string& digits, char sep) {
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i && i % 4 == 0) out += sep;
    out += digits[i];
  }
  return out;
}

std::string card_number(Gen& g) {
  static const std::vector<std::pair<std::string, std::size_t>> kIssuers = {
      {"4", 16}, {"4", 13}, {"51", 16}, {"55", 16}, {"2221", 16}, {"2720", 16}, {"34", 15}, {"37", 15},
      {"6011", 16}, {"65", 16}, {"3530", 16}, {"36", 14}, {"62", 16}};
  const auto& [prefix, length] = g.pick(kIssuers);
  std::string body = prefix + g.digits(length - prefix.size() - 1);
  body += luhn_check_digit(body);
  switch (g.between(0, 2)) {
    case 0: return body;
    case 1: return group4(body, ' ');
    default: return group4(body, '-');
  }
}

std::string valid_ssn(Gen& g) {
  for (;;) {
    const std::string area = g.digits(3), group = g.digits(2), serial = g.digits(4);
    if (ssn_valid(area, group, serial)) return area + "-" + group + "-" + serial;
  }
}

std::string iban_for(Gen& g, bool correct) {
  static const std::vector<std::pair<std::string, std::size_t>> kCountries = {
      {"DE", 22}, {"GB", 22}, {"FR", 27}, {"NL", 18}, {"ES", 24}, {"IT", 27}, {"CH", 21}, {"BE", 16}, {"PL", 28}};
  const auto& [country, length] = g.pick(kCountries);
  std::string bban;
  if (country == "GB" || country == "NL") bban = g.from(kUpper, 4) + g.digits(length - 8);
  else if (country == "IT") bban = g.from(kUpper, 1) + g.digits(length - 5);
  else bban = g.digits(length - 4);
  // Check digits: 98 - (BBAN + country + "00") mod 97.
  const std::string rearranged = bban + country + "00";
  int remainder = 0;
  for (char c : rearranged) {
    if (c >= '0' && c <= '9') remainder = (remainder * 10 + (c - '0')) % 97;
    else remainder = (remainder * 100 + (c - 'A' + 10)) % 97;
  }
  int check = 98 - remainder;
  if (!correct) check = (check + g.between(1, 90)) % 97 + 2;  // another pair, wrong
  std::string cd = (check < 10 ? "0" : "") + std::to_string(check);
  std::string iban = country + cd + bban;
  if (!correct && iban_valid(iban)) iban[2] = iban[2] == '9' ? '8' : static_cast<char>(iban[2] + 1);
  if (g.coin()) {  // printed form, in groups of four
    std::string spaced;
    for (std::size_t i = 0; i < iban.size(); ++i) {
      if (i && i % 4 == 0) spaced += ' ';
      spaced += iban[i];
    }
    return spaced;
  }
  return iban;
}

std::string ipv4(Gen& g) {
  return std::to_string(g.between(1, 254)) + "." + std::to_string(g.between(0, 255)) + "." +
         std::to_string(g.between(0, 255)) + "." + std::to_string(g.between(1, 254));
}

std::string ipv6(Gen& g) {
  static constexpr std::string_view kHex = "0123456789abcdef";
  std::string s = "2001:db8";
  const bool compressed = g.coin();
  for (int i = 0; i < (compressed ? 2 : 6); ++i) s += ":" + g.from(kHex, static_cast<std::size_t>(g.between(1, 4)));
  if (compressed) s += "::" + g.from(kHex, 3);
  return s;
}

std::string two(int v) { return (v < 10 ? "0" : "") + std::to_string(v); }

}  // namespace

std::vector<LabelledValue> labelled_corpus(std::uint64_t seed, std::size_t per_kind) {
  Gen g(seed);
  std::vector<LabelledValue> out;
  auto add = [&](std::string attribute, std::string value, std::optional<DataClass> truth, std::string kind) {
    out.push_back({std::move(attribute), std::move(value), truth, std::move(kind)});
  };
  const std::vector<std::string> neutral = {"value", "data", "field1", "note", "attr"};
  for (std::size_t i = 0; i < per_kind; ++i) {
    // --- positives ---------------------------------------------------------
    add(g.coin() ? g.pick(std::vector<std::string>{"card_number", "pan", "creditCard", "payment.card", "cc"}) : g.pick(neutral),
        card_number(g), DataClass::card_number, "card");
    add(g.pick(std::vector<std::string>{"ssn", "customerSSN", "social_security_number", "tax_id"}), valid_ssn(g),
        DataClass::us_ssn, "ssn");
    add("ssn", [&] { auto s = valid_ssn(g); s.erase(6, 1); s.erase(3, 1); return s; }(), DataClass::us_ssn, "ssn bare, named");
    add(g.coin() ? "email" : g.pick(neutral),
        g.from(kLower, static_cast<std::size_t>(g.between(3, 10))) + (g.coin() ? "." + g.from(kLower, 5) : "") + "+" +
            g.from(kLower, 2) + "@" + g.from(kLower, static_cast<std::size_t>(g.between(4, 9))) + "." +
            g.pick(std::vector<std::string>{"com", "org", "co.uk", "de", "io"}),
        DataClass::email, "email");
    add(g.coin() ? "phone" : g.pick(neutral),
        g.pick(std::vector<std::string>{"+1 415 555 " + g.digits(4), "+44 20 7946 " + g.digits(4), "+49151" + g.digits(8),
                                        "+33 6 " + g.digits(2) + " " + g.digits(2) + " " + g.digits(2) + " " + g.digits(2)}),
        DataClass::phone, "phone e164");
    add(g.pick(std::vector<std::string>{"phone", "mobileNumber", "contact_tel"}), "(415) 555-" + g.digits(4),
        DataClass::phone, "phone national, named");
    add(g.coin() ? "iban" : g.pick(neutral), iban_for(g, true), DataClass::iban, "iban");
    add(g.coin() ? "client_ip" : g.pick(neutral), g.coin() ? ipv4(g) : ipv6(g), DataClass::ip_address, "ip");
    {
      const int y = g.between(1930, 2010), m = g.between(1, 12), d = g.between(1, 28);
      add(g.pick(std::vector<std::string>{"dob", "date_of_birth", "birthDate", "birthday"}),
          g.coin() ? std::to_string(y) + "-" + two(m) + "-" + two(d) : two(m) + "/" + two(d) + "/" + std::to_string(y),
          DataClass::date_of_birth, "date of birth");
    }
    add(g.coin() ? "access_key" : g.pick(neutral),
        g.pick(std::vector<std::string>{"AKIA", "ASIA"}) + g.from("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16),
        DataClass::aws_access_key_id, "aws key id");
    {
      std::string secret = g.from(kBase64, 37) + "A" + "a" + "7";  // an AWS secret access key's shape
      add(g.coin() ? "secret_access_key" : g.pick(neutral), secret, DataClass::secret, "aws secret key");
      add(g.pick(std::vector<std::string>{"password", "apiToken", "db_password"}),
          g.from(kLower, 6) + g.digits(2) + "!" + g.from(kUpper, 2), DataClass::secret, "password, named");
      add(g.pick(neutral), "eyJhbGciOiJIUzI1NiJ9." + g.from(kBase64.substr(0, 62), 40) + "." + g.from(kBase64.substr(0, 62), 43),
          DataClass::secret, "jwt");
    }

    // --- near-misses -------------------------------------------------------
    {
      std::string order = g.digits(16);
      if (luhn_valid(order)) order[15] = order[15] == '9' ? '0' : static_cast<char>(order[15] + 1);
      add(g.pick(std::vector<std::string>{"order_id", "reference", "invoice"}), order, std::nullopt, "order number failing Luhn");
      std::string tracking = std::string(1, "1789"[g.between(0, 3)]) + g.digits(14);
      tracking += luhn_check_digit(tracking);
      add("tracking_number", tracking, std::nullopt, "Luhn-valid, no issuer");
    }
    add("ssn", g.pick(std::vector<std::string>{"666", "000", "9" + g.digits(2)}) + "-" + g.digits(2) + "-" + g.digits(4),
        std::nullopt, "SSN from a never-issued area");
    add("order_id", [&] { auto s = valid_ssn(g); s.erase(6, 1); s.erase(3, 1); return s; }(), std::nullopt,
        "nine digits, not named as an SSN");
    add("sku", g.digits(2) + "-" + g.digits(3) + "-" + g.digits(4), std::nullopt, "part number");
    add(g.pick(neutral), "+" + g.digits(4), std::nullopt, "short +number");
    add("iban", iban_for(g, false), std::nullopt, "IBAN with wrong check digits");
    add(g.pick(std::vector<std::string>{"version", "app_version"}), std::to_string(g.between(1, 9)) + "." +
        std::to_string(g.between(0, 20)) + "." + std::to_string(g.between(0, 99)) + "." + std::to_string(g.between(0, 999)),
        std::nullopt, "four-part version");
    add(g.pick(neutral), std::to_string(g.between(256, 999)) + "." + std::to_string(g.between(0, 255)) + ".1.1",
        std::nullopt, "dotted quad out of range");
    add(g.pick(std::vector<std::string>{"created_at", "updated", "shipDate"}),
        std::to_string(g.between(2015, 2026)) + "-" + two(g.between(1, 12)) + "-" + two(g.between(1, 28)), std::nullopt,
        "date, not of birth");
    add("dob", g.pick(std::vector<std::string>{"1850-01-01", "2024-02-30", "1999-13-01"}), std::nullopt,
        "impossible birth date");
    add(g.pick(neutral), "AKIA" + g.from(kLower, 16), std::nullopt, "AKIA and lower case");
    {
      static constexpr std::string_view kHex = "0123456789abcdef";
      add(g.pick(std::vector<std::string>{"id", "request_id", "trace"}),
          g.from(kHex, 8) + "-" + g.from(kHex, 4) + "-4" + g.from(kHex, 3) + "-a" + g.from(kHex, 3) + "-" + g.from(kHex, 12),
          std::nullopt, "UUID");
      add(g.pick(std::vector<std::string>{"sha256", "etag", "checksum"}), g.from(kHex, 64), std::nullopt, "hex digest");
    }
    add(g.pick(neutral), "Please leave the parcel at the back door, thanks", std::nullopt, "sentence");
    // Harder ones: the structure is right and only the name (or nothing) says otherwise.
    add(g.pick(std::vector<std::string>{"order_id", "invoice_no"}), "4" + g.digits(15), std::nullopt,
        "16 digits from 4 (a tenth pass Luhn)");
    add(g.pick(std::vector<std::string>{"part_number", "model"}), g.digits(3) + "-" + g.digits(2) + "-" + g.digits(4),
        std::nullopt, "part number shaped like an SSN");
    add(g.pick(std::vector<std::string>{"adjustment", "delta"}), "+" + g.digits(static_cast<std::size_t>(g.between(4, 6))) + "." + g.digits(2),
        std::nullopt, "signed amount");
    add(g.pick(std::vector<std::string>{"release", "build"}), std::to_string(g.between(1, 9)) + "." +
        std::to_string(g.between(0, 30)) + "." + std::to_string(g.between(0, 30)) + "." + std::to_string(g.between(0, 200)),
        std::nullopt, "four-part release number");
    // The same structures under a name that says nothing: structure alone
    // cannot tell them apart, and these are the detectors' real false positives.
    add(g.pick(neutral), "4" + g.digits(15), std::nullopt, "16 digits from 4, neutral name");
    add(g.pick(neutral), g.digits(3) + "-" + g.digits(2) + "-" + g.digits(4), std::nullopt,
        "ddd-dd-dddd code, neutral name");
    add(g.pick(neutral), std::to_string(g.between(1, 9)) + "." + std::to_string(g.between(0, 30)) + "." +
        std::to_string(g.between(0, 30)) + "." + std::to_string(g.between(0, 200)), std::nullopt,
        "release number, neutral name");
    {
      static const std::vector<std::string> kTexts = {"the quick brown fox jumps over the lazy dog",
                                                      "meeting notes for the quarterly planning session",
                                                      "customer asked to change the delivery address"};
      const std::string& text = g.pick(kTexts);
      std::string b64;
      for (std::size_t k = 0; k < text.size(); k += 3) {  // base64 of English text
        const unsigned v = (static_cast<unsigned char>(text[k]) << 16) |
                           (k + 1 < text.size() ? static_cast<unsigned char>(text[k + 1]) << 8 : 0) |
                           (k + 2 < text.size() ? static_cast<unsigned char>(text[k + 2]) : 0);
        b64 += kBase64[(v >> 18) & 63];
        b64 += kBase64[(v >> 12) & 63];
        b64 += k + 1 < text.size() ? kBase64[(v >> 6) & 63] : '=';
        b64 += k + 2 < text.size() ? kBase64[v & 63] : '=';
      }
      add(g.pick(neutral), b64, std::nullopt, "base64 of English text");
    }
    add(g.pick(neutral), g.pick(std::vector<std::string>{"user@localhost", "john at example dot com", "@example.com", "a@b.c"}),
        std::nullopt, "not an e-mail address");
  }
  return out;
}

CorpusScore score_corpus(const std::vector<LabelledValue>& corpus) {
  CorpusScore score;
  std::map<std::string, std::size_t> flagged;
  for (const auto& sample : corpus) {
    const auto found = classify(sample.attribute, sample.value);
    const std::optional<DataClass> predicted = found ? std::optional<DataClass>(found->data_class) : std::nullopt;
    if (sample.truth) {
      auto& c = score.by_class[static_cast<std::size_t>(*sample.truth)];
      if (predicted == sample.truth) ++c.true_positives;
      else ++c.false_negatives;
    } else {
      ++score.near_misses;
      if (predicted) {
        ++score.near_misses_flagged;
        ++flagged[sample.kind + " -> " + std::string(to_string(*predicted))];
      }
    }
    if (predicted && predicted != sample.truth) ++score.by_class[static_cast<std::size_t>(*predicted)].false_positives;
  }
  score.flagged_kinds.assign(flagged.begin(), flagged.end());
  return score;
}

}  // namespace dynaudit::discovery
