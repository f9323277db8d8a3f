// See mask_stage.hpp.
#include "proxy/pipeline/mask_stage.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <simdjson.h>

#include <algorithm>

#include "ddb/error_response.hpp"
#include "ddb/expression_sanitizer.hpp"
#include "ddb/value_member_walk.hpp"
#include "masking/response_masker.hpp"
#include "proxy/pipeline/audit_tokens.hpp"
#include "proxy/pipeline/audit_values.hpp"

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

// Writes a request body back (minified: the audit copy need not be
// byte-exact) with each value-carrying member of the service model
// (ddb/value_members.hpp) replaced by what the audit log may keep:
// - items, and the values of the legacy members (AttributeUpdates, Expected,
//   KeyConditions, QueryFilter, ScanFilter), through the plan under their
//   attribute's name;
// - values that cannot be tied to an attribute (:placeholders, PartiQL
//   parameters) hashed whenever the plan masks anything: any of them may
//   belong to a masked attribute;
// - always, plan or not: expressions reduced to names and placeholders,
//   PartiQL literals hashed (audit_values.hpp).
class AuditBodyRewriter : public ddb::ValueMemberVisitor {
 public:
  AuditBodyRewriter(const masking::MaskPlan& plan, const masking::MaskKeys& keys, AuditTokens& tokens,
                    AuditMasking& result)
      : plan_(plan), keys_(keys), tokens_(tokens), result_(result) {}

  bool sanitized() const { return sanitized_; }

  void visit(ddb::ValueKind kind, simdjson::dom::element value, std::string* out) override {
    if (out == nullptr) return;
    switch (kind) {
      case ddb::ValueKind::item: return write_item(value, *out);
      case ddb::ValueKind::attribute_updates:
      case ddb::ValueKind::expected:
      case ddb::ValueKind::conditions: return write_legacy(ddb::wrapper_of(kind), value, *out);
      case ddb::ValueKind::expression_values: return write_each_member(value, *out);
      case ddb::ValueKind::value_list: return write_each_element(value, *out);
      case ddb::ValueKind::value: return write_opaque(value, *out);
      case ddb::ValueKind::statement: return write_statement(value, *out);
      case ddb::ValueKind::expression: return write_expression(value, *out);
    }
  }

 private:
  bool masking() const { return !plan_.empty(); }

  void note_masked(const masking::MaskOutcome& masked) {
    result_.changed = true;
    add_rules(result_.rules, masked.rules);
  }

  // A value no attribute name ties to the plan: hashed when the plan masks
  // anything, kept otherwise.
  void write_opaque(simdjson::dom::element value, std::string& out) {
    if (!masking()) return ddb::append_json(out, value);
    out += tokens_.value(simdjson::minify(value));
    result_.changed = true;
  }

  void write_item(simdjson::dom::element item, std::string& out) {
    if (!masking()) return ddb::append_json(out, item);
    simdjson::dom::object object;
    if (item.get(object) != simdjson::SUCCESS) return write_opaque(item, out);  // not an item: DynamoDB refuses it
    const std::string text = simdjson::minify(item);
    const auto masked = masking::mask_item_json(text, plan_, keys_);
    if (!masked.error.empty()) return write_opaque(item, out);
    if (!masked.changed) {
      out += text;
      return;
    }
    note_masked(masked);
    out += masked.body;
  }

  // A value compared with, or written to, attribute `name`: masked as the
  // plan masks that attribute. If the plan names the attribute but its path
  // does not reach this value (a scalar compared by CONTAINS with a list
  // masked at cards[*].number), it is hashed: the plan's shape cannot say
  // which part of it is sensitive.
  void write_tied(std::string_view name, simdjson::dom::element value, std::string& out) {
    if (!masking()) return ddb::append_json(out, value);
    std::string item = "{";
    append_string(item, name);
    item += ':';
    item += simdjson::minify(value);
    item += '}';
    const auto masked = masking::mask_item_json(item, plan_, keys_);
    simdjson::dom::object object;
    if (masked.changed && masked.error.empty() &&
        parser_.parse(simdjson::padded_string(masked.body)).get(object) == simdjson::SUCCESS) {
      note_masked(masked);
      simdjson::dom::element kept;
      if (object[name].get(kept) == simdjson::SUCCESS) out += simdjson::minify(kept);
      else out += R"({"NULL":true})";  // the mask removes the attribute
      return;
    }
    const auto& names = plan_.top_level_names();
    if (!masked.error.empty() || std::find(names.begin(), names.end(), name) != names.end()) return write_opaque(value, out);
    ddb::append_json(out, value);
  }

  // {"<attribute>": {"Value": v, "AttributeValueList": [v, ...], "Action": ...}}
  void write_legacy(std::string_view wrapper, simdjson::dom::element map, std::string& out) {
    simdjson::dom::object attributes;
    if (map.get(attributes) != simdjson::SUCCESS) return write_opaque(map, out);
    out += '{';
    bool first = true;
    for (auto attribute : attributes) {
      if (!first) out += ',';
      first = false;
      append_string(out, attribute.key);
      out += ':';
      simdjson::dom::object members;
      if (attribute.value.get(members) != simdjson::SUCCESS) {
        write_tied(attribute.key, attribute.value, out);
        continue;
      }
      out += '{';
      bool first_member = true;
      for (auto member : members) {
        if (!first_member) out += ',';
        first_member = false;
        append_string(out, member.key);
        out += ':';
        const auto kind = wrapper_member_kind(wrapper, member.key);
        simdjson::dom::array list;
        if (kind == ddb::ValueKind::value_list && member.value.get(list) == simdjson::SUCCESS) {
          out += '[';
          bool first_element = true;
          for (auto element : list) {
            if (!first_element) out += ',';
            first_element = false;
            write_tied(attribute.key, element, out);
          }
          out += ']';
        } else if (kind) {
          write_tied(attribute.key, member.value, out);
        } else {
          ddb::append_json(out, member.value);  // Action, Exists, ComparisonOperator
        }
      }
      out += '}';
    }
    out += '}';
  }

  static std::optional<ddb::ValueKind> wrapper_member_kind(std::string_view wrapper, std::string_view member) {
    for (const auto& entry : ddb::wrapper_value_members())
      if (entry.wrapper == wrapper && entry.member == member) return entry.kind;
    return std::nullopt;
  }

  // {":placeholder": value, ...}
  void write_each_member(simdjson::dom::element map, std::string& out) {
    simdjson::dom::object members;
    if (map.get(members) != simdjson::SUCCESS) return write_opaque(map, out);
    out += '{';
    bool first = true;
    for (auto member : members) {
      if (!first) out += ',';
      first = false;
      append_string(out, member.key);
      out += ':';
      write_opaque(member.value, out);
    }
    out += '}';
  }

  void write_each_element(simdjson::dom::element list, std::string& out) {
    simdjson::dom::array elements;
    if (list.get(elements) != simdjson::SUCCESS) return write_opaque(list, out);
    out += '[';
    bool first = true;
    for (auto element : elements) {
      if (!first) out += ',';
      first = false;
      write_opaque(element, out);
    }
    out += ']';
  }

  void write_statement(simdjson::dom::element value, std::string& out) {
    std::string_view statement;
    if (value.get(statement) != simdjson::SUCCESS) return write_opaque(value, out);
    const std::string kept = audit_statement_text(statement, tokens_);
    if (kept != statement) sanitized_ = true;
    append_string(out, kept);
  }

  void write_expression(simdjson::dom::element value, std::string& out) {
    std::string_view expression;
    if (value.get(expression) != simdjson::SUCCESS) return write_opaque(value, out);
    const auto sanitized = ddb::sanitize_expression(expression);
    if (sanitized.changed) sanitized_ = true;
    append_string(out, sanitized.text);
  }

  const masking::MaskPlan& plan_;
  const masking::MaskKeys& keys_;
  AuditTokens& tokens_;
  AuditMasking& result_;
  simdjson::dom::parser parser_;  // reads masked values back
  bool sanitized_ = false;        // an expression or statement lost a literal
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
      AuditMasking body_result;
      AuditTokens tokens(keys);
      AuditBodyRewriter rewriter(plan, keys, tokens, body_result);
      std::string rewritten;
      ddb::walk_value_members(root, rewriter, &rewritten);
      body_changed = body_result.changed || rewriter.sanitized();
      // Nothing replaced: the body is kept as sent, byte for byte.
      result.request_body = body_changed ? std::move(rewritten) : std::string(full_body);
      result.changed = result.changed || body_changed;
      add_rules(result.rules, body_result.rules);
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
