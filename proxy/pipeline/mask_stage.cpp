// See mask_stage.hpp.
#include "proxy/pipeline/mask_stage.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <simdjson.h>

#include <algorithm>

#include "ddb/error_response.hpp"
#include "masking/response_masker.hpp"
#include "proxy/pipeline/audit_body.hpp"

namespace dynaudit::proxy {
namespace {

masking::Method method_of(const std::string& name) {
  if (name == "partial") return masking::Method::partial;
  if (name == "email") return masking::Method::email;
  if (name == "hash") return masking::Method::hash;
  if (name == "nullify") return masking::Method::nullify;
  if (name == "remove") return masking::Method::remove;
  if (name == "regex") return masking::Method::regex;
  if (name == "round") return masking::Method::round;
  return masking::Method::redact;
}

bool in_any_group(const std::vector<std::string>& groups, const std::vector<std::string>& unmask) {
  return std::any_of(groups.begin(), groups.end(),
                     [&](const std::string& g) { return std::find(unmask.begin(), unmask.end(), g) != unmask.end(); });
}

std::string hmac_label(std::string_view secret, std::string_view label) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()), reinterpret_cast<const unsigned char*>(label.data()),
       label.size(), out, &length);
  return std::string(reinterpret_cast<const char*>(out), length);
}

void add_rules(std::vector<std::string>& into, const std::vector<std::string>& rules) {
  for (const auto& rule : rules)
    if (std::find(into.begin(), into.end(), rule) == into.end()) into.push_back(rule);
}

void append_string(std::string& out, std::string_view text) {
  out += '"';
  ddb::append_json_escaped(out, text);
  out += '"';
}

// {"<attribute>": {"<type>": "<value>"}}
std::string key_item(const ddb::KeyValue& key) {
  std::string item = "{";
  append_string(item, key.attribute);
  item += ":{";
  append_string(item, key.type);
  item += ':';
  append_string(item, key.value);
  item += "}}";
  return item;
}

// Reads the one AttributeValue of a masked key item back into a KeyValue.
void read_masked_key(std::string_view masked_item, ddb::KeyValue& key) {
  simdjson::dom::parser parser;
  simdjson::dom::object item;
  if (parser.parse(simdjson::padded_string(masked_item)).get(item) != simdjson::SUCCESS) {
    key.type = "S";
    key.value = "****";
    return;
  }
  for (auto attribute : item) {
    simdjson::dom::object value;
    if (attribute.value.get(value) != simdjson::SUCCESS) break;
    for (auto typed : value) {
      key.type = std::string(typed.key);
      std::string_view text;
      if (typed.value.get(text) == simdjson::SUCCESS) key.value = std::string(text);
      else key.value = simdjson::to_string(typed.value);
      return;
    }
  }
  key.type = "NULL";  // removed by the mask
  key.value = "true";
}

}  // namespace

masking::MaskSpec to_mask_spec(const rules::MaskAction& action, const std::string& rule_id) {
  masking::MaskSpec spec;
  spec.path = action.path;
  spec.method = method_of(action.method);
  spec.keep_first = action.keep_first;
  spec.keep_last = action.keep_last;
  spec.replacement = action.replacement;
  spec.pattern = action.pattern;
  spec.step = action.step;
  spec.rule_id = rule_id;
  return spec;
}

std::vector<masking::MaskSpec> client_mask_specs(const rules::Decision& decision, const Principal& principal) {
  std::vector<masking::MaskSpec> specs;
  for (const rules::Rule* rule : decision.masks) {
    if (in_any_group(principal.groups, rule->unmask_groups)) continue;
    for (const auto& action : rule->mask) specs.push_back(to_mask_spec(action, rule->id));
  }
  return specs;
}

std::vector<masking::MaskSpec> audit_mask_specs(const rules::Decision& decision) {
  std::vector<masking::MaskSpec> specs;
  for (const rules::Rule* rule : decision.masks)
    for (const auto& action : rule->mask) specs.push_back(to_mask_spec(action, rule->id));
  return specs;
}

masking::MaskKeys derive_mask_keys(std::string_view master_secret) {
  masking::MaskKeys keys;
  keys.hmac_key = hmac_label(master_secret, "dynaudit masking: hash tokens v1");
  keys.token_key = hmac_label(master_secret, "dynaudit masking: pagination tokens v1");
  return keys;
}

AuditMasking mask_for_audit(const ddb::RequestFacts& facts, std::string_view full_body, const masking::MaskPlan& plan,
                            const masking::MaskKeys& keys) {
  AuditMasking result;
  result.keys = facts.keys;
  std::string clear_keys = "[";
  for (std::size_t i = 0; !plan.empty() && i < result.keys.size(); ++i) {
    auto& key = result.keys[i];
    const auto masked = masking::mask_item_json(key_item(key), plan, keys);
    if (!masked.changed) continue;
    if (clear_keys.size() > 1) clear_keys += ',';
    clear_keys += "{\"index\":" + std::to_string(i) + ",\"table\":";
    append_string(clear_keys, key.table);
    clear_keys += ",\"attribute\":";
    append_string(clear_keys, key.attribute);
    clear_keys += ',';
    append_string(clear_keys, key.type);
    clear_keys += ':';
    append_string(clear_keys, key.value);
    clear_keys += '}';
    read_masked_key(masked.body, key);
    result.changed = true;
    result.keys_changed = true;
    add_rules(result.rules, masked.rules);
  }
  clear_keys += ']';

  bool body_changed = false;
  if (!full_body.empty()) {
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    if (parser.parse(simdjson::padded_string(full_body)).get(root) == simdjson::SUCCESS) {
      auto body = audit_request_body(root, plan, keys);
      body_changed = body.changed;
      // Nothing replaced: the body is kept as sent, byte for byte.
      result.request_body = body_changed ? std::move(body.json) : std::string(full_body);
      result.changed = result.changed || body_changed;
      add_rules(result.rules, body.rules);
    } else {
      // Not JSON (it was refused anyway): keep nothing rather than clear text.
      result.request_body.clear();
    }
  }
  if (result.changed) {
    result.clear_values_json = "{\"keys\":" + clear_keys;
    if (body_changed) {
      result.clear_values_json += ",\"requestBody\":";
      append_string(result.clear_values_json, full_body);
    }
    result.clear_values_json += '}';
  }
  return result;
}

AuditMasking audit_masking_for(const rules::Decision& decision, const ddb::RequestFacts& facts,
                               std::string_view request_body, const masking::MaskKeys& keys) {
  const bool full = decision.audit_level == rules::AuditLevel::full;
  std::string error;
  // No mask rule matched: the empty plan (built once) still sanitizes.
  static const masking::MaskPlan kNoMasks;
  auto plan = decision.masks.empty() ? std::nullopt : masking::MaskPlan::compile(audit_mask_specs(decision), error);
  AuditMasking result;
  if (decision.masks.empty() || plan) {
    result = mask_for_audit(facts, full ? request_body : std::string_view{}, plan ? *plan : kNoMasks, keys);
  } else {
    // Rules are validated when loaded, so this should not happen; if a plan
    // cannot be built, the record keeps no key value and no body rather
    // than clear ones.
    result.keys = facts.keys;
    for (auto& key : result.keys) {
      key.type = "S";
      key.value = "****";
    }
    result.keys_changed = !result.keys.empty();
  }
  result.mask_rules = decision.masks.size();
  result.full = full;
  return result;
}

bool AuditMasking::current_for(const rules::Decision& decision) const {
  return mask_rules == decision.masks.size() && full == (decision.audit_level == rules::AuditLevel::full);
}

}  // namespace dynaudit::proxy
