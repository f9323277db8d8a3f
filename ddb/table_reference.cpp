// Reduces table ARNs to table names.
#include "ddb/table_reference.hpp"

#include <cstddef>

namespace dynaudit::ddb {

std::optional<std::string_view> table_name_from_arn(std::string_view arn) {
  // arn:partition:service:region:account:resource
  constexpr std::size_t kFieldsBeforeResource = 5;
  std::string_view fields[kFieldsBeforeResource];
  std::string_view rest = arn;
  for (auto& field : fields) {
    const auto colon = rest.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    field = rest.substr(0, colon);
    rest.remove_prefix(colon + 1);
  }
  if (fields[0] != "arn" || fields[2] != "dynamodb") return std::nullopt;

  constexpr std::string_view kTablePrefix = "table/";
  if (!rest.starts_with(kTablePrefix)) return std::nullopt;
  rest.remove_prefix(kTablePrefix.size());
  const std::string_view name = rest.substr(0, rest.find('/'));
  if (name.empty()) return std::nullopt;
  return name;
}

std::optional<std::string_view> table_name_from_name_or_arn(std::string_view value) {
  if (value.empty()) return std::nullopt;
  if (value.starts_with("arn:")) {
    // Not a table ARN DynamoDB would accept either; keep the raw value so the
    // audit record still shows what was asked for.
    if (const auto name = table_name_from_arn(value)) return name;
  }
  return value;
}

}  // namespace dynaudit::ddb
