// The sensitive-data detectors: structure checks, names as hints, and the
// floors they must hold on the generated labelled corpus.
#include <catch2/catch.hpp>

#include "discovery/detectors.hpp"
#include "discovery/labelled_corpus.hpp"

using namespace dynaudit::discovery;

namespace {
std::optional<DataClass> cls(std::string_view attribute, std::string_view value) {
  const auto d = classify(attribute, value);
  return d ? std::optional<DataClass>(d->data_class) : std::nullopt;
}
}  // namespace

TEST_CASE("cards: Luhn and an issuer's range and length") {
  CHECK(luhn_valid("4111111111111111"));
  CHECK_FALSE(luhn_valid("4111111111111112"));
  CHECK(cls("value", "4111 1111 1111 1111") == DataClass::card_number);
  CHECK(cls("pan", "5500-0000-0000-0004") == DataClass::card_number);
  CHECK(cls("x", "378282246310005") == DataClass::card_number);  // Amex, 15 digits
  CHECK_FALSE(cls("x", "79927398713"));                           // Luhn-valid, too short
  CHECK_FALSE(cls("x", "9111111111111111") == DataClass::card_number);  // Luhn-valid? no issuer starts with 9
  CHECK_FALSE(cls("order_id", "4111111111111111"));               // the name says it is an order number
  CHECK(classify("card_number", "4111111111111111")->confidence > classify("x", "4111111111111111")->confidence);
}

TEST_CASE("US SSNs: never-issued areas, groups and serials are not SSNs") {
  CHECK(cls("x", "123-45-6780") == DataClass::us_ssn);
  CHECK_FALSE(cls("ssn", "666-12-3456"));
  CHECK_FALSE(cls("ssn", "000-12-3456"));
  CHECK_FALSE(cls("ssn", "912-12-3456"));
  CHECK_FALSE(cls("ssn", "123-00-3456"));
  CHECK_FALSE(cls("ssn", "123-45-0000"));
  CHECK_FALSE(cls("ssn", "078-05-1120"));                // the advertising number
  CHECK(cls("customerSSN", "123456780") == DataClass::us_ssn);  // bare digits: only with the name
  CHECK_FALSE(cls("order_id", "123456780"));
}

TEST_CASE("e-mail, phone, IBAN, IP") {
  CHECK(cls("x", "jane.doe+news@example.co.uk") == DataClass::email);
  CHECK_FALSE(cls("x", "user@localhost"));
  CHECK_FALSE(cls("x", "a@b.c"));
  CHECK(cls("x", "+44 20 7946 0958") == DataClass::phone);
  CHECK(cls("mobileNumber", "(415) 555-0123") == DataClass::phone);
  CHECK_FALSE(cls("x", "(415) 555-0123"));     // national format: only with the name
  CHECK_FALSE(cls("delta", "+1250.00"));
  CHECK_FALSE(cls("x", "+1250.00"));           // a signed amount
  CHECK(iban_valid("GB82WEST12345698765432"));
  CHECK(cls("x", "GB82 WEST 1234 5698 7654 32") == DataClass::iban);
  CHECK_FALSE(cls("x", "GB83WEST12345698765432"));  // check digits off by one
  CHECK_FALSE(cls("x", "XX82WEST12345698765432"));  // no such country
  CHECK(cls("client_ip", "203.0.113.7") == DataClass::ip_address);
  CHECK(cls("x", "2001:db8::1") == DataClass::ip_address);
  CHECK_FALSE(cls("x", "256.1.1.1"));
  CHECK_FALSE(cls("version", "1.2.3.4"));
}

TEST_CASE("dates of birth need the name, a real date and a plausible age") {
  CHECK(cls("date_of_birth", "1984-02-29") == DataClass::date_of_birth);
  CHECK(cls("birthDate", "07/04/1990") == DataClass::date_of_birth);
  CHECK(cls("dob", "24.12.1971") == DataClass::date_of_birth);
  CHECK_FALSE(cls("created_at", "1984-02-28"));
  CHECK_FALSE(cls("dob", "1985-02-29"));  // not a leap year
  CHECK_FALSE(cls("dob", "1850-01-01"));
}

TEST_CASE("keys and secrets") {
  CHECK(cls("x", "AKIAIOSFODNN7EXAMPLE") == DataClass::aws_access_key_id);
  CHECK_FALSE(cls("x", "AKIAiosfodnn7example"));
  CHECK(cls("x", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY") == DataClass::secret);
  CHECK(cls("db_password", "hunter2!Z") == DataClass::secret);
  CHECK(cls("x", "-----BEGIN RSA PRIVATE KEY-----\nMIIE...") == DataClass::secret);
  CHECK_FALSE(cls("request_id", "3f1c1c58-1b1e-4f0e-9a77-3c2a5d1e8b40"));
  CHECK_FALSE(cls("etag", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"));
  CHECK_FALSE(cls("x", "dGhlIHF1aWNrIGJyb3duIGZveCBqdW1wcyBvdmVyIHRoZSBsYXp5IGRvZw=="));  // base64 of a sentence
  CHECK(shannon_entropy_bits("aaaa") == Approx(0));
  CHECK(shannon_entropy_bits("abcd") == Approx(2));
}

TEST_CASE("names are read as words") {
  CHECK(cls("shipping_zip", "203.0.113.7") == DataClass::ip_address);  // no name hint: still an IP by structure
  CHECK(classify("shipping_zip", "203.0.113.7")->confidence < classify("clientIp", "203.0.113.7")->confidence);
  CHECK_FALSE(cls("settings", "123456780"));  // "tin" inside a word is not a name hint
}

TEST_CASE("the labelled corpus: every class found, near-misses with a telling name never flagged") {
  const auto corpus = labelled_corpus(2026, 300);
  const auto score = score_corpus(corpus);
  for (std::size_t i = 0; i < kDataClasses; ++i) {
    INFO(to_string(static_cast<DataClass>(i)));
    CHECK(score.by_class[i].recall() >= 0.99);
  }
  for (auto c : {DataClass::email, DataClass::phone, DataClass::iban, DataClass::date_of_birth,
                 DataClass::aws_access_key_id, DataClass::secret}) {
    INFO(to_string(c));
    CHECK(score.by_class[static_cast<std::size_t>(c)].precision() >= 0.999);
  }
  // Only the three neutral-name structures may be flagged (docs/discovery.md).
  for (const auto& [kind, n] : score.flagged_kinds) {
    INFO(kind << ": " << n);
    CHECK(kind.find("neutral name") != std::string::npos);
  }
}
