// Attribute paths named by DynamoDB expressions, with #name placeholders
// resolved through ExpressionAttributeNames and nested paths rendered as
// "a.b[0].c". Best effort by design: garbage yields whatever paths can be
// recognised, never an error, so it is safe on any client input.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dynaudit::ddb {

struct NamePlaceholder {
  std::string_view placeholder;  // "#n"
  std::string_view name;         // the attribute name it stands for
};

// A request's ExpressionAttributeNames, sorted once for O(log n) lookups.
// A placeholder defined more than once (duplicate JSON keys) keeps every
// definition: which one DynamoDB uses is undocumented, so facts name them all
// rather than guess and let a rule be bypassed.
class ExpressionAttributeNames {
 public:
  ExpressionAttributeNames() = default;
  explicit ExpressionAttributeNames(std::vector<NamePlaceholder> entries);

  // Every definition of `placeholder`, in document order; empty if undefined.
  std::span<const NamePlaceholder> lookup(std::string_view placeholder) const;

 private:
  std::vector<NamePlaceholder> entries_;
};

enum class ExpressionKind {
  projection,  // ProjectionExpression: every path is read
  condition,   // Condition/Filter/KeyCondition expressions: every path is read
  update,      // UpdateExpression: action targets are written, operands read
};

struct ExpressionPaths {
  std::vector<std::string> read;
  std::vector<std::string> written;
};

// Appends the paths `expression` names to `out` (possibly with duplicates).
// An undefined placeholder is kept as written ("#missing"): DynamoDB will
// reject the request, and the audit record should show what was asked.
void collect_expression_paths(ExpressionKind kind, std::string_view expression,
                              const ExpressionAttributeNames& names, ExpressionPaths& out);

}  // namespace dynaudit::ddb
