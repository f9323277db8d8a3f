// What the audit record keeps of the values a call carried outside its items:
// expressions reduced to names and placeholders, PartiQL statements with
// their literals hashed, attribute names that were really literals dropped,
// and upstream error messages scrubbed of every value the request carried.
// Applied to every record, whether or not a mask rule matched: none of these
// values can be tied to an attribute, so none can be known to be harmless.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ddb/request_facts.hpp"
#include "proxy/pipeline/audit_tokens.hpp"

namespace dynaudit::proxy {

// A statement as the record keeps it: literals replaced by hash tokens
// ('h:…' for strings and Ion, a 52-bit integer for numbers), comments dropped.
std::string audit_statement_text(std::string_view statement, AuditTokens& tokens);

// What requestParameters keeps of a call's expressions, statements and names.
struct AuditExpressions {
  std::vector<std::string> expressions;         // sanitized (ddb/expression_sanitizer.hpp)
  std::vector<std::string> statements;          // PartiQL, literals hashed; only with tokens
  std::vector<std::string> attributes_read;     // facts' lists without words that were literals
  std::vector<std::string> attributes_written;
};
// A PartiQL call keeps `statements` (when `tokens` is given: a statement
// cannot be kept without hashing its literals), any other call
// `expressions`. A word inside a literal ('a b' in a malformed expression,
// {k: "v"} in an Ion literal) was taken for an attribute name by fact
// extraction; it is dropped from the attribute lists unless it is also used
// as a name outside any literal. DynamoDB rejects such expressions, so no
// attribute a call really touched is lost.
AuditExpressions audit_expressions(const ddb::RequestFacts& facts, AuditTokens* tokens);

// The error message with every value of the request (ddb/request_values.hpp)
// replaced by its hash token (or "****" without tokens); see
// ddb/value_scrubber.hpp for the rule on short values.
std::string scrub_error_message(std::string_view message, std::string_view request_body, AuditTokens* tokens);

}  // namespace dynaudit::proxy
