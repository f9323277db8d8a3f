// See audit_values.hpp.
#include "proxy/pipeline/audit_values.hpp"

#include <algorithm>

#include "ddb/expression_sanitizer.hpp"
#include "ddb/partiql_sanitizer.hpp"
#include "ddb/request_values.hpp"
#include "ddb/value_scrubber.hpp"

namespace dynaudit::proxy {
namespace {

bool has(const std::vector<std::string>& list, std::string_view word) {
  return std::find(list.begin(), list.end(), word) != list.end();
}

// "a.b[0]" -> "a"
std::string_view first_segment(std::string_view path) { return path.substr(0, path.find_first_of(".[")); }

std::vector<std::string> without(const std::vector<std::string>& paths, const std::vector<std::string>& dropped) {
  std::vector<std::string> kept;
  kept.reserve(paths.size());
  for (const auto& path : paths)
    if (!has(dropped, path) && !has(dropped, first_segment(path))) kept.push_back(path);
  return kept;
}

}  // namespace

namespace {

ddb::SanitizedStatement sanitized_statement(std::string_view statement, AuditTokens* tokens) {
  return ddb::sanitize_partiql_statement(statement, [&](ddb::PartiqlLiteralKind kind, std::string_view content) {
    if (!tokens) return std::string("****");
    return kind == ddb::PartiqlLiteralKind::number ? tokens->number(content) : tokens->string(content);
  });
}

void append(std::vector<std::string>& into, std::vector<std::string>& from) {
  for (auto& word : from) into.push_back(std::move(word));
}

}  // namespace

std::string audit_statement_text(std::string_view statement, AuditTokens& tokens) {
  return sanitized_statement(statement, &tokens).text;
}

AuditExpressions audit_expressions(const ddb::RequestFacts& facts, AuditTokens* tokens) {
  AuditExpressions out;
  std::vector<std::string> literal_words;
  std::vector<std::string> name_words;
  if (facts.partiql_statement) {
    for (const auto& statement : facts.partiql_statements) {
      auto sanitized = sanitized_statement(statement, tokens);
      if (tokens) out.statements.push_back(std::move(sanitized.text));
      append(literal_words, sanitized.literal_words);
      append(name_words, sanitized.name_words);
    }
  } else {
    for (const auto& expression : facts.expressions) {
      auto sanitized = ddb::sanitize_expression(expression);
      out.expressions.push_back(std::move(sanitized.text));
      append(literal_words, sanitized.literal_words);
      append(name_words, sanitized.name_words);
    }
  }
  std::vector<std::string> dropped;
  for (const auto& word : literal_words)
    if (!has(name_words, word) && !has(dropped, word)) dropped.push_back(word);
  out.attributes_read = dropped.empty() ? facts.attributes_read : without(facts.attributes_read, dropped);
  out.attributes_written = dropped.empty() ? facts.attributes_written : without(facts.attributes_written, dropped);
  return out;
}

std::string scrub_error_message(std::string_view message, std::string_view request_body, AuditTokens* tokens) {
  if (message.empty() || request_body.empty()) return std::string(message);
  const auto values = ddb::request_values_in(request_body, message);
  return ddb::scrub_values(message, values,
                           [&](std::string_view value) { return tokens ? tokens->string(value) : std::string("****"); })
      .text;
}

}  // namespace dynaudit::proxy
