// libFuzzer target for what the audit log keeps of untrusted text: the
// expression sanitizer, the PartiQL sanitizer, request_values and the
// error-message scrubber. The first byte picks the target; besides crashes it
// checks that sanitized text holds no literal.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "ddb/expression_sanitizer.hpp"
#include "ddb/partiql_lexer.hpp"
#include "ddb/partiql_sanitizer.hpp"
#include "ddb/request_values.hpp"
#include "ddb/value_scrubber.hpp"

namespace {

void require(bool condition) {
  if (!condition) std::abort();
}

// Only names, placeholders, operators, punctuation, blanks and the mark.
void check_expression(std::string_view input) {
  const auto sanitized = dynaudit::ddb::sanitize_expression(input);
  for (const char c : sanitized.text) {
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                         std::string_view("_#:.[](),+-=<> \t\r\n*").find(c) != std::string_view::npos;
    require(allowed);
  }
}

// Every string literal left is the token or a tuple key; every number the token.
void check_statement(std::string_view input) {
  using dynaudit::ddb::PartiqlTokenKind;
  const auto sanitized = dynaudit::ddb::sanitize_partiql_statement(
      input, [](dynaudit::ddb::PartiqlLiteralKind kind, std::string_view) {
        return std::string(kind == dynaudit::ddb::PartiqlLiteralKind::number ? "0" : "T");
      });
  dynaudit::ddb::PartiqlLexer lexer(sanitized.text);
  for (auto token = lexer.next(); token.kind != PartiqlTokenKind::end; token = lexer.next()) {
    if (token.kind == PartiqlTokenKind::number) require(token.text == "0");
    if (token.kind == PartiqlTokenKind::string_literal)
      require(token.text == "'T'" || (lexer.peek().kind == PartiqlTokenKind::punctuation && lexer.peek().text == ":"));
    if (token.kind == PartiqlTokenKind::punctuation) require(token.text != "`");
  }
}

// The input is a body; its second half also serves as the message to scrub.
// request_values_in must keep exactly the values of request_values that the
// message could hold, so the request path scrubs what the tests check.
void check_scrub(std::string_view input) {
  const auto values = dynaudit::ddb::request_values(input);
  const auto scrubbed = dynaudit::ddb::scrub_values(input, values, [](std::string_view) { return std::string("#"); });
  require(scrubbed.text.size() <= input.size() + scrubbed.replaced);
  const std::string_view message = input.substr(input.size() / 2);
  const auto in_message = dynaudit::ddb::request_values_in(input, message);
  for (const auto& value : values) {
    const bool found = message.find(value) != std::string_view::npos;
    const bool kept = std::find(in_message.begin(), in_message.end(), value) != in_message.end();
    require(found == kept);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0: check_expression(input); break;
    case 1: check_statement(input); break;
    default: check_scrub(input); break;
  }
  return 0;
}
