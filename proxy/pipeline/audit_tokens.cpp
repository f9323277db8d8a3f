// See audit_tokens.hpp. The tokens come from the masking module's own hash
// method (a one-attribute plan over {"v": value}), so the two cannot drift.
#include "proxy/pipeline/audit_tokens.hpp"

#include "ddb/error_response.hpp"
#include "masking/response_masker.hpp"

namespace dynaudit::proxy {
namespace {

constexpr std::string_view kUnhashable = R"({"S":"****"})";

masking::MaskPlan hash_plan() {
  masking::MaskSpec spec;
  spec.path = "v";
  spec.method = masking::Method::hash;
  std::string error;
  return masking::MaskPlan::compile({spec}, error).value_or(masking::MaskPlan());
}

std::string typed(std::string_view type, std::string_view text) {
  std::string out = "{\"";
  out += type;
  out += "\":\"";
  ddb::append_json_escaped(out, text);
  out += "\"}";
  return out;
}

}  // namespace

AuditTokens::AuditTokens(const masking::MaskKeys& keys) : keys_(keys) {}

std::string AuditTokens::value(std::string_view attribute_value_json) {
  std::string item = "{\"v\":";
  item += attribute_value_json;
  item += '}';
  if (!plan_) plan_ = hash_plan();
  const auto masked = masking::mask_item_json(item, *plan_, keys_);
  simdjson::dom::object object;
  if (masked.changed && parser_.parse(simdjson::padded_string(masked.body)).get(object) == simdjson::SUCCESS) {
    for (auto member : object) return simdjson::minify(member.value);
  }
  return std::string(kUnhashable);
}

std::string AuditTokens::string(std::string_view text) {
  const std::string hashed = value(typed("S", text));
  simdjson::dom::element root;
  std::string_view token;
  if (parser_.parse(simdjson::padded_string(hashed)).get(root) == simdjson::SUCCESS &&
      root["S"].get(token) == simdjson::SUCCESS)
    return std::string(token);
  return "****";
}

std::string AuditTokens::number(std::string_view text) {
  const std::string hashed = value(typed("N", text));
  simdjson::dom::element root;
  std::string_view token;
  if (parser_.parse(simdjson::padded_string(hashed)).get(root) == simdjson::SUCCESS &&
      root["N"].get(token) == simdjson::SUCCESS)
    return std::string(token);
  return "0";
}

}  // namespace dynaudit::proxy
