// See mask_stage.hpp.
#include "proxy/pipeline/mask_stage.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <simdjson.h>

#include <algorithm>

#include "ddb/error_response.hpp"
#include "masking/response_masker.hpp"

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

// The plan that hashes the one attribute "v": opaque values are wrapped as
// {"v": value} (the HMAC covers the value, not the name).
masking::MaskPlan hash_plan() {
  masking::MaskSpec spec;
  spec.path = "v";
  spec.method = masking::Method::hash;
  std::string error;
  return masking::MaskPlan::compile({spec}, error).value_or(masking::MaskPlan());
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

// Walks a request body as a DOM and writes it back with items masked. The
// audit copy need not be byte-exact, so the DOM's minified form is fine.
class RequestBodyMasker {
 public:
  RequestBodyMasker(const masking::MaskPlan& plan, const masking::MaskKeys& keys, AuditMasking& result)
      : plan_(plan), keys_(keys), result_(result), hash_plan_(hash_plan()) {}

  std::string mask(simdjson::dom::element root) {
    std::string out;
    write(root, out, Context::other);
    return out;
  }

 private:
  enum class Context { other, item, item_map, placeholders, parameters };

  void write_item(simdjson::dom::element item, std::string& out) {
    const std::string text = simdjson::to_string(item);
    const auto masked = masking::mask_item_json(text, plan_, keys_);
    if (masked.changed) {
      result_.changed = true;
      add_rules(result_.rules, masked.rules);
      out += masked.body;
    } else {
      out += text;
    }
  }

  // Values that cannot be tied to an attribute (":placeholders", PartiQL
  // positional parameters) are hashed whenever the audit plan masks
  // anything: a value may belong to a masked attribute.
  void write_opaque_value(simdjson::dom::element value, std::string& out) {
    const std::string item = "{\"v\":" + simdjson::to_string(value) + '}';
    const auto masked = masking::mask_item_json(item, hash_plan_, keys_);
    simdjson::dom::object object;
    if (masked.changed && parser_.parse(simdjson::padded_string(masked.body)).get(object) == simdjson::SUCCESS) {
      for (auto member : object) {
        out += simdjson::to_string(member.value);
        result_.changed = true;
        return;
      }
    }
    out += "{\"S\":\"****\"}";
    result_.changed = true;
  }

  void write(simdjson::dom::element value, std::string& out, Context context) {
    if (context == Context::item) return write_item(value, out);
    simdjson::dom::object object;
    simdjson::dom::array array;
    if (value.get(object) == simdjson::SUCCESS) {
      out += '{';
      bool first = true;
      for (auto member : object) {
        if (!first) out += ',';
        first = false;
        append_string(out, member.key);
        out += ':';
        if (context == Context::placeholders) {
          write_opaque_value(member.value, out);
        } else if (context == Context::item_map) {
          write(member.value, out, Context::item);
        } else {
          write(member.value, out, context_of(member.key));
        }
      }
      out += '}';
    } else if (value.get(array) == simdjson::SUCCESS) {
      out += '[';
      bool first = true;
      for (auto element : array) {
        if (!first) out += ',';
        first = false;
        if (context == Context::parameters) write_opaque_value(element, out);
        else if (context == Context::item_map) write(element, out, Context::item);  // Keys: [item, ...]
        else write(element, out, context);
      }
      out += ']';
    } else {
      out += simdjson::to_string(value);
    }
  }

  static Context context_of(std::string_view member) {
    if (member == "Item" || member == "Key" || member == "ExclusiveStartKey") return Context::item;
    if (member == "Keys") return Context::item_map;  // a list of keys
    if (member == "ExpressionAttributeValues") return Context::placeholders;
    if (member == "Parameters") return Context::parameters;
    return Context::other;
  }

  const masking::MaskPlan& plan_;
  const masking::MaskKeys& keys_;
  AuditMasking& result_;
  masking::MaskPlan hash_plan_;     // compiled once per body, not per value
  simdjson::dom::parser parser_;    // reads the hashed values back
};

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
  if (plan.empty()) return result;
  std::string clear_keys = "[";
  for (std::size_t i = 0; i < result.keys.size(); ++i) {
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
    add_rules(result.rules, masked.rules);
  }
  clear_keys += ']';

  bool body_masked = false;
  if (!full_body.empty()) {
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    if (parser.parse(simdjson::padded_string(full_body)).get(root) == simdjson::SUCCESS) {
      AuditMasking body_result;
      RequestBodyMasker masker(plan, keys, body_result);
      result.request_body = masker.mask(root);
      body_masked = body_result.changed;
      result.changed = result.changed || body_masked;
      add_rules(result.rules, body_result.rules);
    } else {
      // Not JSON (it was refused anyway): keep nothing rather than clear text.
      result.request_body.clear();
    }
  }
  if (result.changed) {
    result.clear_values_json = "{\"keys\":" + clear_keys;
    if (body_masked) {
      result.clear_values_json += ",\"requestBody\":";
      append_string(result.clear_values_json, full_body);
    }
    result.clear_values_json += '}';
  }
  return result;
}

}  // namespace dynaudit::proxy
